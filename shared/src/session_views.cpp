// session's views: what each role may see, as a whole view and as the pushes that follow applied events.
#include "roundtable/session.hpp"

#include <algorithm>
#include <utility>

#include "roundtable/tally.hpp"

namespace roundtable {

using nlohmann::json;

json session::with_code(role r, json msg) const {
  if (r == role::facilitator) msg["code"] = code_;
  return msg;
}

json session::tally_now(const std::string& /*question*/, const question_state& q) const {
  return round_tally(*scenario_.stages[q.stage].question, q, q.rounds.size() - 1);
}

json session::round_tally(const question& qd, const question_state& q, std::size_t k) const {
  const auto& r = q.rounds[k];
  // Abstentions do not count towards min_group: a tally over fewer ballots would show what those few chose.
  if (!enough_to_show(r.ballots.size(), min_group_)) return nullptr;
  if (qd.type == question_type::text) return nullptr;
  const round_ballots* previous = k >= 1 ? &q.rounds[k - 1].ballots : nullptr;
  const question tallied = as_tallied(qd, q, k);
  json t = to_json(scenario_, tallied, compute_tally(scenario_, tallied, r.ballots, previous, min_group_));
  if (qd.abstain) t["abstained"] = r.abstained.size();
  return t;
}

bool session::may_see_results(role r, const question_state& q) const {
  return r == role::facilitator || q.revealed || live_;
}

json session::results_body(const std::string& question) const {
  const auto* q = find(question);
  const auto& r = q->rounds.back();
  json out{{"type", "results"}, {"question", question}, {"round", r.number}};
  if (r.last) {
    // What was last pushed, never fresher (a tally moves only in steps of min_group).
    out["ballots"] = r.last->ballots;
    out["suppressed"] = r.last->tally.is_null();
    if (!r.last->tally.is_null()) out["tally"] = r.last->tally;
  } else {
    out["ballots"] = answers(r);
    out["suppressed"] = true;
  }
  return out;
}

std::optional<json> session::results_message(role r, const std::string& question) const {
  const auto* q = find(question);
  if (!q || q->rounds.empty()) return std::nullopt;
  if (scenario_.stages[q->stage].question->type == question_type::text) return std::nullopt;
  if (!may_see_results(r, *q)) return std::nullopt;
  return with_code(r, results_body(question));
}

bool session::perspectives_unlocked(const question_state& q) const {
  // Authors, not posts: one participant's three posts must not unlock them (issue 12 item 12).
  return enough_to_show(q.authors.size(), min_group_);
}

std::vector<const session::perspective_state*> session::visible_perspectives(role r, const question_state& q) const {
  std::vector<const perspective_state*> out;
  const bool enough = perspectives_unlocked(q);
  for (auto i : q.perspectives) {
    const auto& p = perspectives_[i];
    if (r == role::facilitator || (enough && p.shown)) out.push_back(&p);
  }
  // Ids are random: ordering by id is a shuffle that says nothing of time or author.
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  return out;
}

std::optional<json> session::perspectives_message(role r, const std::string& question) const {
  const auto* q = find(question);
  if (!q || q->perspectives.empty()) return std::nullopt;
  json items = json::array();
  for (const auto* p : visible_perspectives(r, *q)) {
    json item{{"id", p->id}, {"text", p->text}, {"endorsements", p->endorsements_shown}};
    if (r == role::facilitator) item["shown"] = p->shown;
    items.push_back(std::move(item));
  }
  return with_code(r, json{{"type", "perspectives"}, {"question", question}, {"items", std::move(items)}});
}

json session::round_message(role r, const std::string& question, std::int64_t now_ms) const {
  const auto* q = find(question);
  json out{{"type", "round"}, {"question", question}, {"round", 0}, {"status", "closed"}};
  if (q && !q->rounds.empty()) {
    const auto& rs = q->rounds.back();
    out["round"] = rs.number;
    out["status"] = rs.open ? "open" : "closed";
    if (rs.open && rs.closes_at_ms)
      out["closes_in"] = std::max<std::int64_t>(0, (*rs.closes_at_ms - now_ms + 999) / 1000);
  }
  return with_code(r, std::move(out));
}

json session::progress_message(role r, const std::string& question) const {
  return with_code(
      r,
      json{{"type", "progress"}, {"question", question}, {"round", round(question)}, {"ballots", ballots(question)}});
}

json session::hidden_message(role r, const std::string& question) const {
  return with_code(r, json{{"type", "hidden"}, {"question", question}});
}

json session::ended_message(role r) const {
  return with_code(r, json{{"type", "ended"}});
}

json session::question_view(const stage& st, std::optional<std::size_t> assigned_model) const {
  const question& q = *st.question;
  json out = to_json(q, question_form::view);
  out["id"] = st.id;
  if (q.type == question_type::model_outcome) {
    out["models"] = to_json(scenario_.models);
    out["outcomes"] = to_json(scenario_.outcomes);
    if (q.assign && assigned_model) out["assigned_model"] = scenario_.models[*assigned_model].id;
  }
  return out;
}

json session::stage_view(role r, std::size_t index, std::optional<std::size_t> assigned_model,
                         std::int64_t now_ms) const {
  const stage& st = scenario_.stages[index];
  json out{{"index", index},     {"count", scenario_.stages.size()},
           {"id", st.id},        {"kind", to_string(st.kind)},
           {"title", st.title},  {"round", 0},
           {"status", "closed"}, {"revealed", false}};
  json body = json::array();
  if (st.kind == stage_kind::case_text)
    for (const auto& p : scenario_.case_text) body.push_back(p);
  for (const auto& p : st.body) body.push_back(p);
  out["body"] = std::move(body);

  // A question stage shows its question; a revote stage shows the question it repeats.
  const std::string qid = st.kind == stage_kind::question ? st.id : st.kind == stage_kind::revote ? st.of : "";
  if (!qid.empty()) {
    const auto* q = find(qid);
    const stage& qs = scenario_.stages[q->stage];
    const bool assigned = qs.question->type == question_type::model_outcome && qs.question->assign;
    out["question"] = question_view(qs, r == role::participant ? assigned_model : std::nullopt);
    if (assigned && r == role::participant && assigned_model)
      out["assigned_model"] = scenario_.models[*assigned_model].id;
    if (st.kind == stage_kind::revote) out["of"] = st.of;
    const auto round = round_message(role::participant, qid, now_ms);
    out["round"] = round["round"];
    out["status"] = round["status"];
    if (round.contains("closes_in")) out["closes_in"] = round["closes_in"];
    out["revealed"] = q->revealed;
  }
  if (st.kind == stage_kind::discussion) {
    add_stage_timer(out, index, now_ms);
    out["show"] = st.show;
    json results = json::object();
    json perspectives = json::object();
    json questions = json::object();  // so a page that never saw those stages can label their results
    for (const auto& id : st.show) {
      if (const auto* q = find(id)) questions[id] = question_view(scenario_.stages[q->stage], std::nullopt);
      if (auto m = results_message(r, id)) {
        m->erase("type");
        m->erase("code");
        results[id] = std::move(*m);
      }
      if (auto m = perspectives_message(r, id)) perspectives[id] = (*m)["items"];
    }
    out["results"] = std::move(results);
    out["perspectives"] = std::move(perspectives);
    out["questions"] = std::move(questions);
  }
  return out;
}

json session::stage_message(role r, std::optional<std::size_t> assigned_model, std::int64_t now_ms) const {
  return with_code(r, json{{"type", "stage"}, {"stage", stage_view(r, stage_, assigned_model, now_ms)}});
}

json session::view(role r, const std::optional<events::voter_key>& voter_key, const view_context& ctx) const {
  const auto assigned = voter_key ? assigned_model(*voter_key) : std::nullopt;
  json out{{"code", code_},
           {"join_url", ctx.join_url},
           {"scenario",
            {{"id", scenario_.id},
             {"title", scenario_.title},
             {"summary", scenario_.summary},
             {"case", scenario_.case_text}}},
           {"stage", stage_view(r, stage_, assigned, ctx.now_ms)},
           {"participants", ctx.participants},
           {"ended", ended_},
           {"min_group", min_group_},
           {"live", live_}};
  if (r == role::facilitator && assigns_) out["lenses"] = lenses();
  const auto who = voter_key ? voter(*voter_key) : std::nullopt;
  out["mine"] = r == role::participant && who ? mine_view(*who) : json::object();
  if (!scenario_.lang.empty()) out["scenario"]["lang"] = scenario_.lang;  // v1 addition, only when set
  if (r == role::facilitator) {
    out["stages"] = stages_view();
    out["questions"] = questions_view(ctx.now_ms);
  }
  return out;
}

json session::mine_view(voter_id who) const {
  json mine = json::object();
  for (const auto& [id, q] : questions_) {
    if (q.rounds.empty()) continue;
    const auto& rs = q.rounds.back();
    const question& qd = *scenario_.stages[q.stage].question;
    if (qd.type == question_type::text) {
      json own = json::array();
      for (auto i : q.perspectives) {
        const auto& p = perspectives_[i];
        if (p.author == who && p.round == rs.number) own.push_back({{"id", p.id}, {"text", p.text}});
      }
      if (!own.empty()) mine[id] = {{"perspectives", std::move(own)}};
      continue;
    }
    const auto it = rs.ballots.find(who);
    if (it != rs.ballots.end()) mine[id] = to_json(scenario_, qd, it->second);
    if (rs.abstained.count(who)) mine[id] = answer_json(scenario_, qd, abstention{});
  }
  return mine;
}

json session::stages_view() const {
  json stages = json::array();
  for (std::size_t i = 0; i < scenario_.stages.size(); ++i) {
    const auto& st = scenario_.stages[i];
    json s{{"index", i}, {"id", st.id}, {"kind", to_string(st.kind)}, {"title", st.title}};
    if (st.question) s["question"] = question_view(st, std::nullopt);
    if (st.kind == stage_kind::revote) s["of"] = st.of;
    if (st.kind == stage_kind::discussion) s["show"] = st.show;
    if (st.seconds) s["seconds"] = *st.seconds;
    stages.push_back(std::move(s));
  }
  return stages;
}

json session::questions_view(std::int64_t now_ms) const {
  json questions = json::object();
  for (const auto& [id, q] : questions_) {
    const auto rm = round_message(role::participant, id, now_ms);
    json qs{{"round", rm["round"]}, {"status", rm["status"]}, {"revealed", q.revealed}, {"ballots", ballots(id)}};
    if (rm.contains("closes_in")) qs["closes_in"] = rm["closes_in"];
    // The lenses the latest round dealt (an assigned question): the console's small-group warning counts them.
    if (!q.rounds.empty() && q.rounds.back().deal) qs["lenses"] = q.rounds.back().deal->lenses;
    questions[id] = std::move(qs);
  }
  return questions;
}

std::vector<json> session::catch_up(role r) const {
  std::vector<json> out;
  std::vector<std::string> ids;
  if (r == role::facilitator) {
    ids = question_ids();
  } else {
    const stage& st = scenario_.stages[stage_];
    if (st.kind == stage_kind::question) ids.push_back(st.id);
    if (st.kind == stage_kind::revote) ids.push_back(st.of);
    if (st.kind == stage_kind::discussion) ids = st.show;
  }
  for (const auto& id : ids) {
    if (round_open(id)) out.push_back(progress_message(r, id));
    if (auto m = results_message(r, id)) out.push_back(std::move(*m));
    if (auto m = perspectives_message(r, id); m && !(*m)["items"].empty()) out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace roundtable
