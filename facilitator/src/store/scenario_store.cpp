#include "store/scenario_store.hpp"

#include <stdexcept>

namespace roundtable::store {

namespace {

// The first schema version that holds saved_scenarios (event_store.cpp's migrations).
constexpr std::int64_t saved_scenarios_version = 2;

saved_scenario read_row(const sqlite::statement& q) {
  return {q.column_text(0), q.column_text(1), q.column_int(2), q.column_text(3),
          q.column_text(4), q.column_text(5), q.column_int(6), q.column_int(7)};
}

constexpr const char* columns =
    "SELECT id, owner, version, title, summary, json, created_ms, updated_ms FROM saved_scenarios";

}  // namespace

std::unique_ptr<scenario_store> scenario_store::open(const std::filesystem::path& file, std::int64_t busy_timeout_ms) {
  try {
    auto db = sqlite::db::open(file, false, busy_timeout_ms);
    if (db.query_int("PRAGMA user_version") < saved_scenarios_version)
      throw std::runtime_error("'" + file.string() + "' has no saved cases table; open it as an event store first");
    // A deleted or replaced case is overwritten in the file, not left in its free pages.
    db.exec("PRAGMA secure_delete=ON");
    db.exec("PRAGMA synchronous=FULL");
    return std::unique_ptr<scenario_store>(new scenario_store(std::move(db)));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("cannot open the saved cases: ") + e.what());
  }
}

std::vector<saved_scenario> scenario_store::list() {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, std::string(columns) + " ORDER BY id");
  std::vector<saved_scenario> rows;
  while (q.step()) rows.push_back(read_row(q));
  return rows;
}

std::optional<saved_scenario> scenario_store::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, std::string(columns) + " WHERE id = ?1");
  q.bind_text(1, id);
  if (!q.step()) return std::nullopt;
  return read_row(q);
}

save_outcome scenario_store::save(const saved_scenario& c, std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  sqlite::transaction t(db_);
  std::int64_t version = 1;
  {
    sqlite::statement current(db_, "SELECT owner, version FROM saved_scenarios WHERE id = ?1");
    current.bind_text(1, c.id);
    if (current.step()) {
      if (current.column_text(0) != c.owner) return {save_outcome::kind::taken, 0};
      version = current.column_int(1) + 1;
    } else {
      sqlite::statement count(db_, "SELECT COUNT(*) FROM saved_scenarios WHERE owner = ?1");
      count.bind_text(1, c.owner);
      count.step();
      if (static_cast<std::size_t>(count.column_int(0)) >= limit) return {save_outcome::kind::full, 0};
    }
  }
  // One statement for both: a new row, or the owner's row with the next version.
  sqlite::statement upsert(db_,
                           "INSERT INTO saved_scenarios(id, owner, version, title, summary, json, created_ms, "
                           "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT(id) DO UPDATE SET "
                           "version = excluded.version, title = excluded.title, summary = excluded.summary, "
                           "json = excluded.json, updated_ms = excluded.updated_ms");
  upsert.bind_text(1, c.id);
  upsert.bind_text(2, c.owner);
  upsert.bind(3, version);
  upsert.bind_text(4, c.title);
  upsert.bind_text(5, c.summary);
  upsert.bind_text(6, c.json);
  upsert.bind(7, now_ms);
  upsert.step();
  t.commit();
  return {save_outcome::kind::saved, version};
}

bool scenario_store::remove(const std::string& id, const std::string& owner) {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "DELETE FROM saved_scenarios WHERE id = ?1 AND owner = ?2");
  q.bind_text(1, id);
  q.bind_text(2, owner);
  q.step();
  return db_.changes() > 0;
}

}  // namespace roundtable::store
