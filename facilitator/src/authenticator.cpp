#include "authenticator.hpp"

#include "crypto.hpp"
#include "log.hpp"
#include "store/key_store.hpp"

namespace roundtable::facilitator {

namespace {

// Runs a read of the keys' table; a database that cannot be read fails closed (no facilitator key
// works meanwhile, the admin key does), logged, never thrown into the transport.
template <class F>
auto reading_keys(F fn, decltype(fn()) failed) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    log::write(log::level::error, "keys_unreadable",
               std::string("the facilitator keys could not be read: ") + e.what());
    return failed;
  }
}

}  // namespace

authenticator::authenticator(std::string admin_key, store::key_store& keys, const room_registry& rooms)
    : admin_key_(std::move(admin_key)), keys_(keys), rooms_(rooms) {}

std::optional<principal> authenticator::identify(std::string_view key) {
  // Every kind is looked at whatever matched, so the time does not tell which kind a key is.
  const bool admin = crypto::constant_time_equal(key, admin_key_);
  const auto holder = reading_keys([&] { return keys_.authenticate(key); }, std::optional<store::key_holder>());
  const auto cohost = cohosts_.find(key);
  if (admin) return principal::admin();
  if (holder) return principal{principal::kind::facilitator, holder->name, holder->id, {}, {}};
  if (cohost && session_running(cohost->code))
    return principal{principal::kind::cohost, {}, 0, cohost->code, cohost->hash};
  return std::nullopt;
}

bool authenticator::still_valid(const principal& p) {
  switch (p.role) {
    case principal::kind::admin:
      return true;
    case principal::kind::facilitator:
      return reading_keys([&] { return keys_.active(p.key_id); }, false);
    case principal::kind::cohost:
      return cohosts_.current(p.session, p.key_hash) && session_running(p.session);
  }
  return false;
}

bool authenticator::session_running(const std::string& code) {
  const auto r = rooms_.find(code);
  if (r && !r->summary().ended) return true;
  cohosts_.forget(code);
  return false;
}

}  // namespace roundtable::facilitator
