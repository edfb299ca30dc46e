#pragma once

// Reads an event store's sessions and events on one connection: the served
// store's second connection (WAL lets it read while the writer writes), and the
// commands that only read (export, the checks before a purge, the tests), which
// open the file read-only so a mistyped name is an error, not a new empty store.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/log_store.hpp"
#include "store/sqlite.hpp"

namespace roundtable::store {

// The schema version (PRAGMA user_version) this program writes and reads.
inline constexpr std::int64_t schema_version = 3;

class event_reader final : public log_reader {
public:
  // Opens an existing store file read-only, never creating or changing it;
  // throws std::runtime_error saying what is wrong (no such file, not a
  // Roundtable database, a newer schema).
  static std::unique_ptr<event_reader> open(const std::filesystem::path& file, std::int64_t busy_timeout_ms = 5000);

  // Reads through a connection the caller opened (query_only is set here).
  explicit event_reader(sqlite::db connection);

  event_reader(const event_reader&) = delete;
  event_reader& operator=(const event_reader&) = delete;

  // Every session in the store, ordered by creation time.
  std::vector<session_row> sessions() override;

  // The session's event payloads in seq order (empty for an unknown code).
  std::vector<std::string> events(const std::string& code) override;

  // True when the code was ever given to a session here, purged ones too.
  bool code_used(const std::string& code) override;

  // Holds every read off while the lock lives (the writer's TRUNCATE checkpoint needs no reader).
  std::unique_lock<std::mutex> hold_off() { return std::unique_lock(mutex_); }

private:
  std::mutex mutex_;
  sqlite::db db_;
};

}  // namespace roundtable::store
