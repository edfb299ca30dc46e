// session's abstentions and withdrawals: an answer may be "not sure / pass" (a question with "abstain": true),
// kept apart from the ballots on the options, and a participant may take their answer back while the round is
// open. Both move a published tally only in steps of min_group, like any changed ballot.
#include <utility>

#include "roundtable/session.hpp"
#include "session_detail.hpp"

namespace roundtable {

using events::event;
using session_detail::json_quoted;

std::size_t session::answers(const round_state& r) {
  return r.ballots.size() + r.abstained.size();
}

bool session::holds_answer(const round_state& r, voter_id who, const answer& a) {
  if (std::holds_alternative<abstention>(a)) return r.abstained.count(who) > 0;
  const auto it = r.ballots.find(who);
  return it != r.ballots.end() && it->second == std::get<ballot>(a);
}

bool session::record_answer(round_state& r, voter_id who, answer a) {
  const bool changed = !holds_answer(r, who, a);
  if (std::holds_alternative<abstention>(a)) {
    r.ballots.erase(who);
    r.abstained.insert(who);
  } else {
    r.abstained.erase(who);
    r.ballots.insert_or_assign(who, std::move(std::get<ballot>(a)));
  }
  return changed;
}

result<std::vector<event>> session::decide_withdraw(const events::voter_key& voter_key, const protocol::withdraw& w,
                                                    const std::string& request) const {
  if (auto live = check_not_ended(); !live) return live.err();
  const auto who = check_joined(voter_key, "withdrawing");
  if (!who) return who.err();
  const auto found = check_question(w.question);
  if (!found) return found.err();
  const question_state& q = **found;
  if (scenario_.stages[q.stage].question->type == question_type::text)
    return error{error_code::invalid_ballot, "text questions take perspectives, which are not withdrawn"};
  // Applied once, like a vote: a resend after a newer ballot (or after the close) is acked and withdraws nothing.
  const std::string content = w.question + "|withdraw";
  if (seen_request(*who, request, content)) return std::vector<event>{};
  const round_state* r = open_round(q);
  if (!r) return error{error_code::voting_closed, "voting on " + json_quoted(w.question) + " is not open"};
  if (!r->ballots.count(*who) && !r->abstained.count(*who)) return std::vector<event>{};  // nothing to withdraw
  return std::vector<event>{events::ballot_withdrawn{w.question, r->number, voter_key, request}};
}

result<session::effects> session::apply_one(const events::ballot_withdrawn& x) {
  const auto target = open_round_of(x.voter, x.question, x.round, "voting on", "is");
  if (!target) return target.err();
  const auto [who, q, r] = *target;
  if (scenario_.stages[q->stage].question->type == question_type::text)
    return error{error_code::invalid_ballot, "text questions take perspectives, which are not withdrawn"};
  const bool had = r->ballots.erase(who) + r->abstained.erase(who) > 0;
  if (!had) return error{error_code::internal, "nothing to withdraw"};
  // A withdrawal changes the tally like a changed ballot: it counts towards the next step of min_group.
  r->dirty.insert(who);
  if (!x.request.empty()) requests_[who].remember(x.request, x.question + "|withdraw");
  return effects{{push_kind::progress, x.question}};
}

}  // namespace roundtable
