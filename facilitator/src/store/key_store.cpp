#include "store/key_store.hpp"

#include <stdexcept>

#include "crypto.hpp"

namespace roundtable::store {

namespace {

// The first schema version that holds facilitator_keys (event_store.cpp's migrations).
constexpr std::int64_t facilitator_keys_version = 3;
// 32 characters of 64 symbols: 192 bits, far beyond guessing (the admin key asks for 128).
constexpr std::size_t key_chars = 32;
constexpr std::size_t max_name = 32;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

bool valid_key_name(std::string_view name) {
  if (name.empty() || name.size() > max_name || name == "admin") return false;
  if (name.front() == '-' || name.front() == '_') return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

std::unique_ptr<key_store> key_store::open(const std::filesystem::path& file, std::int64_t busy_timeout_ms) {
  try {
    auto db = sqlite::db::open(file, false, busy_timeout_ms);
    if (db.query_int("PRAGMA user_version") < facilitator_keys_version)
      throw std::runtime_error("'" + file.string() +
                               "' has no facilitator keys table; open it as an event store first");
    db.exec("PRAGMA secure_delete=ON");
    db.exec("PRAGMA synchronous=FULL");
    return std::unique_ptr<key_store>(new key_store(std::move(db)));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("cannot open the facilitator keys: ") + e.what());
  }
}

added_key key_store::add(const std::string& name, std::int64_t now_ms) {
  if (!valid_key_name(name)) return {added_key::kind::bad_name, {}};
  std::lock_guard lock(mutex_);
  sqlite::transaction t(db_);
  {
    sqlite::statement working(db_, "SELECT 1 FROM facilitator_keys WHERE name = ?1 AND revoked_ms IS NULL");
    working.bind_text(1, name);
    if (working.step()) return {added_key::kind::taken, {}};
  }
  auto key = crypto::random_token(key_chars);
  sqlite::statement insert(db_, "INSERT INTO facilitator_keys(name, hash, created_ms) VALUES (?1, ?2, ?3)");
  insert.bind_text(1, name);
  insert.bind_text(2, crypto::sha256_hex(key));
  insert.bind(3, now_ms);
  insert.step();
  t.commit();
  return {added_key::kind::added, std::move(key)};
}

std::vector<key_row> key_store::list() {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "SELECT name, created_ms, revoked_ms FROM facilitator_keys ORDER BY name, id");
  std::vector<key_row> rows;
  while (q.step()) rows.push_back({q.column_text(0), q.column_int(1), q.column_int(2)});
  return rows;
}

bool key_store::revoke(const std::string& name, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "UPDATE facilitator_keys SET revoked_ms = ?2 WHERE name = ?1 AND revoked_ms IS NULL");
  q.bind_text(1, name);
  q.bind(2, now_ms);
  q.step();
  return db_.changes() > 0;
}

std::optional<key_holder> key_store::authenticate(std::string_view key) {
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

bool key_store::active(std::int64_t id) {
  std::lock_guard lock(mutex_);
  sqlite::statement q(db_, "SELECT 1 FROM facilitator_keys WHERE id = ?1 AND revoked_ms IS NULL");
  q.bind(1, id);
  return q.step();
}

}  // namespace roundtable::store
