// Session-scoped co-host keys (docs/protocol.md "cohost_key"): at most one per session, held in memory
// as a hash only. Minting again replaces the session's key (the old one stops working at its next
// request); a restart forgets them all, and a key stops working when its session ends (authenticator).
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace roundtable::facilitator {

class cohost_keys {
public:
  /// A fresh key for the session, replacing the one it had.
  std::string mint(const std::string& code);
  /// The session and hash of a key, or nothing; every hash is compared in constant time.
  struct found {
    std::string code;
    std::string hash;
  };
  std::optional<found> find(std::string_view key) const;
  /// True while hash is still the session's key (not replaced, not forgotten).
  bool current(const std::string& code, const std::string& hash) const;
  /// Forgets the session's key (it ended, or was purged).
  void forget(const std::string& code);

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> hash_by_code_;
};

}  // namespace roundtable::facilitator
