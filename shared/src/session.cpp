#include "roundtable/session.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "roundtable/overloaded.hpp"
#include "roundtable/tally.hpp"
#include "roundtable/text.hpp"

namespace roundtable {

using events::event;
using nlohmann::json;

namespace {

std::string json_quoted(std::string_view s) {
  return protocol::dump(json(std::string(s)));
}

error unknown_question(const std::string& q) {
  return {error_code::unknown_question, "this session has no question " + json_quoted(q)};
}

json options_json(const std::vector<option>& opts) {
  json a = json::array();
  for (const auto& o : opts) a.push_back({{"id", o.id}, {"label", o.label}});
  return a;
}

using events_result = result<std::vector<event>>;
std::vector<event> none() {
  return {};
}

}  // namespace

events::started make_started(std::string code, scenario s, int server_min_group, const protocol::start& options,
                             std::int64_t now_ms) {
  const int requested = options.min_group.value_or(server_min_group);
  const int in_force = std::clamp(std::max(server_min_group, requested), min_group_floor, min_group_ceiling);
  return events::started{std::move(code), std::move(s), in_force, options.live.value_or(false), now_ms};
}

session::session(const events::started& e)
    : code_(e.code), scenario_(e.copy), min_group_(e.min_group), live_(e.live), started_ms_(e.at_ms) {
  for (std::size_t i = 0; i < scenario_.stages.size(); ++i) {
    const auto& st = scenario_.stages[i];
    if (!st.question) continue;
    questions_[st.id].stage = i;
    if (st.question->type == question_type::model_outcome && st.question->assign) assigns_ = true;
  }
}

result<session> session::replay(const std::vector<event>& log) {
  if (log.empty() || !std::holds_alternative<events::started>(log.front()))
    return error{error_code::internal, "a session's log must begin with its started event"};
  session s(std::get<events::started>(log.front()));
  for (std::size_t i = 1; i < log.size(); ++i) {
    auto r = s.apply(log[i]);
    if (!r)
      return error{error_code::internal, "event " + std::to_string(i) + " (" + std::string(events::type_name(log[i])) +
                                             ") does not apply: " + r.err().message};
  }
  return s;
}

// ----- lookups -----

const session::question_state* session::find(const std::string& question) const {
  const auto it = questions_.find(question);
  return it == questions_.end() ? nullptr : &it->second;
}

session::question_state* session::find(const std::string& question) {
  const auto it = questions_.find(question);
  return it == questions_.end() ? nullptr : &it->second;
}

std::optional<voter_id> session::voter(const events::voter_key& key) const {
  const auto it = voter_ids_.find(key);
  if (it == voter_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> session::assigned_model(const events::voter_key& key) const {
  const auto v = voter(key);
  if (!v || !assigns_ || scenario_.models.empty()) return std::nullopt;
  // Round-robin by first join: 12 participants over 4 models get 3 each, stable across reconnects.
  return static_cast<std::size_t>(*v) % scenario_.models.size();
}

int session::round(const std::string& question) const {
  const auto* q = find(question);
  return q ? static_cast<int>(q->rounds.size()) : 0;
}

bool session::round_open(const std::string& question) const {
  const auto* q = find(question);
  return q && !q->rounds.empty() && q->rounds.back().open;
}

std::size_t session::ballots(const std::string& question) const {
  const auto* q = find(question);
  if (!q || q->rounds.empty()) return 0;
  const auto& r = q->rounds.back();
  return std::max(r.ballots.size(), r.posters.size());
}

std::optional<std::int64_t> session::closes_at(const std::string& question) const {
  const auto* q = find(question);
  if (!q || q->rounds.empty() || !q->rounds.back().open) return std::nullopt;
  return q->rounds.back().closes_at_ms;
}

std::vector<std::string> session::question_ids() const {
  std::vector<std::string> ids;
  for (const auto& st : scenario_.stages)
    if (st.question) ids.push_back(st.id);
  return ids;
}

bool session::seen_request(voter_id v, const std::string& request, const std::string& content) const {
  if (request.empty()) return false;
  const auto it = requests_.find({v, request});
  return it != requests_.end() && it->second == content;
}

// ----- decide -----

std::vector<event> session::decide_join(const events::voter_key& voter_key) const {
  if (ended_ || voter(voter_key)) return none();
  return {events::joined{voter_key}};
}

events_result session::decide_vote(const events::voter_key& voter_key, const protocol::vote& v,
                                   const std::string& request) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto who = voter(voter_key);
  if (!who) return error{error_code::not_joined, "join the session before voting"};
  const auto* q = find(v.question);
  if (!q) return unknown_question(v.question);
  const question& qd = *scenario_.stages[q->stage].question;
  if (qd.type == question_type::text)
    return error{error_code::invalid_ballot, "text questions take a perspective, not a vote"};
  const auto assigned = qd.type == question_type::model_outcome && qd.assign ? assigned_model(voter_key) : std::nullopt;
  const bool open = !q->rounds.empty() && q->rounds.back().open;
  if (!open) {
    // A resend of a request already applied (same id, same content) is acked again, even after its round
    // closed: the request's content is its question and ballot, not the round it happened to reach.
    if (!request.empty())
      if (auto b = parse_ballot(scenario_, qd, v.ballot, assigned);
          b && seen_request(*who, request, v.question + "|" + to_json(scenario_, qd, *b).dump()))
        return none();
    return error{error_code::voting_closed, "voting on " + json_quoted(v.question) + " is not open"};
  }
  auto b = parse_ballot(scenario_, qd, v.ballot, assigned);
  if (!b) return b.err();
  const auto& r = q->rounds.back();
  json canonical = to_json(scenario_, qd, *b);
  // Applied once: a resend in a later round is the same request, not a new vote in that round.
  const std::string content = v.question + "|" + canonical.dump();
  if (seen_request(*who, request, content)) return none();
  const auto current = r.ballots.find(*who);
  if (request.empty() && current != r.ballots.end() && current->second == *b) return none();
  return {{events::ballot_cast{v.question, r.number, voter_key, std::move(canonical), request}}};
}

events_result session::decide_perspective(const events::voter_key& voter_key, const protocol::perspective& p,
                                          const std::string& request, const std::string& perspective_id) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto who = voter(voter_key);
  if (!who) return error{error_code::not_joined, "join the session before posting a perspective"};
  const auto* q = find(p.question);
  if (!q) return unknown_question(p.question);
  const question& qd = *scenario_.stages[q->stage].question;
  if (qd.type != question_type::text)
    return error{error_code::invalid_ballot, json_quoted(p.question) + " is a " + std::string(to_string(qd.type)) +
                                                 " question; only text questions take perspectives"};
  const auto trimmed = std::string(text::trim(p.text));
  const std::string content = p.question + "|" + trimmed;
  // A resend of a perspective already posted is acked again, in any round and after a close.
  if (seen_request(*who, request, content)) return none();
  if (q->rounds.empty() || !q->rounds.back().open)
    return error{error_code::voting_closed, "perspectives on " + json_quoted(p.question) + " are not open"};
  if (trimmed.empty()) return error{error_code::invalid_ballot, "the perspective is empty"};
  const auto n = text::code_points(trimmed);
  if (n > static_cast<std::size_t>(qd.max_length))
    return error{error_code::invalid_ballot, "the perspective is " + std::to_string(n) + " characters long, at most " +
                                                 std::to_string(qd.max_length) + " allowed"};
  const auto& r = q->rounds.back();
  int mine = 0;
  for (auto i : q->perspectives)
    if (perspectives_[i].round == r.number && perspectives_[i].author == *who) ++mine;
  if (mine >= max_perspectives_per_round)
    return error{error_code::invalid_ballot,
                 "at most " + std::to_string(max_perspectives_per_round) + " perspectives per participant and round"};
  if (perspective_index_.count(perspective_id))
    return error{error_code::internal, "perspective id collision; send it again"};
  return {{events::perspective_posted{p.question, r.number, voter_key, perspective_id, trimmed, request}}};
}

events_result session::decide_endorse(const events::voter_key& voter_key, const protocol::endorse& e,
                                      const std::string& request) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto who = voter(voter_key);
  if (!who) return error{error_code::not_joined, "join the session before endorsing"};
  const auto it = perspective_index_.find(e.perspective);
  // A perspective a participant cannot see does not exist for them.
  const auto not_found =
      error{error_code::unknown_perspective, "no perspective " + json_quoted(e.perspective) + " is shown"};
  if (it == perspective_index_.end()) return not_found;
  const auto& p = perspectives_[it->second];
  const auto* q = find(p.question);
  const auto visible = visible_perspectives(role::participant, *q);
  if (std::find(visible.begin(), visible.end(), &p) == visible.end()) return not_found;
  if (p.author == *who) return error{error_code::invalid_ballot, "you cannot endorse your own perspective"};
  if (p.endorsers.count(*who)) return none();
  return {{events::endorsed{e.perspective, voter_key, request}}};
}

