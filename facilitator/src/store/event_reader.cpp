#include "store/event_reader.hpp"

#include <stdexcept>

namespace roundtable::store {

std::unique_ptr<event_reader> event_reader::open(const std::filesystem::path& file, std::int64_t busy_timeout_ms) {
  try {
    auto db = sqlite::db::open_read_only(file, busy_timeout_ms);
    const auto version = db.query_int("PRAGMA user_version");
    if (version == 0) throw std::runtime_error("'" + file.string() + "' is not a Roundtable database");
    if (version > schema_version)
      throw std::runtime_error("'" + file.string() + "' has schema version " + std::to_string(version) +
                               ", newer than this program knows (" + std::to_string(schema_version) +
                               "): use a newer facilitator");
    return std::make_unique<event_reader>(std::move(db));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("cannot read the event store: ") + e.what());
  }
}

event_reader::event_reader(sqlite::db connection) : db_(std::move(connection)) {
  db_.exec("PRAGMA query_only=ON");
}

std::vector<session_row> event_reader::sessions() {
  std::lock_guard lock(mutex_);
  sqlite::statement query(db_,
                          "SELECT code, hmac_key, created_ms, ended_ms FROM sessions "
                          "ORDER BY created_ms, code");
  std::vector<session_row> rows;
  while (query.step()) {
    session_row row;
    row.code = query.column_text(0);
    row.hmac_key = query.column_blob(1);
    row.created_ms = query.column_int(2);
    if (!query.column_is_null(3)) row.ended_ms = query.column_int(3);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> event_reader::events(const std::string& code) {
  std::lock_guard lock(mutex_);
  sqlite::statement query(db_, "SELECT payload FROM events WHERE session = ?1 ORDER BY seq");
  query.bind_text(1, code);
  std::vector<std::string> payloads;
  while (query.step()) payloads.push_back(query.column_text(0));
  return payloads;
}

bool event_reader::code_used(const std::string& code) {
  std::lock_guard lock(mutex_);
  sqlite::statement query(db_, "SELECT 1 FROM used_codes WHERE code = ?1");
  query.bind_text(1, code);
  return query.step();
}

}  // namespace roundtable::store
