// session's decide side: each command validated against the state, answered with the events to append.
// Nothing here changes the session; only apply (session_apply.cpp) does.
#include "roundtable/session.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "roundtable/text.hpp"
#include "session_detail.hpp"

namespace roundtable {

using events::event;
using nlohmann::json;
using session_detail::json_quoted;

namespace {

using events_result = result<std::vector<event>>;
std::vector<event> none() {
  return {};
}

}  // namespace

events_result session::decide_vote(const events::voter_key& voter_key, const protocol::vote& v,
                                   const std::string& request) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto who = check_joined(voter_key, "voting");
  if (!who) return who.err();
  const auto found = check_question(v.question);
  if (!found) return found.err();
  const question_state& q = **found;
  const question& qd = *scenario_.stages[q.stage].question;
  if (qd.type == question_type::text)
    return error{error_code::invalid_ballot, "text questions take a perspective, not a vote"};
  const round_state* r = open_round(q);
  // A participant without a lens in a round that dealt them is dealt one with their first ballot.
  const auto late = r ? late_deal(v.question, q, *r, voter_key, *who) : std::nullopt;
  const auto assigned = late               ? std::optional(late->model)
                        : q.rounds.empty() ? std::nullopt
                                           : lens_in(qd, q.rounds.back(), *who);
  if (!r) {
    // A resend of a request already applied (same id, same content) is acked again, even after its round
    // closed: the request's content is its question and ballot, not the round it happened to reach.
    if (!request.empty())
      if (auto a = parse_answer(scenario_, qd, v.ballot, assigned);
          a && seen_request(*who, request, v.question + "|" + answer_json(scenario_, qd, *a).dump()))
        return none();
    return error{error_code::voting_closed, "voting on " + json_quoted(v.question) + " is not open"};
  }
  auto a = parse_answer(scenario_, qd, v.ballot, assigned);
  if (!a) return a.err();
  json canonical = answer_json(scenario_, qd, *a);
  // Applied once: a resend in a later round is the same request, not a new vote in that round.
  const std::string content = v.question + "|" + canonical.dump();
  if (seen_request(*who, request, content)) return none();
  // The ballot they already have in this round, whatever the request id: acked, nothing stored, so
  // re-sending one ballot with fresh ids cannot grow the log (issue 12 item 4).
  if (holds_answer(*r, *who, *a)) return none();
  std::vector<event> out;
  if (late) out.emplace_back(*late);
  out.emplace_back(events::ballot_cast{v.question, r->number, voter_key, std::move(canonical), request});
  return out;
}

events_result session::decide_perspective(const events::voter_key& voter_key, const protocol::perspective& p,
                                          const std::string& request, const std::string& perspective_id) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto who = check_joined(voter_key, "posting a perspective");
  if (!who) return who.err();
  const auto found = check_question(p.question);
  if (!found) return found.err();
  const question_state& q = **found;
  const question& qd = *scenario_.stages[q.stage].question;
  if (qd.type != question_type::text)
    return error{error_code::invalid_ballot, json_quoted(p.question) + " is a " + std::string(to_string(qd.type)) +
                                                 " question; only text questions take perspectives"};
  const auto trimmed = std::string(text::trim(p.text));
  const std::string content = p.question + "|" + trimmed;
  // A resend of a perspective already posted is acked again, in any round and after a close.
  if (seen_request(*who, request, content)) return none();
  const round_state* r = open_round(q);
  if (!r) return error{error_code::voting_closed, "perspectives on " + json_quoted(p.question) + " are not open"};
  if (trimmed.empty()) return error{error_code::invalid_ballot, "the perspective is empty"};
  const auto n = text::code_points(trimmed);
  if (n > static_cast<std::size_t>(qd.max_length))
    return error{error_code::invalid_ballot, "the perspective is " + std::to_string(n) + " characters long, at most " +
                                                 std::to_string(qd.max_length) + " allowed"};
  const auto mine = std::count_if(q.perspectives.begin(), q.perspectives.end(), [&](std::size_t i) {
    return perspectives_[i].round == r->number && perspectives_[i].author == *who;
  });
  if (mine >= max_perspectives_per_round)
    return error{error_code::invalid_ballot,
                 "at most " + std::to_string(max_perspectives_per_round) + " perspectives per participant and round"};
  if (perspective_index_.count(perspective_id))
    return error{error_code::internal, "perspective id collision; send it again"};
  return {{events::perspective_posted{p.question, r->number, voter_key, perspective_id, trimmed, request}}};
}

events_result session::decide_endorse(const events::voter_key& voter_key, const protocol::endorse& e,
                                      const std::string& request) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto who = check_joined(voter_key, "endorsing");
  if (!who) return who.err();
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

events_result session::decide_goto(const protocol::stage_ref& ref, std::int64_t now_ms) const {
  if (auto live = check_not_ended(); !live) return live.err();
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
  return {{events::stage_shown{*index, now_ms}}};
}

events_result session::decide_open(const protocol::open& o, std::int64_t now_ms,
                                   const std::vector<events::voter_key>& present) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto q = check_question(o.question);
  if (!q) return q.err();
  if (o.seconds && (*o.seconds < min_round_seconds || *o.seconds > max_round_seconds))
    return error{error_code::bad_message, "seconds must be from 5 to 3600"};
  if (const round_state* r = open_round(**q)) {
    // A round's lenses are dealt once, when it opens.
    if (o.lenses && (!r->deal || r->deal->lenses != *o.lenses))
      return error{error_code::bad_message,
                   json_quoted(o.question) + (r->deal ? " is open with " + std::to_string(r->deal->lenses) +
                                                            " lenses dealt; close it to deal again"
                                                      : " deals no lenses in its open round")};
    return decide_retime(o, *r, now_ms);
  }
  auto deal = decide_deal(**q, o, present);
  if (!deal) return deal.err();
  return {{events::round_opened{o.question, o.seconds, now_ms, std::move(*deal)}}};
}

events_result session::decide_close(const std::string& question) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto q = check_question(question);
  if (!q) return q.err();
  if (!open_round(**q)) return none();
  return {{events::round_closed{question}}};
}

events_result session::decide_reveal(const std::string& question, bool reveal) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto q = check_question(question);
  if (!q) return q.err();
  if ((*q)->revealed == reveal) return none();
  if (reveal) return {{events::revealed{question}}};
  return {{events::hidden{question}}};
}

events_result session::decide_moderate(const protocol::moderate& m) const {
  if (auto live = check_not_ended(); !live) return live.err();
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
    if (open_round(q)) out.emplace_back(events::round_closed{id});
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
  if (deals_lenses(qd)) {
    std::map<std::optional<std::size_t>, std::size_t> changed;
    for (const auto v : r.dirty) ++changed[lens_in(qd, r, v)];
    for (const auto& [m, n] : changed)
      if (n < static_cast<std::size_t>(min_group_)) return std::nullopt;
  }
  return events::tally_published{question, r.number};
}

std::vector<event> session::decide_timeouts(std::int64_t now_ms) const {
  std::vector<event> out;
  for (const auto& [id, q] : questions_) {
    const round_state* r = open_round(q);
    if (r && r->closes_at_ms && *r->closes_at_ms <= now_ms) out.emplace_back(events::round_closed{id});
  }
  return out;
}

}  // namespace roundtable
