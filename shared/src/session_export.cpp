// session's export: every question, every round's tally (count only below min_group), ballots under
// pseudonyms in an order unrelated to arrival, perspectives.
#include "roundtable/session.hpp"

#include <algorithm>
#include <functional>
#include <utility>

#include "roundtable/tally.hpp"

namespace roundtable {

using nlohmann::json;

namespace {

// True when the live tally showed in full how this round's ballots moved from the round before: a choice
// shift, or a model_outcome shift with no model's transitions held back. The shifts of multiple choice, scale,
// points and rank show only sums, not who went where, so the export keeps those rounds apart (choices_moved
// and the other types' shifts answer false here).
bool shift_shown_in_full(const tally& t) {
  if (const auto* c = std::get_if<choice_tally>(&t)) return c->shift.has_value();
  if (const auto* m = std::get_if<model_outcome_tally>(&t))
    return m->shift && std::none_of(m->shift->transitions.begin(), m->shift->transitions.end(),
                                    [](const transition_matrix& tr) { return tr.empty(); });
  return false;
}

}  // namespace

json session::export_json() const {
  const auto pseudonym = pseudonyms();
  json questions = json::array();
  for (const auto& id : question_ids()) questions.push_back(export_question(id, pseudonym));
  return json{{"code", code_},
              {"scenario", {{"id", scenario_.id}, {"title", scenario_.title}}},
              {"started_ms", started_ms_},
              {"ended", ended_},
              {"min_group", min_group_},
              {"live", live_},
              {"participants", voter_keys_.size()},
              {"questions", std::move(questions)}};
}

std::vector<std::string> session::pseudonyms() const {
  // Pseudonyms v1, v2, ... follow the order of the keyed hashes: unrelated to arrival.
  std::vector<std::pair<events::voter_key, voter_id>> order;
  for (const auto& [key, id] : voter_ids_) order.emplace_back(key, id);
  std::sort(order.begin(), order.end());
  std::vector<std::string> pseudonym(voter_keys_.size());
  for (std::size_t i = 0; i < order.size(); ++i) pseudonym[order[i].second] = "v" + std::to_string(i + 1);
  return pseudonym;
}

json session::export_question(const std::string& id, const std::vector<std::string>& pseudonym) const {
  const auto& q = *find(id);
  const question& qd = *scenario_.stages[q.stage].question;
  json rounds = json::array();
  for (std::size_t k = 0; k < q.rounds.size(); ++k) rounds.push_back(export_round(qd, q, k, pseudonym));
  json perspectives = json::array();
  if (perspectives_unlocked(q))
    for (const auto* p : visible_perspectives(role::facilitator, q))
      perspectives.push_back({{"id", p->id},
                              {"round", p->round},
                              {"text", p->text},
                              {"shown", p->shown},
                              {"endorsements", p->endorsements_shown}});
  return {{"id", id},
          {"type", to_string(qd.type)},
          {"prompt", qd.prompt},
          {"revealed", q.revealed},
          {"rounds", std::move(rounds)},
          {"perspectives", std::move(perspectives)}};
}

json session::export_round(const question& qd, const question_state& q, std::size_t k,
                           const std::vector<std::string>& pseudonym) const {
  const auto& rs = q.rounds[k];
  json round{{"round", rs.number}, {"open", rs.open}};
  if (qd.type == question_type::text) {
    round["authors"] = rs.posters.size();
    return round;
  }
  round["ballots"] = answers(rs);
  const bool enough = enough_to_show(rs.ballots.size(), min_group_);
  round["suppressed"] = !enough;
  if (!enough) return round;
  // An open round exports what was last pushed; a closed one its exact final tally and its votes.
  if (rs.open) {
    if (rs.last && !rs.last->tally.is_null()) round["tally"] = rs.last->tally;
    return round;
  }
  const round_ballots* prev = k >= 1 ? &q.rounds[k - 1].ballots : nullptr;
  const tally t = compute_tally(scenario_, as_tallied(qd, q, k), rs.ballots, prev, min_group_);
  round["tally"] = round_tally(qd, q, k);
  // A re-vote whose shift the live view held back (or never shows) gets pseudonyms of its own, so the
  // export does not tell who moved where the room could not see it (issue 12 item 13).
  const bool linked = k == 0 || shift_shown_in_full(t);
  round["votes"] = export_votes(qd, rs, linked ? pseudonym : round_pseudonyms(scenario_.stages[q.stage].id, rs));
  return round;
}

std::vector<std::string> session::round_pseudonyms(const std::string& question, const round_state& rs) const {
  // r<round>-1, r<round>-2, ... in the order of a hash of the voter's key, the question and the round:
  // unrelated to arrival, to the session's pseudonyms and to any other round's.
  const std::string salt = "|" + question + "|" + std::to_string(rs.number);
  std::vector<std::pair<std::size_t, voter_id>> order;
  for (const auto& [v, b] : rs.ballots) order.emplace_back(std::hash<std::string>{}(voter_keys_[v] + salt), v);
  std::sort(order.begin(), order.end());
  std::vector<std::string> pseudonym(voter_keys_.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    pseudonym[order[i].second] = "r" + std::to_string(rs.number) + "-" + std::to_string(i + 1);
  return pseudonym;
}

json session::export_votes(const question& qd, const round_state& rs, const std::vector<std::string>& pseudonym) const {
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
      if (answered(b, m) && !enough_to_show(per_model[m], min_group_)) return true;
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
  return list;
}

}  // namespace roundtable
