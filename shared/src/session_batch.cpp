// One decision's events folded in all or nothing: a decision of several events (end, timeouts) is applied to a
// copy of the session, and the copy replaces the session only when every event applied. fold() is the same
// without the copy, for a follower's state that is rebuilt when an event is refused.
#include "roundtable/session.hpp"

#include <utility>

namespace roundtable {

result<std::vector<effect>> session::apply_all(const std::vector<events::event>& evs) {
  // One event (every vote, join, post): apply refuses with the state unchanged, so no copy is needed.
  if (evs.empty()) return std::vector<effect>{};
  if (evs.size() == 1) return apply(evs.front());
  session next = *this;
  auto all = next.fold(evs);
  if (all) *this = std::move(next);
  return all;
}

result<std::vector<effect>> session::fold(const std::vector<events::event>& evs) {
  std::vector<effect> all;
  for (const auto& e : evs) {
    auto r = apply(e);
    if (!r) return r.err();
    all.insert(all.end(), r->begin(), r->end());
  }
  return all;
}

}  // namespace roundtable
