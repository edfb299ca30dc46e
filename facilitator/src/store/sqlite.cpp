#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <climits>
#include <stdexcept>

namespace roundtable::store::sqlite {

void check(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  // The connection's message is more precise ("no such table: x") than the
  // code's generic text, but only when it belongs to this error.
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  if (db != nullptr && (code & 0xff) != (rc & 0xff)) {
    message = sqlite3_errstr(rc);
    code = rc;
  }
  throw std::runtime_error(std::string(what) + ": " + message + " (extended code " + std::to_string(code) + ")");
}

void db_deleter::operator()(sqlite3* handle) const noexcept {
  sqlite3_close_v2(handle);
}

void statement_deleter::operator()(sqlite3_stmt* handle) const noexcept {
  sqlite3_finalize(handle);
}

void backup_deleter::operator()(sqlite3_backup* handle) const noexcept {
  sqlite3_backup_finish(handle);
}

db db::open(const std::filesystem::path& file, bool create, std::int64_t busy_timeout_ms) {
  // Each connection is used by one thread at a time (the writer, or a reader
  // under the store's mutex), so SQLite's own per-connection mutex is not needed.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  return open_with(file, flags, busy_timeout_ms);
}

db db::open_read_only(const std::filesystem::path& file, std::int64_t busy_timeout_ms) {
  // SQLite's own "unable to open database file" does not say that the file is missing.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw std::runtime_error("cannot open database '" + file.string() +
                             "': " + (std::filesystem::exists(file, ec) ? "not a regular file" : "no such file"));
  return open_with(file, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, busy_timeout_ms);
}

db db::open_with(const std::filesystem::path& file, int flags, std::int64_t busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  // sqlite3_open_v2 hands out a handle even on failure; own it before checking.
  db connection(raw);
  if (raw == nullptr) throw std::runtime_error("cannot open database '" + file.string() + "': out of memory");
  check(rc, raw, "cannot open database '" + file.string() + "'");
  sqlite3_extended_result_codes(raw, 1);
  check(sqlite3_busy_timeout(raw, busy_timeout_ms > INT_MAX ? INT_MAX : static_cast<int>(busy_timeout_ms)), raw,
        "cannot set the busy timeout");
  return connection;
}

void db::exec(std::string_view sql) {
  std::string text(sql);
  check(sqlite3_exec(get(), text.c_str(), nullptr, nullptr, nullptr), get(), "cannot run '" + text + "'");
}

std::int64_t db::query_int(std::string_view sql) {
  statement query(*this, sql);
  if (!query.step()) throw std::runtime_error("'" + std::string(sql) + "' returned no row");
  return query.column_int(0);
}

std::string db::query_text(std::string_view sql) {
  statement query(*this, sql);
  if (!query.step()) throw std::runtime_error("'" + std::string(sql) + "' returned no row");
  return query.column_text(0);
}

std::int64_t db::changes() const noexcept {
  return sqlite3_changes64(get());
}

bool db::autocommit() const noexcept {
  return sqlite3_get_autocommit(get()) != 0;
}

int db::extended_errcode() const noexcept {
  return sqlite3_extended_errcode(get());
}

std::string db::errmsg() const {
  return sqlite3_errmsg(get());
}

statement::statement(db& connection, std::string_view sql) : db_(connection.get()), sql_(sql) {
  sqlite3_stmt* raw = nullptr;
  int rc =
      sqlite3_prepare_v3(db_, sql_.data(), static_cast<int>(sql_.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  handle_.reset(raw);
  check(rc, db_, "cannot prepare '" + sql_ + "'");
  if (raw == nullptr) throw std::runtime_error("cannot prepare '" + sql_ + "': no statement");
}

void statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(handle_.get(), index, value), db_, "cannot bind to '" + sql_ + "'");
}

void statement::bind_text(int index, std::string_view value) {
  check(sqlite3_bind_text64(handle_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), db_,
        "cannot bind to '" + sql_ + "'");
}

void statement::bind_blob(int index, std::string_view value) {
  // A null pointer would bind NULL, not an empty blob.
  static const char empty = 0;
  const char* data = value.empty() ? &empty : value.data();
  check(sqlite3_bind_blob64(handle_.get(), index, data, value.size(), SQLITE_TRANSIENT), db_,
        "cannot bind to '" + sql_ + "'");
}

void statement::bind_null(int index) {
  check(sqlite3_bind_null(handle_.get(), index), db_, "cannot bind to '" + sql_ + "'");
}

bool statement::step() {
  int rc = try_step();
  check(rc, db_, "cannot run '" + sql_ + "'");
  return rc == SQLITE_ROW;
}

int statement::try_step() noexcept {
  return sqlite3_step(handle_.get());
}

void statement::reset() noexcept {
  sqlite3_reset(handle_.get());
  sqlite3_clear_bindings(handle_.get());
}

std::int64_t statement::column_int(int index) const noexcept {
  return sqlite3_column_int64(handle_.get(), index);
}

std::string statement::column_text(int index) const {
  auto* text = sqlite3_column_text(handle_.get(), index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(handle_.get(), index)));
}

std::string statement::column_blob(int index) const {
  const void* data = sqlite3_column_blob(handle_.get(), index);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(handle_.get(), index)));
}

bool statement::column_is_null(int index) const noexcept {
  return sqlite3_column_type(handle_.get(), index) == SQLITE_NULL;
}

transaction::transaction(db& connection) : db_(connection) {
  db_.exec("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  // After some I/O errors SQLite has already rolled back; ROLLBACK would fail.
  if (!done_ && !db_.autocommit()) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

backup::backup(db& destination, db& source) : destination_(destination) {
  handle_.reset(sqlite3_backup_init(destination.get(), "main", source.get(), "main"));
  // On failure the error is left on the destination connection.
  if (!handle_) check(destination.extended_errcode(), destination.get(), "cannot start the backup");
  if (!handle_) throw std::runtime_error("cannot start the backup: " + destination.errmsg());
}

bool backup::step(int pages) {
  const int rc = sqlite3_backup_step(handle_.get(), pages);
  if (rc == SQLITE_DONE) return true;
  if (rc == SQLITE_OK) return false;
  check(rc, nullptr, "cannot copy the database");
  return false;
}

void backup::finish() {
  const int rc = sqlite3_backup_finish(handle_.release());
  check(rc, destination_.get(), "cannot finish the backup");
}

}  // namespace roundtable::store::sqlite
