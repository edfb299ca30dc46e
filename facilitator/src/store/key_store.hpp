#pragma once

// Facilitator keys (issue 10, "several facilitators"): a name per key, and of the key only its SHA-256.
// `facilitator keys add|list|revoke` write them offline; a running server reads them through its own
// connection on every authentication, so a key revoked from the command line stops working at the
// server's next request, without a restart or any signal.
//
// The table comes with the event store's migrations (event_store::open, create_schema); the store's
// calls are serialised by one mutex, like scenario_store's: authentications are rare (a console's
// requests, an export), never a participant's.

#include "store/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
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

class key_store {
public:
  // Opens the keys of a store file that event_store::open or create_schema has migrated; throws
  // std::runtime_error saying what is wrong.
  static std::unique_ptr<key_store> open(const std::filesystem::path& file, std::int64_t busy_timeout_ms = 5000);

  /// Makes a random key for name (refused while the name has a working key) and stores its hash.
  added_key add(const std::string& name, std::int64_t now_ms);
  /// Every key ever made, working or revoked, by name then age.
  std::vector<key_row> list();
  /// Revokes the name's working key; false when it has none.
  bool revoke(const std::string& name, std::int64_t now_ms);
  /// The holder of a working key, or nothing. Every working key's hash is compared in constant time
  /// (the comparisons do not stop at a match), so the time tells nothing of which hash came close.
  std::optional<key_holder> authenticate(std::string_view key);
  /// True while the key with this id works (not revoked): checked before each request of a console.
  bool active(std::int64_t id);

private:
  explicit key_store(sqlite::db db) : db_(std::move(db)) {}

  std::mutex mutex_;
  sqlite::db db_;
};

}  // namespace roundtable::store