events_result session::decide_goto(const protocol::stage_ref& ref) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  std::optional<std::size_t> index;
  if (const auto* i = std::get_if<std::size_t>(&ref)) {
    if (*i < scenario_.stages.size()) index = *i;
  } else {
    index = scenario_.stage_index(std::get<std::string>(ref));
  }
  if (!index) {
    const std::string named = std::holds_alternative<std::size_t>(ref) ? std::to_string(std::get<std::size_t>(ref))
                                                                       : json_quoted(std::get<std::string>(ref));
    return error{error_code::unknown_stage, "no stage " + named + " (the scenario has " +
                                                std::to_string(scenario_.stages.size()) + " stages, 0-based)"};
  }
  if (*index == stage_) return none();
  return {{events::stage_shown{*index}}};
}

events_result session::decide_open(const protocol::open& o, std::int64_t now_ms) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto* q = find(o.question);
  if (!q) return unknown_question(o.question);
  if (o.seconds && (*o.seconds < min_round_seconds || *o.seconds > max_round_seconds))
    return error{error_code::bad_message, "seconds must be from 5 to 3600"};
  if (!q->rounds.empty() && q->rounds.back().open) return none();
  return {{events::round_opened{o.question, o.seconds, now_ms}}};
}

events_result session::decide_close(const std::string& question) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto* q = find(question);
  if (!q) return unknown_question(question);
  if (q->rounds.empty() || !q->rounds.back().open) return none();
  return {{events::round_closed{question}}};
}

