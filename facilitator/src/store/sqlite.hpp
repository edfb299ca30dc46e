#pragma once

// A small RAII layer over the SQLite C API, in the style of SQLiteCpp: the
// connection and statements are released by their owners, a transaction rolls
// back unless committed, and every failing call throws std::runtime_error
// carrying SQLite's message and extended result code.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_backup;

namespace roundtable::store::sqlite {

// Throws std::runtime_error("WHAT: MESSAGE (extended code N)") unless rc is
// SQLITE_OK, SQLITE_ROW or SQLITE_DONE; db may be null (the message then comes
// from the code alone).
void check(int rc, sqlite3* db, std::string_view what);

// Closes a connection (sqlite3_close_v2), for std::unique_ptr.
struct db_deleter {
  void operator()(sqlite3* handle) const noexcept;
};

// Finalizes a prepared statement, for std::unique_ptr.
struct statement_deleter {
  void operator()(sqlite3_stmt* handle) const noexcept;
};

// Ends an online backup (sqlite3_backup_finish), for std::unique_ptr.
struct backup_deleter {
  void operator()(sqlite3_backup* handle) const noexcept;
};

// An open connection. Move-only; closed on destruction.
class db {
public:
  // Opens (and with create, creates) the file; sets extended result codes
  // and the busy timeout. Throws with the path in the message on failure.
  static db open(const std::filesystem::path& file, bool create, std::int64_t busy_timeout_ms);

  // Opens an existing file read-only (never creates one, never writes to it:
  // export, backup and the checks before a purge); throws like open().
  static db open_read_only(const std::filesystem::path& file, std::int64_t busy_timeout_ms);

  // The raw handle, for the statement and transaction classes.
  sqlite3* get() const noexcept { return handle_.get(); }

  // Runs one or more SQL statements that return no rows we care about.
  void exec(std::string_view sql);

  // Runs a single-row query and returns its first column as an integer
  // (for PRAGMAs such as user_version).
  std::int64_t query_int(std::string_view sql);

  // Runs a single-row query and returns its first column as text.
  std::string query_text(std::string_view sql);

  // Rows changed by the most recent INSERT, UPDATE or DELETE.
  std::int64_t changes() const noexcept;

  // True while no transaction is open (SQLite may end one by itself after
  // an I/O error).
  bool autocommit() const noexcept;

  // The extended result code of the most recent failed call.
  int extended_errcode() const noexcept;

  // The message of the most recent failed call.
  std::string errmsg() const;

private:
  explicit db(sqlite3* handle) noexcept : handle_(handle) {}
  static db open_with(const std::filesystem::path& file, int flags, std::int64_t busy_timeout_ms);

  std::unique_ptr<sqlite3, db_deleter> handle_;
};

// A prepared statement. Move-only; finalized on destruction. Parameters are
// bound by 1-based index, columns read by 0-based index, as in the C API.
class statement {
public:
  // Prepares a single SQL statement on the connection; throws on error.
  statement(db& connection, std::string_view sql);

  // Binds a 64-bit integer to parameter index (1-based).
  void bind(int index, std::int64_t value);

  // Binds text (copied by SQLite) to parameter index.
  void bind_text(int index, std::string_view value);

  // Binds a blob (copied by SQLite) to parameter index; never binds NULL,
  // even for an empty value.
  void bind_blob(int index, std::string_view value);

  // Binds NULL to parameter index.
  void bind_null(int index);

  // Advances: true when a row is available, false when done; throws on error.
  bool step();

  // Advances like step() but returns the raw SQLite result code instead of
  // throwing, for callers that treat some errors as expected.
  int try_step() noexcept;

  // Resets the statement (so it can run again and no longer holds a read
  // snapshot) and clears its bindings.
  void reset() noexcept;

  // Column value of the current row as an integer.
  std::int64_t column_int(int index) const noexcept;

  // Column value of the current row as text (empty for NULL).
  std::string column_text(int index) const;

  // Column value of the current row as raw bytes (empty for NULL).
  std::string column_blob(int index) const;

  // True when the column of the current row is NULL.
  bool column_is_null(int index) const noexcept;

private:
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, statement_deleter> handle_;
  std::string sql_;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit()
// succeeded.
class transaction {
public:
  // Starts a write transaction (takes the write lock at once); throws on error.
  explicit transaction(db& connection);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  // Commits; throws on error (the destructor then rolls back).
  void commit();

private:
  db& db_;
  bool done_ = false;
};

// An online backup from one connection's main database into another's
// (sqlite3_backup_*), as SQLiteCpp's Backup: started on construction, finished
// on destruction. The destination is locked for the whole copy.
class backup {
public:
  // Starts copying source into destination; throws on error.
  backup(db& destination, db& source);

  // Copies up to pages pages (-1: all that are left); true once the whole
  // database is copied. A source locked by another connection is retried
  // within the busy timeout by SQLite; any error throws.
  bool step(int pages);

  // Ends the backup; throws if it failed (the destination is then rolled back).
  void finish();

private:
  db& destination_;
  std::unique_ptr<sqlite3_backup, backup_deleter> handle_;
};

}  // namespace roundtable::store::sqlite
