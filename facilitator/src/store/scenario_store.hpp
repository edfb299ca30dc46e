#pragma once

// Saved cases (issue 10): the format-1 JSON of each case written in the console, by id, with its
// owner and a version that every save of the same id raises. A session never reads a case from
// here after it started: its started event holds its own copy, so editing or deleting a saved
// case changes no running or past session, and replay needs nothing from this table.
//
// Its own connection to the event store's file (event_store::open creates the table), used from
// any thread under one mutex: saves are rare, and the event log's writer keeps its own connection.

#include "store/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace roundtable::store {

struct saved_scenario {
  std::string id;
  std::string owner;
  std::int64_t version = 0;
  std::string title;    // the case's, for the list without parsing every case
  std::string summary;  // likewise
  std::string json;     // the case in file format 1
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

/// What a save did: stored (as `version`), or refused because the id is another owner's or the
/// owner already has `limit` cases.
struct save_outcome {
  enum class kind { saved, taken, full } result = kind::saved;
  std::int64_t version = 0;
};

class scenario_store {
public:
  // Opens the saved cases of a store file that event_store::open has created and migrated;
  // throws std::runtime_error saying what is wrong.
  static std::unique_ptr<scenario_store> open(const std::filesystem::path& file, std::int64_t busy_timeout_ms = 5000);

  // Every saved case, by id.
  std::vector<saved_scenario> list();

  // The saved case with this id, if any.
  std::optional<saved_scenario> find(const std::string& id);

  // Saves the case (its id, owner, title, summary and json; version and times are set here):
  // version 1 for a new id, the next version for the owner's own id; a new id is refused (full)
  // once the owner holds limit cases.
  save_outcome save(const saved_scenario& c, std::int64_t now_ms, std::size_t limit);

  // Deletes the owner's case with this id; false when there is none.
  bool remove(const std::string& id, const std::string& owner);

private:
  explicit scenario_store(sqlite::db db) : db_(std::move(db)) {}

  std::mutex mutex_;
  sqlite::db db_;
};

}  // namespace roundtable::store
