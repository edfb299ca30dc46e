// session's lenses (issue 11 item 2): an assigned model_outcome question deals its lenses over the participants
// present when a round opens (decide_deal, stored in round_opened); a participant who comes later is dealt one
// by late_lens (a lens_dealt event); apply and replay only read what was stored.
#include <algorithm>

#include "roundtable/session.hpp"
#include "session_detail.hpp"

namespace roundtable {

using events::event;
using session_detail::json_quoted;

int session::lenses() const {
  return lenses_.value_or(static_cast<int>(scenario_.models.size()));
}

bool session::deals_lenses(const question& qd) const {
  return qd.type == question_type::model_outcome && qd.assign && !scenario_.models.empty();
}

std::optional<std::size_t> session::preferred_lens(const question_state& q, voter_id who, int lenses) const {
  if (lenses <= 0) return std::nullopt;
  const auto k = static_cast<std::size_t>(lenses);
  if (!q.rounds.empty()) {
    const auto it = q.rounds.back().lens.find(who);
    if (it != q.rounds.back().lens.end() && it->second < k) return it->second;
  }
  return static_cast<std::size_t>(who) % k;
}

std::optional<std::size_t> session::lens_in(const question& qd, const round_state& r, voter_id who) const {
  if (!deals_lenses(qd)) return std::nullopt;
  // A round from an older log: everyone who ever joined, by join order over every model.
  if (!r.deal) return static_cast<std::size_t>(who) % scenario_.models.size();
  const auto it = r.lens.find(who);
  if (it == r.lens.end()) return std::nullopt;
  return it->second;
}

result<std::optional<lens_deal>> session::decide_deal(const question_state& q, const protocol::open& o,
                                                      const std::vector<events::voter_key>& present) const {
  const question& qd = *scenario_.stages[q.stage].question;
  if (!deals_lenses(qd)) {
    if (o.lenses)
      return error{error_code::bad_message,
                   json_quoted(o.question) + " deals no lenses (only an assigned model_outcome question does)"};
    return std::optional<lens_deal>{};
  }
  const int k = o.lenses.value_or(lenses());
  if (auto fits = check_lenses(scenario_, k, "lenses"); !fits) return fits.err();
  std::vector<voter_id> ids;
  for (const auto& key : present)
    if (const auto v = voter(key)) ids.push_back(*v);
  return std::optional<lens_deal>{deal_lenses(std::move(ids), k, [&](voter_id v) { return preferred_lens(q, v, k); })};
}

std::optional<events::lens_dealt> session::late_deal(const std::string& question, const question_state& q,
                                                     const round_state& r, const events::voter_key& key,
                                                     voter_id who) const {
  if (!r.open || !r.deal || r.deal->lenses <= 0 || r.lens.count(who)) return std::nullopt;
  // Their preference is the lens they held in the round before this one, else their join order.
  std::optional<std::size_t> preferred = static_cast<std::size_t>(who) % static_cast<std::size_t>(r.deal->lenses);
  if (q.rounds.size() >= 2) {
    const auto& before = q.rounds[q.rounds.size() - 2].lens;
    if (const auto it = before.find(who); it != before.end() && it->second < r.deal->holders.size())
      preferred = it->second;
  }
  return events::lens_dealt{question, r.number, key, late_lens(*r.deal, preferred)};
}

std::vector<event> session::decide_join(const events::voter_key& voter_key) const {
  if (ended_) return {};
  std::vector<event> out;
  const auto known = voter(voter_key);
  if (!known) out.emplace_back(events::joined{voter_key});
  const voter_id who = known ? *known : static_cast<voter_id>(voter_keys_.size());
  for (const auto& [id, q] : questions_) {
    const round_state* r = open_round(q);
    if (!r) continue;
    if (auto d = late_deal(id, q, *r, voter_key, who)) out.emplace_back(std::move(*d));
  }
  return out;
}

result<session::effects> session::apply_one(const events::lens_dealt& x) {
  const auto target = open_round_of(x.voter, x.question, x.round, "voting on", "is");
  if (!target) return target.err();
  const auto [who, q, r] = *target;
  if (!r->deal || x.model >= r->deal->holders.size())
    return error{error_code::internal, "round " + std::to_string(x.round) + " of " + json_quoted(x.question) +
                                           " deals no lens " + std::to_string(x.model)};
  if (!r->lens.emplace(who, x.model).second) return error{error_code::internal, "a lens was dealt to them already"};
  auto& holders = r->deal->holders[x.model];
  holders.insert(std::upper_bound(holders.begin(), holders.end(), who), who);
  return effects{};
}

std::optional<std::size_t> session::assigned_model(const events::voter_key& key) const {
  const stage& st = scenario_.stages[stage_];
  return assigned_model(key, st.kind == stage_kind::revote ? st.of : st.id);
}

std::optional<std::size_t> session::assigned_model(const events::voter_key& key, const std::string& qid) const {
  const auto who = voter(key);
  const auto* q = find(qid);
  if (!who || !q || !deals_lenses(*scenario_.stages[q->stage].question)) return std::nullopt;
  // Before the first round: the lens the deal would keep for them if everyone were present.
  if (q->rounds.empty()) return preferred_lens(*q, *who, lenses());
  const round_state& r = q->rounds.back();
  if (!r.deal) return static_cast<std::size_t>(*who) % scenario_.models.size();
  if (r.deal->lenses <= 0) return std::nullopt;
  if (const auto it = r.lens.find(*who); it != r.lens.end()) return it->second;
  if (const auto late = late_deal(qid, *q, r, key, *who)) return late->model;
  return preferred_lens(*q, *who, r.deal->lenses);
}

question session::as_tallied(const question& qd, const question_state& q, std::size_t k) const {
  question out = qd;
  const auto every_lens = [&](std::size_t i) { return q.rounds[i].deal && q.rounds[i].deal->lenses <= 0; };
  // A row or a model's transitions are held back as for any assigned round unless both rounds compared
  // dealt no lens (each row then counts every ballot).
  if (out.assign && every_lens(k) && (k == 0 || every_lens(k - 1))) out.assign = false;
  return out;
}

}  // namespace roundtable
