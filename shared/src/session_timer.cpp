// session's timers that bend (issue 11 item 5): `open` on an open round with seconds sets its timer again
// (longer or shorter, from now), and a discussion stage may count down while it is shown.
#include <algorithm>

#include "roundtable/session.hpp"
#include "session_detail.hpp"

namespace roundtable {

using events::event;

result<std::vector<event>> session::decide_retime(const protocol::open& o, const round_state& r,
                                                  std::int64_t now_ms) const {
  // Without seconds it is the contract's idempotent open: acked, nothing changes.
  if (!o.seconds) return std::vector<event>{};
  return std::vector<event>{events::timer_set{o.question, r.number, *o.seconds, now_ms}};
}

result<session::effects> session::apply_one(const events::timer_set& x) {
  auto* q = find(x.question);
  if (!q) return session_detail::unknown_question(x.question);
  round_state* r = open_round(*q);
  if (!r || r->number != x.round)
    return error{error_code::voting_closed, "voting on " + session_detail::json_quoted(x.question) + " is not open"};
  if (x.seconds < min_round_seconds || x.seconds > max_round_seconds)
    return error{error_code::bad_message, "seconds must be from 5 to 3600"};
  r->closes_at_ms = x.at_ms + std::int64_t{x.seconds} * 1000;
  // The round push carries the new closes_in, and the server re-arms its timer on it.
  return effects{{push_kind::round, x.question}};
}

void session::add_stage_timer(nlohmann::json& view, std::size_t index, std::int64_t now_ms) const {
  const auto& seconds = scenario_.stages[index].seconds;
  if (!seconds) return;
  view["seconds"] = *seconds;
  // The time left only for the stage on screen, and only when the log says when it was shown.
  if (index != stage_ || stage_shown_ms_ == 0) return;
  const std::int64_t ends = stage_shown_ms_ + std::int64_t{*seconds} * 1000;
  view["ends_in"] = std::max<std::int64_t>(0, (ends - now_ms + 999) / 1000);
}

}  // namespace roundtable