events_result session::decide_reveal(const std::string& question, bool reveal) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto* q = find(question);
  if (!q) return unknown_question(question);
  if (q->revealed == reveal) return none();
  if (reveal) return {{events::revealed{question}}};
  return {{events::hidden{question}}};
}

events_result session::decide_moderate(const protocol::moderate& m) const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  const auto it = perspective_index_.find(m.perspective);
  if (it == perspective_index_.end())
    return error{error_code::unknown_perspective, "no perspective " + json_quoted(m.perspective)};
  if (perspectives_[it->second].shown == m.show) return none();
  return {{events::perspective_moderated{m.perspective, m.show}}};
}

events_result session::decide_end(std::int64_t now_ms) const {
  if (ended_) return none();
  std::vector<event> out;
  for (const auto& [id, q] : questions_)
    if (!q.rounds.empty() && q.rounds.back().open) out.emplace_back(events::round_closed{id});
  out.emplace_back(events::ended{now_ms});
  return out;
}

std::optional<event> session::decide_publish(const std::string& question) const {
  const auto* q = find(question);
  if (!q || q->rounds.empty()) return std::nullopt;
  const auto& r = q->rounds.back();
  if (!r.open || r.dirty.size() < static_cast<std::size_t>(min_group_)) return std::nullopt;
  // With assigned models each row moves only with its own model's ballots: a row may move
  // only in steps of min_group of them too, or one person's tap would show in it.
  const roundtable::question& qd = *scenario_.stages[q->stage].question;
  if (qd.type == question_type::model_outcome && qd.assign && !scenario_.models.empty()) {
    std::map<std::size_t, std::size_t> changed;
    for (const auto v : r.dirty) ++changed[static_cast<std::size_t>(v) % scenario_.models.size()];  // as assigned_model
    for (const auto& [m, n] : changed)
      if (n < static_cast<std::size_t>(min_group_)) return std::nullopt;
  }
  return events::tally_published{question, r.number};
}

