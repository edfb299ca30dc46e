#pragma once

// The facilitators' keys in the SQLite file (the default): the table facilitator_keys comes with the
// event store's migrations (event_store::open, create_schema). Calls are serialised by one mutex, like
// scenario_store's: authentications are rare (a console's requests, an export), never a participant's.

#include <filesystem>
#include <memory>
#include <mutex>

#include "store/key_store.hpp"
#include "store/sqlite.hpp"

namespace roundtable::store {

class sqlite_key_store final : public key_store {
public:
  // Opens the keys of a store file that event_store::open or create_schema has migrated; throws
  // std::runtime_error saying what is wrong.
  static std::unique_ptr<sqlite_key_store> open(const std::filesystem::path& file, std::int64_t busy_timeout_ms = 5000);

  added_key add(const std::string& name, std::int64_t now_ms) override;
  std::vector<key_row> list() override;
  bool revoke(const std::string& name, std::int64_t now_ms) override;
  std::optional<key_holder> authenticate(std::string_view key) override;
  bool active(std::int64_t id) override;

private:
  explicit sqlite_key_store(sqlite::db db) : db_(std::move(db)) {}

  std::mutex mutex_;
  sqlite::db db_;
};

}  // namespace roundtable::store
