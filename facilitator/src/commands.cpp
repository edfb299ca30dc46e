#include "commands.hpp"

#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "export.hpp"
#include "report.hpp"
#include "roundtable/command_line.hpp"
#include "store/event_store.hpp"
#include "store/read_only_log.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* export_about =
    "Writes a session's export (pseudonymous ballots, tallies, perspectives) from the database,\n"
    "with the same anonymity threshold as the live views.";

constexpr const char* report_about =
    "Writes a session's printable report (one HTML page: the case, tallies, shifts, perspectives) from\n"
    "the database, opened read-only, with the same anonymity threshold as the live views.";

constexpr const char* purge_about =
    "Deletes sessions for good: their events, ballots and perspectives. Codes are never reused.\n"
    "Stop the server first, or purge from its console: a running server keeps its own copy in memory.";

// --ended-before's date as milliseconds since the epoch (UTC midnight); throws usage_error.
std::int64_t midnight_ms(const std::string& date) {
  std::tm tm{};
  std::istringstream in(date);
  in >> std::get_time(&tm, "%Y-%m-%d");
  if (in.fail() || !in.eof()) throw cli::usage_error("--ended-before takes a date as YYYY-MM-DD");
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// Writes text to the file, or to standard output without one; throws when the file cannot be written.
int write_text(const std::string& text, const std::optional<std::string>& out) {
  if (!out) {
    std::cout << text;
    return 0;
  }
  std::ofstream file(*out, std::ios::binary);
  file << text;
  if (!file) throw std::runtime_error("cannot write " + *out);
  return 0;
}

}  // namespace

int export_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "export",
                         "usage: facilitator export --db FILE --code CODE [--format json|csv] [--out FILE]",
                         export_about);
  std::optional<std::string> db, code, out;
  std::string format = "json";
  line.text("db", db, "the SQLite database", "FILE")
      .text("code", code, "the session's join code", "CODE")
      .text("format", format, "json or csv", "FORMAT")
      .text("out", out, "write to FILE instead of standard output", "FILE");
  return cli::run(line, args, [&] {
    if (!db || !code) throw cli::usage_error("--db and --code are required");
    if (format != "json" && format != "csv") throw cli::usage_error("--format is json or csv");
    auto store = store::event_store::open(*db);
    const auto e = export_session(*store, *code);
    if (!e) {
      std::cerr << "facilitator export: no session has the code " << *code << " in " << *db << "\n";
      return 1;
    }
    return write_text(format == "csv" ? export_csv(*e) : e->dump(2) + "\n", out);
  });
}

int report_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "report", "usage: facilitator report --db FILE --code CODE [--out FILE]",
                         report_about);
  std::optional<std::string> db, code, out;
  line.text("db", db, "the SQLite database (only read)", "FILE")
      .text("code", code, "the session's join code", "CODE")
      .text("out", out, "write to FILE instead of standard output", "FILE");
  return cli::run(line, args, [&] {
    if (!db || !code) throw cli::usage_error("--db and --code are required");
    const auto payloads = store::read_session_events(*db, *code);
    auto s = payloads ? replay_stored(*payloads) : std::nullopt;
    if (!s) {
      std::cerr << "facilitator report: no session has the code " << *code << " in " << *db << "\n";
      return 1;
    }
    return write_text(report_html(*s), out);
  });
}

int purge_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "purge",
                         "usage: facilitator purge --db FILE (--code CODE | --ended-before YYYY-MM-DD)", purge_about);
  std::optional<std::string> db, code, before;
  line.text("db", db, "the SQLite database", "FILE")
      .text("code", code, "purge this session", "CODE")
      .text("ended-before", before, "purge every session that ended before this day (UTC)", "YYYY-MM-DD");
  return cli::run(line, args, [&] {
    if (!db || (!code == !before)) throw cli::usage_error("--db and one of --code or --ended-before are required");
    const std::int64_t ended_before = before ? midnight_ms(*before) : 0;  // checked before the store opens
    auto store = store::event_store::open(*db);
    if (code) {
      if (!store->purge(*code)) {
        std::cerr << "facilitator purge: no session has the code " << *code << "\n";
        return 1;
      }
      std::cout << "purged " << *code << "\n";
      return 0;
    }
    const auto purged = store->purge_ended_before(ended_before);
    for (const auto& c : purged) std::cout << "purged " << c << "\n";
    std::cout << purged.size() << (purged.size() == 1 ? " session" : " sessions") << " purged\n";
    return 0;
  });
}

}  // namespace roundtable::facilitator