std::vector<event> session::decide_timeouts(std::int64_t now_ms) const {
  std::vector<event> out;
  for (const auto& [id, q] : questions_) {
    if (q.rounds.empty() || !q.rounds.back().open) continue;
    const auto& at = q.rounds.back().closes_at_ms;
    if (at && *at <= now_ms) out.emplace_back(events::round_closed{id});
  }
  return out;
}

// ----- apply -----

result<std::vector<effect>> session::apply(const event& e) {
  using effects = std::vector<effect>;
  const auto refuse = [](error_code c, std::string m) -> result<effects> { return error{c, std::move(m)}; };
  if (ended_ && !std::holds_alternative<events::ended>(e))
    return refuse(error_code::session_ended, "the session has ended");

  return std::visit(
      overloaded{
          [&](const events::started&) -> result<effects> {
            return refuse(error_code::internal, "a session starts only once");
          },
          [&](const events::joined& x) -> result<effects> {
            if (voter(x.voter)) return refuse(error_code::bad_message, "this participant joined before");
            voter_ids_.emplace(x.voter, static_cast<voter_id>(voter_keys_.size()));
            voter_keys_.push_back(x.voter);
            return effects{};
          },
          [&](const events::stage_shown& x) -> result<effects> {
            if (x.index >= scenario_.stages.size())
              return refuse(error_code::unknown_stage, "no stage " + std::to_string(x.index));
            stage_ = x.index;
            return effects{{push_kind::stage, ""}};
          },
          [&](const events::round_opened& x) -> result<effects> {
            auto* q = find(x.question);
            if (!q) return unknown_question(x.question);
            if (!q->rounds.empty() && q->rounds.back().open)
              return refuse(error_code::bad_message, "the round is already open");
            round_state r;
            r.number = static_cast<int>(q->rounds.size()) + 1;
            r.open = true;
            if (x.seconds) r.closes_at_ms = x.at_ms + std::int64_t{*x.seconds} * 1000;
            q->rounds.push_back(std::move(r));
            effects out{{push_kind::round, x.question}};
            // A new round is voted blind: hidden until the next reveal.
            if (q->revealed) {
              q->revealed = false;
              out.push_back({push_kind::hidden, x.question});
            }
            out.push_back({push_kind::results, x.question});
            out.push_back({push_kind::progress, x.question});
            return out;
          },
          [&](const events::round_closed& x) -> result<effects> {
            auto* q = find(x.question);
            if (!q) return unknown_question(x.question);
            if (q->rounds.empty() || !q->rounds.back().open)
              return refuse(error_code::voting_closed, "the round is not open");
            auto& r = q->rounds.back();
            r.open = false;
            r.closes_at_ms.reset();
            // Closing publishes the exact final tally.
            r.last = published{tally_now(x.question, *q), r.ballots.size()};
            r.dirty.clear();
            return effects{{push_kind::round, x.question}, {push_kind::results, x.question}};
          },
          [&](const events::ballot_cast& x) -> result<effects> {
            const auto who = voter(x.voter);
            if (!who) return refuse(error_code::not_joined, "unknown voter");
            auto* q = find(x.question);
            if (!q) return unknown_question(x.question);
            if (q->rounds.empty() || !q->rounds.back().open || q->rounds.back().number != x.round)
              return refuse(error_code::voting_closed, "voting on " + json_quoted(x.question) + " is not open");
            const question& qd = *scenario_.stages[q->stage].question;
            const auto assigned =
                qd.type == question_type::model_outcome && qd.assign ? assigned_model(x.voter) : std::nullopt;
            auto b = parse_ballot(scenario_, qd, x.ballot, assigned);
            if (!b) return b.err();
            auto& r = q->rounds.back();
            auto [it, inserted] = r.ballots.try_emplace(*who, *b);
            if (inserted || !(it->second == *b)) r.dirty.insert(*who);
            it->second = std::move(*b);
            if (!x.request.empty()) requests_[{*who, x.request}] = x.question + "|" + x.ballot.dump();
            return effects{{push_kind::progress, x.question}};
          },
          [&](const events::revealed& x) -> result<effects> {
            auto* q = find(x.question);
            if (!q) return unknown_question(x.question);
            q->revealed = true;
            effects out{{push_kind::results, x.question}};
            if (scenario_.stages[q->stage].question->type == question_type::text)
              out.push_back({push_kind::perspectives, x.question});
            return out;
          },
          [&](const events::hidden& x) -> result<effects> {
            auto* q = find(x.question);
            if (!q) return unknown_question(x.question);
            q->revealed = false;
            return effects{{push_kind::hidden, x.question}};
          },
          [&](const events::tally_published& x) -> result<effects> {
            auto* q = find(x.question);
            // The overall step only: a log written before the per-model rule still replays.
            if (!q || q->rounds.empty() || !q->rounds.back().open || q->rounds.back().number != x.round ||
                q->rounds.back().dirty.size() < static_cast<std::size_t>(min_group_))
              return refuse(error_code::internal, "no tally is due for " + json_quoted(x.question));
            auto& r = q->rounds.back();
            r.last = published{tally_now(x.question, *q), r.ballots.size()};
            r.dirty.clear();
            return effects{{push_kind::results, x.question}};
          },
          [&](const events::perspective_posted& x) -> result<effects> {
            const auto who = voter(x.voter);
            if (!who) return refuse(error_code::not_joined, "unknown voter");
            auto* q = find(x.question);
            if (!q) return unknown_question(x.question);
            if (q->rounds.empty() || !q->rounds.back().open || q->rounds.back().number != x.round)
              return refuse(error_code::voting_closed, "perspectives on " + json_quoted(x.question) + " are not open");
            if (x.id.empty() || perspective_index_.count(x.id))
              return refuse(error_code::internal, "perspective id missing or used");
            auto& r = q->rounds.back();
            perspective_index_.emplace(x.id, perspectives_.size());
            q->perspectives.push_back(perspectives_.size());
            perspectives_.push_back({x.id, x.question, x.round, *who, x.text, false, {}});
            r.posters.insert(*who);
            if (!x.request.empty()) requests_[{*who, x.request}] = x.question + "|" + x.text;
            // Participants' set changes only when this post lifts the count to the threshold.
            const bool crossed = q->perspectives.size() == static_cast<std::size_t>(min_group_) &&
                                 std::any_of(q->perspectives.begin(), q->perspectives.end(),
                                             [&](std::size_t i) { return perspectives_[i].shown; });
            return effects{{push_kind::perspectives, x.question, crossed}, {push_kind::progress, x.question}};
          },
          [&](const events::perspective_moderated& x) -> result<effects> {
            const auto it = perspective_index_.find(x.id);
            if (it == perspective_index_.end()) return refuse(error_code::unknown_perspective, "no perspective");
            auto& p = perspectives_[it->second];
            p.shown = x.shown;
            const bool everyone = find(p.question)->perspectives.size() >= static_cast<std::size_t>(min_group_);
            return effects{{push_kind::perspectives, p.question, everyone}};
          },
          [&](const events::endorsed& x) -> result<effects> {
            const auto who = voter(x.voter);
            if (!who) return refuse(error_code::not_joined, "unknown voter");
            const auto it = perspective_index_.find(x.perspective);
            if (it == perspective_index_.end()) return refuse(error_code::unknown_perspective, "no perspective");
            auto& p = perspectives_[it->second];
            if (p.author == *who) return refuse(error_code::invalid_ballot, "own perspective");
            p.endorsers.insert(*who);
            return effects{{push_kind::perspectives, p.question}};
          },
          [&](const events::ended&) -> result<effects> {
            if (ended_) return effects{};
            effects out;
            for (auto& [id, q] : questions_) {
              if (q.rounds.empty() || !q.rounds.back().open) continue;
              auto& r = q.rounds.back();
              r.open = false;
              r.closes_at_ms.reset();
              r.last = published{tally_now(id, q), r.ballots.size()};
              r.dirty.clear();
              out.push_back({push_kind::round, id});
              out.push_back({push_kind::results, id});
            }
            ended_ = true;
            out.push_back({push_kind::ended, ""});
            return out;
          },
      },
      e);
}

