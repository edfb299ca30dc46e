#include "store/backup.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "store/sqlite.hpp"

namespace roundtable::store {
namespace {

constexpr std::int64_t busy_timeout_ms = 10000;

// The half-written copy: removed unless it was moved into place.
class partial_file {
public:
  explicit partial_file(std::filesystem::path path) : path_(std::move(path)) {}
  partial_file(const partial_file&) = delete;
  partial_file& operator=(const partial_file&) = delete;
  ~partial_file() {
    if (!placed_) std::filesystem::remove(path_, ignored_);
  }
  const std::filesystem::path& path() const { return path_; }

  // Moves the copy to target; without overwrite, fails when target exists (checked by the
  // kernel in the same step, so a file that appeared meanwhile is not replaced either).
  void place(const std::filesystem::path& target, bool overwrite) {
    const unsigned flags = overwrite ? 0 : RENAME_NOREPLACE;
    if (renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), flags) != 0) {
      if (errno == EEXIST) throw std::runtime_error("'" + target.string() + "' exists: give another name, or --force");
      throw std::runtime_error("cannot move the backup to '" + target.string() + "': " + std::strerror(errno));
    }
    placed_ = true;
  }

private:
  std::filesystem::path path_;
  bool placed_ = false;
  std::error_code ignored_;
};

void check_paths(const std::filesystem::path& from, const std::filesystem::path& to, bool overwrite) {
  std::error_code ec;
  if (!std::filesystem::exists(to, ec)) return;
  if (std::filesystem::equivalent(from, to, ec)) throw std::runtime_error("the backup cannot replace its own source");
  if (!overwrite) throw std::runtime_error("'" + to.string() + "' exists: give another name, or --force");
  // A database some server still has open: replacing the file under it would corrupt what it writes next.
  if (std::filesystem::exists(to.string() + "-wal", ec))
    throw std::runtime_error("'" + to.string() + "' is in use (it has a write-ahead log): stop what uses it first");
}

// The source must be a Roundtable event store: a backup of anything else is a mistake in the command.
void check_source(sqlite::db& source, const std::filesystem::path& from) {
  if (source.query_int("PRAGMA user_version") < 1 ||
      source.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'events'") != 1)
    throw std::runtime_error("'" + from.string() + "' is not a Roundtable database");
}

void check_copy(sqlite::db& copy) {
  const auto result = copy.query_text("PRAGMA quick_check");
  if (result != "ok") throw std::runtime_error("the copy does not pass SQLite's quick_check: " + result);
}

}  // namespace

std::int64_t backup(const std::filesystem::path& from, const std::filesystem::path& to, bool overwrite) {
  check_paths(from, to, overwrite);
  auto source = sqlite::db::open_read_only(from, busy_timeout_ms);
  check_source(source, from);
  partial_file partial(to.string() + ".partial-" + std::to_string(::getpid()));
  std::int64_t pages = 0;
  {
    auto copy = sqlite::db::open(partial.path(), true, busy_timeout_ms);
    {
      // All pages in one step: one read transaction on the source, so the copy is one snapshot of it
      // (copied in slices, each write by the server would restart the copy).
      sqlite::backup job(copy, source);
      job.step(-1);
      job.finish();
    }
    pages = copy.query_int("PRAGMA page_count");
    check_copy(copy);
  }
  partial.place(to, overwrite);
  return pages;
}

}  // namespace roundtable::store
