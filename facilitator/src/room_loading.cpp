// Where several servers share the log (`serve --nats`): a session started on another server is loaded
// from the store the first time someone here names its code, and every held room follows the stream.
#include "log.hpp"
#include "room_registry.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

std::shared_ptr<room> room_registry::hold(std::shared_ptr<room> r) const {
  {
    std::lock_guard lock(mutex_);
    const auto [it, added] = rooms_.try_emplace(r->code(), r);
    if (!added && it->second != r) return it->second;  // another thread loaded it first: that one follows
  }
  if (!services_.cluster) return r;
  try {
    services_.cluster->follow(r);
    r->watch_stream();
  } catch (const std::exception& e) {
    // Served all the same: its writes still carry the expected sequence, and each one another server beat reloads it.
    log::write(log::level::error, "session_follow_failed", std::string("cannot follow the stream: ") + e.what(),
               {{"code", r->code()}});
  }
  return r;
}

std::shared_ptr<room> room_registry::load(const std::string& code) const {
  if (!is_code(code)) return nullptr;
  try {
    const auto row = services_.store.session(code);
    if (!row) return nullptr;
    auto r = rebuild(code, row->hmac_key);
    if (!r) {
      quarantine(code, r.err().message);
      return nullptr;
    }
    if (*r == nullptr) return nullptr;  // its started event is not stored (yet)
    (*r)->resume_timers();
    return hold(std::move(*r));
  } catch (const std::exception& e) {
    log::write(log::level::error, "session_load_failed", std::string("cannot load the session: ") + e.what(),
               {{"code", code}});
    return nullptr;
  }
}

}  // namespace roundtable::facilitator
