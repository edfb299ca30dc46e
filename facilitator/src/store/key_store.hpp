#pragma once

// Facilitator keys (issue 10, "several facilitators"): a name per key, and of the key only its SHA-256.
// `facilitator keys add|list|revoke` write them offline; a running server reads them on every
// authentication, so a key revoked from the command line stops working at the server's next request,
// without a restart or any signal. Two stores keep them: the SQLite file (sqlite_key_store.hpp, the
// default) and, for servers that share a JetStream cluster, a KV bucket (jetstream_key_store.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roundtable::store {

/// One key as `keys list` shows it: never the key, never its hash.
struct key_row {
  std::string name;
  std::int64_t created_ms = 0;
  std::int64_t revoked_ms = 0;  // 0 while it works
};

/// A key that authenticated: its row's id (to check again later that it still works) and its name.
struct key_holder {
  std::int64_t id = 0;
  std::string name;
};

/// What `add` did: the new key (shown once), or why none was made.
struct added_key {
  enum class kind { added, bad_name, taken } result = kind::added;
  std::string key;
};

/// True for a name a key may have: 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or digit,
/// and not "admin" (the server's own key owns what it makes under that name).
bool valid_key_name(std::string_view name);

/// Where the keys are kept. Calls may come from any thread.
class key_store {
public:
  virtual ~key_store() = default;

  /// Makes a random key for name (refused while the name has a working key) and stores its hash.
  virtual added_key add(const std::string& name, std::int64_t now_ms) = 0;
  /// Every key ever made, working or revoked, by name then age.
  virtual std::vector<key_row> list() = 0;
  /// Revokes the name's working key; false when it has none.
  virtual bool revoke(const std::string& name, std::int64_t now_ms) = 0;
  /// The holder of a working key, or nothing. Every working key's hash is compared in constant time
  /// (the comparisons do not stop at a match), so the time tells nothing of which hash came close.
  virtual std::optional<key_holder> authenticate(std::string_view key) = 0;
  /// True while the key with this id works (not revoked): checked before each request of a console.
  virtual bool active(std::int64_t id) = 0;
};

/// A new key of 32 characters (192 bits) as `add` prints it.
std::string new_key();

}  // namespace roundtable::store
