// session's fold: apply(event) dispatches to one apply_one overload per event type. Only these change
// the session, for a live command and for replay alike; an illegal transition is refused, state unchanged.
#include "roundtable/session.hpp"

#include <algorithm>
#include <utility>

#include "session_detail.hpp"

namespace roundtable {

using session_detail::json_quoted;
using effects = std::vector<effect>;

result<effects> session::apply(const events::event& e) {
  if (ended_ && !std::holds_alternative<events::ended>(e))
    return error{error_code::session_ended, "the session has ended"};
  return std::visit([this](const auto& x) { return apply_one(x); }, e);
}

result<voter_id> session::known_voter(const events::voter_key& key) const {
  const auto who = voter(key);
  if (!who) return error{error_code::not_joined, "unknown voter"};
  return *who;
}

result<session::question_state*> session::known_question(const std::string& question) {
  auto* q = find(question);
  if (!q) return session_detail::unknown_question(question);
  return q;
}

void session::close_round(const std::string& question, question_state& q) {
  auto& r = q.rounds.back();
  r.open = false;
  r.closes_at_ms.reset();
  // Closing publishes the exact final tally.
  r.last = published{tally_now(question, q), answers(r)};
  r.dirty.clear();
}

result<effects> session::apply_one(const events::started&) {
  return error{error_code::internal, "a session starts only once"};
}

result<effects> session::apply_one(const events::joined& x) {
  if (voter(x.voter)) return error{error_code::bad_message, "this participant joined before"};
  voter_ids_.emplace(x.voter, static_cast<voter_id>(voter_keys_.size()));
  voter_keys_.push_back(x.voter);
  requests_.emplace_back();
  return effects{};
}

result<effects> session::apply_one(const events::stage_shown& x) {
  if (x.index >= scenario_.stages.size())
    return error{error_code::unknown_stage, "no stage " + std::to_string(x.index)};
  stage_ = x.index;
  stage_shown_ms_ = x.at_ms;
  return effects{{push_kind::stage, ""}};
}

result<effects> session::apply_one(const events::round_opened& x) {
  const auto found = known_question(x.question);
  if (!found) return found.err();
  question_state& q = **found;
  if (open_round(q)) return error{error_code::bad_message, "the round is already open"};
  round_state r;
  r.number = static_cast<int>(q.rounds.size()) + 1;
  r.open = true;
  if (x.seconds) r.closes_at_ms = x.at_ms + std::int64_t{*x.seconds} * 1000;
  if (x.deal) {
    if (x.deal->lenses < 0 || static_cast<std::size_t>(x.deal->lenses) > scenario_.models.size() ||
        x.deal->holders.size() != static_cast<std::size_t>(x.deal->lenses))
      return error{error_code::internal, "the deal of " + json_quoted(x.question) + " does not fit the case"};
    for (std::size_t m = 0; m < x.deal->holders.size(); ++m)
      for (const auto v : x.deal->holders[m])
        if (v >= voter_keys_.size() || !r.lens.emplace(v, m).second)
          return error{error_code::internal, "the deal of " + json_quoted(x.question) + " names a voter twice or none"};
    r.deal = x.deal;
  }
  q.rounds.push_back(std::move(r));
  effects out{{push_kind::round, x.question}};
  // Participants on this question's stage learn the lens they were dealt.
  const stage& shown = scenario_.stages[stage_];
  if (x.deal && (shown.id == x.question || (shown.kind == stage_kind::revote && shown.of == x.question)))
    out.push_back({push_kind::stage, ""});
  // A new round is voted blind: hidden until the next reveal.
  if (q.revealed) {
    q.revealed = false;
    out.push_back({push_kind::hidden, x.question});
  }
  out.push_back({push_kind::results, x.question});
  out.push_back({push_kind::progress, x.question});
  return out;
}

result<effects> session::apply_one(const events::round_closed& x) {
  const auto found = known_question(x.question);
  if (!found) return found.err();
  question_state& q = **found;
  if (!open_round(q)) return error{error_code::voting_closed, "the round is not open"};
  close_round(x.question, q);
  return effects{{push_kind::round, x.question}, {push_kind::results, x.question}};
}

result<session::round_target> session::open_round_of(const events::voter_key& voter, const std::string& question,
                                                     int round, std::string_view what, std::string_view is) {
  const auto who = known_voter(voter);
  if (!who) return who.err();
  const auto found = known_question(question);
  if (!found) return found.err();
  round_state* r = open_round(**found);
  if (!r || r->number != round)
    return error{error_code::voting_closed,
                 std::string(what) + " " + json_quoted(question) + " " + std::string(is) + " not open"};
  return round_target{*who, *found, r};
}

result<effects> session::apply_one(const events::ballot_cast& x) {
  const auto target = open_round_of(x.voter, x.question, x.round, "voting on", "is");
  if (!target) return target.err();
  const auto [who, qp, r] = *target;
  question_state& q = *qp;
  const question& qd = *scenario_.stages[q.stage].question;
  const auto assigned = lens_in(qd, *r, who);
  if (deals_lenses(qd) && r->deal && r->deal->lenses > 0 && !assigned)
    return error{error_code::internal, "no lens was dealt to this voter in " + json_quoted(x.question)};
  auto a = parse_answer(scenario_, qd, x.ballot, assigned);
  if (!a) return a.err();
  if (record_answer(*r, who, std::move(*a))) r->dirty.insert(who);
  if (!x.request.empty()) requests_[who].remember(x.request, x.question + "|" + x.ballot.dump());
  return effects{{push_kind::progress, x.question}};
}

result<effects> session::apply_one(const events::revealed& x) {
  const auto found = known_question(x.question);
  if (!found) return found.err();
  question_state& q = **found;
  q.revealed = true;
  effects out{{push_kind::results, x.question}};
  if (scenario_.stages[q.stage].question->type == question_type::text)
    out.push_back({push_kind::perspectives, x.question});
  return out;
}

result<effects> session::apply_one(const events::hidden& x) {
  const auto found = known_question(x.question);
  if (!found) return found.err();
  (*found)->revealed = false;
  return effects{{push_kind::hidden, x.question}};
}

result<effects> session::apply_one(const events::tally_published& x) {
  auto* q = find(x.question);
  round_state* r = q ? open_round(*q) : nullptr;
  // The overall step only: a log written before the per-model rule still replays.
  if (!r || r->number != x.round || r->dirty.size() < static_cast<std::size_t>(min_group_))
    return error{error_code::internal, "no tally is due for " + json_quoted(x.question)};
  r->last = published{tally_now(x.question, *q), answers(*r)};
  r->dirty.clear();
  return effects{{push_kind::results, x.question}};
}

result<effects> session::apply_one(const events::perspective_posted& x) {
  const auto target = open_round_of(x.voter, x.question, x.round, "perspectives on", "are");
  if (!target) return target.err();
  const auto [who, qp, r] = *target;
  question_state& q = *qp;
  if (x.id.empty() || perspective_index_.count(x.id))
    return error{error_code::internal, "perspective id missing or used"};
  perspective_index_.emplace(x.id, perspectives_.size());
  q.perspectives.push_back(perspectives_.size());
  perspectives_.push_back({x.id, x.question, x.round, who, x.text, false, {}});
  r->posters.insert(who);
  const bool new_author = q.authors.insert(who).second;
  if (!x.request.empty()) requests_[who].remember(x.request, x.question + "|" + x.text);
  // Participants' set changes only when this post brings the authors to the threshold.
  const bool crossed =
      new_author && q.authors.size() == static_cast<std::size_t>(min_group_) &&
      std::any_of(q.perspectives.begin(), q.perspectives.end(), [&](std::size_t i) { return perspectives_[i].shown; });
  return effects{{push_kind::perspectives, x.question, crossed}, {push_kind::progress, x.question}};
}

result<effects> session::apply_one(const events::perspective_moderated& x) {
  const auto it = perspective_index_.find(x.id);
  if (it == perspective_index_.end()) return error{error_code::unknown_perspective, "no perspective"};
  auto& p = perspectives_[it->second];
  p.shown = x.shown;
  const bool everyone = perspectives_unlocked(*find(p.question));
  return effects{{push_kind::perspectives, p.question, everyone}};
}

result<effects> session::apply_one(const events::endorsed& x) {
  const auto who = known_voter(x.voter);
  if (!who) return who.err();
  const auto it = perspective_index_.find(x.perspective);
  if (it == perspective_index_.end()) return error{error_code::unknown_perspective, "no perspective"};
  auto& p = perspectives_[it->second];
  if (p.author == *who) return error{error_code::invalid_ballot, "own perspective"};
  p.endorsers.insert(*who);
  // The counts anyone sees move only once min_group distinct participants endorsed since they last moved
  // (like a tally), then all of the question's counts at once: a count seen to move right after one tap
  // cannot be pinned on the tapper (issue 12 item 12).
  auto& q = *find(p.question);
  q.endorsing.insert(*who);
  if (q.endorsing.size() < static_cast<std::size_t>(min_group_)) return effects{};
  for (const auto i : q.perspectives) perspectives_[i].endorsements_shown = perspectives_[i].endorsers.size();
  q.endorsing.clear();
  return effects{{push_kind::perspectives, p.question}};
}

result<effects> session::apply_one(const events::ended& x) {
  if (ended_) return effects{};
  effects out;
  for (auto& [id, q] : questions_) {
    if (!open_round(q)) continue;
    close_round(id, q);
    out.push_back({push_kind::round, id});
    out.push_back({push_kind::results, id});
  }
  ended_ = true;
  ended_ms_ = x.at_ms;
  out.push_back({push_kind::ended, ""});
  return out;
}

}  // namespace roundtable
