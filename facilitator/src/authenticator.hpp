// Turns a key into the principal it stands for, and tells before each request whether that key still
// works: the admin key, a facilitator's key (store/key_store.hpp, read on every check, so a revocation
// from the command line takes effect at once), or a session's co-host key (cohost_keys.hpp).
// Thread-safe. Rate limits on wrong keys stay with the callers (the router and the HTTP routes).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cohost_keys.hpp"
#include "principal.hpp"
#include "room_registry.hpp"

namespace roundtable::store {
class key_store;
}

namespace roundtable::facilitator {

class authenticator {
public:
  authenticator(std::string admin_key, store::key_store& keys, const room_registry& rooms);

  /// Who the key stands for, or nothing for a wrong key (a revoked one, a co-host key whose session ended).
  std::optional<principal> identify(std::string_view key);
  /// True while p's key still works: a facilitator's not revoked, a co-host's not replaced and its
  /// session still running.
  bool still_valid(const principal& p);
  /// A new co-host key for the session (replacing the one it had).
  std::string mint_cohost(const std::string& code) { return cohosts_.mint(code); }
  /// Forgets a purged session's co-host key.
  void forget_cohost(const std::string& code) { cohosts_.forget(code); }

private:
  /// True while the co-host's session runs; forgets the key of one that ended or is gone.
  bool session_running(const std::string& code);

  std::string admin_key_;
  store::key_store& keys_;
  const room_registry& rooms_;
  cohost_keys cohosts_;
};

}  // namespace roundtable::facilitator