// ----- views -----

json session::with_code(role r, json msg) const {
  if (r == role::facilitator) msg["code"] = code_;
  return msg;
}

json session::tally_now(const std::string& /*question*/, const question_state& q) const {
  const auto& r = q.rounds.back();
  if (r.ballots.size() < static_cast<std::size_t>(min_group_)) return nullptr;
  const question& qd = *scenario_.stages[q.stage].question;
  if (qd.type == question_type::text) return nullptr;
  const round_ballots* previous = q.rounds.size() >= 2 ? &q.rounds[q.rounds.size() - 2].ballots : nullptr;
  return to_json(scenario_, qd, compute_tally(scenario_, qd, r.ballots, previous, min_group_));
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
    out["ballots"] = r.ballots.size();
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

std::vector<const session::perspective_state*> session::visible_perspectives(role r, const question_state& q) const {
  std::vector<const perspective_state*> out;
  const bool enough = q.perspectives.size() >= static_cast<std::size_t>(min_group_);
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
    json item{{"id", p->id}, {"text", p->text}, {"endorsements", p->endorsers.size()}};
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
  json out{{"id", st.id}, {"type", to_string(q.type)}, {"prompt", q.prompt}};
  switch (q.type) {
    case question_type::choice:
      out["options"] = options_json(q.options);
      out["max_choices"] = q.max_choices;
      break;
    case question_type::scale:
      out["min"] = q.min;
      out["max"] = q.max;
      if (q.labels) out["labels"] = {{"min", q.labels->min}, {"max", q.labels->max}};
      break;
    case question_type::points:
      out["options"] = options_json(q.options);
      out["budget"] = q.budget;
      break;
    case question_type::rank:
      out["options"] = options_json(q.options);
      break;
    case question_type::model_outcome: {
      json models = json::array();
      for (const auto& m : scenario_.models) models.push_back({{"id", m.id}, {"name", m.name}, {"prompt", m.prompt}});
      out["models"] = std::move(models);
      out["outcomes"] = options_json(scenario_.outcomes);
      out["assign"] = q.assign;
      if (q.assign && assigned_model) out["assigned_model"] = scenario_.models[*assigned_model].id;
      break;
    }
    case question_type::text:
      out["max_length"] = q.max_length;
      break;
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
  json mine = json::object();
  const auto who = voter_key ? voter(*voter_key) : std::nullopt;
  if (r == role::participant && who) {
    for (const auto& [id, q] : questions_) {
      if (q.rounds.empty()) continue;
      const auto& rs = q.rounds.back();
      const question& qd = *scenario_.stages[q.stage].question;
      if (qd.type == question_type::text) {
        json own = json::array();
        for (auto i : q.perspectives) {
          const auto& p = perspectives_[i];
          if (p.author == *who && p.round == rs.number) own.push_back({{"id", p.id}, {"text", p.text}});
        }
        if (!own.empty()) mine[id] = {{"perspectives", std::move(own)}};
        continue;
      }
      const auto it = rs.ballots.find(*who);
      if (it != rs.ballots.end()) mine[id] = to_json(scenario_, qd, it->second);
    }
  }
  out["mine"] = std::move(mine);
  if (r == role::facilitator) {
    json stages = json::array();
    for (std::size_t i = 0; i < scenario_.stages.size(); ++i) {
      const auto& st = scenario_.stages[i];
      json s{{"index", i}, {"id", st.id}, {"kind", to_string(st.kind)}, {"title", st.title}};
      if (st.question) s["question"] = question_view(st, std::nullopt);
      if (st.kind == stage_kind::revote) s["of"] = st.of;
      if (st.kind == stage_kind::discussion) s["show"] = st.show;
      stages.push_back(std::move(s));
    }
    out["stages"] = std::move(stages);
    json questions = json::object();
    for (const auto& [id, q] : questions_) {
      const auto rm = round_message(role::participant, id, ctx.now_ms);
      json qs{{"round", rm["round"]}, {"status", rm["status"]}, {"revealed", q.revealed}, {"ballots", ballots(id)}};
      if (rm.contains("closes_in")) qs["closes_in"] = rm["closes_in"];
      questions[id] = std::move(qs);
    }
    out["questions"] = std::move(questions);
  }
  return out;
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

json session::export_json() const {
  // Pseudonyms v1, v2, ... follow the order of the keyed hashes: unrelated to arrival.
  std::vector<std::pair<events::voter_key, voter_id>> order;
  for (const auto& [key, id] : voter_ids_) order.emplace_back(key, id);
  std::sort(order.begin(), order.end());
  std::vector<std::string> pseudonym(voter_keys_.size());
  for (std::size_t i = 0; i < order.size(); ++i) pseudonym[order[i].second] = "v" + std::to_string(i + 1);

  json questions = json::array();
  for (const auto& id : question_ids()) {
    const auto& q = *find(id);
    const question& qd = *scenario_.stages[q.stage].question;
    json rounds = json::array();
    for (std::size_t k = 0; k < q.rounds.size(); ++k) {
      const auto& rs = q.rounds[k];
      json round{{"round", rs.number}, {"open", rs.open}};
      if (qd.type == question_type::text) {
        round["authors"] = rs.posters.size();
        rounds.push_back(std::move(round));
        continue;
      }
      round["ballots"] = rs.ballots.size();
      const bool enough = rs.ballots.size() >= static_cast<std::size_t>(min_group_);
      round["suppressed"] = !enough;
      if (enough) {
        // An open round exports what was last pushed; a closed one its exact final tally.
        if (rs.open) {
          if (rs.last && !rs.last->tally.is_null()) round["tally"] = rs.last->tally;
        } else {
          const round_ballots* prev = k >= 1 ? &q.rounds[k - 1].ballots : nullptr;
          round["tally"] = to_json(scenario_, qd, compute_tally(scenario_, qd, rs.ballots, prev, min_group_));
        }
        if (!rs.open) {
          // An assigned model_outcome question hides a model's row while it has fewer than min_group
          // ballots; its ballots are held back here too, or the export would name what those few chose.
          std::vector<std::size_t> per_model(scenario_.models.size(), 0);
          const auto answered = [&](const ballot& b, std::size_t m) {
            const auto* mo = std::get_if<model_outcome_ballot>(&b);
            return mo && m < mo->outcomes.size() && mo->outcomes[m].has_value();
          };
          const bool assigned = qd.type == question_type::model_outcome && qd.assign;
          if (assigned)
            for (const auto& [v, b] : rs.ballots)
              for (std::size_t m = 0; m < per_model.size(); ++m)
                if (answered(b, m)) ++per_model[m];
          const auto held_back = [&](const ballot& b) {
            if (!assigned) return false;
            for (std::size_t m = 0; m < per_model.size(); ++m)
              if (answered(b, m) && per_model[m] < static_cast<std::size_t>(min_group_)) return true;
            return false;
          };
          std::vector<std::pair<std::string, json>> votes;
          for (const auto& [v, b] : rs.ballots)
            if (!held_back(b)) votes.emplace_back(pseudonym[v], to_json(scenario_, qd, b));
          std::sort(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
            return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
          });
          json list = json::array();
          for (auto& [p, b] : votes) list.push_back({{"voter", p}, {"ballot", std::move(b)}});
          round["votes"] = std::move(list);
        }
      }
      rounds.push_back(std::move(round));
    }
    json perspectives = json::array();
    if (q.perspectives.size() >= static_cast<std::size_t>(min_group_))
      for (const auto* p : visible_perspectives(role::facilitator, q))
        perspectives.push_back({{"id", p->id},
                                {"round", p->round},
                                {"text", p->text},
                                {"shown", p->shown},
                                {"endorsements", p->endorsers.size()}});
    questions.push_back({{"id", id},
                         {"type", to_string(qd.type)},
                         {"prompt", qd.prompt},
                         {"revealed", q.revealed},
                         {"rounds", std::move(rounds)},
                         {"perspectives", std::move(perspectives)}});
  }
  return json{{"code", code_},
              {"scenario", {{"id", scenario_.id}, {"title", scenario_.title}}},
              {"started_ms", started_ms_},
              {"ended", ended_},
              {"min_group", min_group_},
              {"live", live_},
              {"participants", voter_keys_.size()},
              {"questions", std::move(questions)}};
}

}  // namespace roundtable
