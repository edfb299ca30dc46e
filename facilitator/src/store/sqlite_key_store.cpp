#include "store/sqlite_key_store.hpp"

#include <stdexcept>

#include "crypto.hpp"

namespace roundtable::store {

namespace {

// The first schema version that holds facilitator_keys (event_store.cpp's migrations).
constexpr std::int64_t facilitator_keys_version = 3;
}  // namespace

std::unique_ptr<sqlite_key_store> sqlite_key_store::open(const std::filesystem::path& file,
                                                         std::int64_t busy_timeout_ms) {
  try {
    auto db = sqlite::db::open(file, false, busy_timeout_ms);
    if (db.query_int("PRAGMA user_version") < facilitator_keys_version)
      throw std::runtime_error("'" + file.string() +
                               "' has no facilitator keys table; open it as an event store first");
    db.exec("PRAGMA secure_delete=ON");
    db.exec("PRAGMA synchronous=FULL");
    return std::unique_ptr<sqlite_key_store>(new sqlite_key_store(std::move(db)));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("cannot open the facilitator keys: ") + e.what());
  }
}

added_key sqlite_key_store::add(const std::string& name, std::int64_t now_ms) {
  if (!valid_key_name(name)) return {added_key::kind::bad_name, {}};
  std::lock_guard lock(mutex_);
  sqlite::transaction t(db_);
  {
    sqlite::statement working(db_, "SELECT 1 FROM facilitator_keys WHERE name = ?1 AND revoked_ms IS NULL");
    working.bind_text(1, name);
    if (working.step()) return {added_key::kind::taken, {}};
  }
  auto key = new_key();
  sqlite::statement insert(db_, "INSERT INTO facilitator_keys(name, hash, created_ms) VALUES (?1, ?2, ?3)");
  insert.bind_text(1, name);
  insert.bind_text(2, crypto::sha256_hex(key));
  insert.bind(3, now_ms);
  insert.step();
  t.commit();
  return {added_key::kind::added, std::move(key)};
}

std::vector<key_row> sqlite_key_store::list() {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "SELECT name, created_ms, revoked_ms FROM facilitator_keys ORDER BY name, id");
  std::vector<key_row> rows;
  while (q.step()) rows.push_back({q.column_text(0), q.column_int(1), q.column_int(2)});
  return rows;
}

bool sqlite_key_store::revoke(const std::string& name, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "UPDATE facilitator_keys SET revoked_ms = ?2 WHERE name = ?1 AND revoked_ms IS NULL");
  q.bind_text(1, name);
  q.bind(2, now_ms);
  q.step();
  return db_.changes() > 0;
}

std::optional<key_holder> sqlite_key_store::authenticate(std::string_view key) {
  const auto hash = crypto::sha256_hex(key);
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "SELECT id, name, hash FROM facilitator_keys WHERE revoked_ms IS NULL");
  std::optional<key_holder> found;
  while (q.step()) {
    const bool same = crypto::constant_time_equal(q.column_text(2), hash);
    if (same && !found) found = key_holder{q.column_int(0), q.column_text(1)};
  }
  return found;
}

bool sqlite_key_store::active(std::int64_t id) {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "SELECT 1 FROM facilitator_keys WHERE id = ?1 AND revoked_ms IS NULL");
  q.bind(1, id);
  return q.step();
}

}  // namespace roundtable::store
