#include "commands.hpp"

#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "export.hpp"
#include "report.hpp"
#include "roundtable/command_line.hpp"
#include "store/backup.hpp"
#include "store_place.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* export_about =
    "Writes a session's export (pseudonymous ballots, tallies, perspectives) from the database, opened\n"
    "read-only, or from the JetStream stream of `serve --nats`, with the same anonymity threshold as the\n"
    "live views. csv: one row per ballot; summary: the counts per option per round (CSV).";

constexpr const char* report_about =
    "Writes a session's printable report (one HTML page: the case, tallies, shifts, perspectives) from\n"
    "the database, opened read-only, or from the JetStream stream of `serve --nats`, with the same anonymity\n"
    "threshold as the live views.";

constexpr const char* purge_about =
    "Deletes sessions for good: their events, ballots and perspectives. Codes are never reused.\n"
    "With --db, stop the server first, or purge from its console: a running server keeps its own copy in\n"
    "memory. With --nats, the running servers forget the session too (at once, or at their next sweep, a\n"
    "minute at most).";

constexpr const char* backup_about =
    "Copies the database to a new file with SQLite's online backup API: one consistent snapshot, safe\n"
    "while a server is running on it (what its write-ahead log holds is included). The database is only\n"
    "read. An existing target is kept unless --force. To restore, serve the copy: --db FILE.";

// --ended-before's date as milliseconds since the epoch (UTC midnight); throws usage_error.
std::int64_t midnight_ms(const std::string& date) {
  std::tm tm{};
  std::istringstream in(date);
  in >> std::get_time(&tm, "%Y-%m-%d");
  if (in.fail() || !in.eof()) throw cli::usage_error("--ended-before takes a date as YYYY-MM-DD");
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// Writes text to the file `out`, or to standard output when none is given; 0.
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

// The session `code` replayed from where `place` names (a mistyped --db is an error, never a new empty
// database; a NATS that holds no stream is one too); nothing when no session has the code.
std::optional<session> read_session(const store_place& place, const std::string& code) {
  return stored_session(*place.reader(), code);
}

}  // namespace

int export_command(const std::vector<std::string>& args) {
  cli::command_line line(
      "facilitator", "export",
      "usage: facilitator export (--db FILE | --nats URL) --code CODE [--format json|csv|summary] [--bom] [--out FILE]",
      export_about);
  store_place place;
  std::optional<std::string> code, out;
  std::string format = "json";
  bool bom = false;
  place.declare(line, "the SQLite database (only read)");
  line.text("code", code, "the session's join code", "CODE")
      .text("format", format, "json, csv or summary", "FORMAT")
      .flag("bom", bom, "start a CSV with the UTF-8 byte order mark, for spreadsheets")
      .text("out", out, "write to FILE instead of standard output", "FILE");
  return cli::run(line, args, [&] {
    place.check();
    if (!code) throw cli::usage_error("--code is required");
    if (format != "json" && format != "csv" && format != "summary")
      throw cli::usage_error("--format is json, csv or summary");
    if (bom && format == "json") throw cli::usage_error("--bom is for the CSV formats");
    const auto s = read_session(place, *code);
    if (!s) {
      std::cerr << "facilitator export: no session has the code " << *code << " " << place.where() << "\n";
      return 1;
    }
    const auto e = s->export_json();
    const std::string prefix = bom ? utf8_bom : "";
    return write_text(format == "json"  ? e.dump(2) + "\n"
                      : format == "csv" ? prefix + export_csv(e)
                                        : prefix + export_summary_csv(e),
                      out);
  });
}

int report_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "report",
                         "usage: facilitator report (--db FILE | --nats URL) --code CODE [--out FILE]", report_about);
  store_place place;
  std::optional<std::string> code, out;
  place.declare(line, "the SQLite database (only read)");
  line.text("code", code, "the session's join code", "CODE")
      .text("out", out, "write to FILE instead of standard output", "FILE");
  return cli::run(line, args, [&] {
    place.check();
    if (!code) throw cli::usage_error("--code is required");
    const auto s = read_session(place, *code);
    if (!s) {
      std::cerr << "facilitator report: no session has the code " << *code << " " << place.where() << "\n";
      return 1;
    }
    return write_text(report_html(*s), out);
  });
}

int purge_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "purge",
                         "usage: facilitator purge (--db FILE | --nats URL) (--code CODE | --ended-before YYYY-MM-DD)",
                         purge_about);
  store_place place;
  std::optional<std::string> code, before;
  place.declare(line, "the SQLite database");
  line.text("code", code, "purge this session", "CODE")
      .text("ended-before", before, "purge every session that ended before this day (UTC)", "YYYY-MM-DD");
  return cli::run(line, args, [&] {
    place.check();
    if (!code == !before) throw cli::usage_error("one of --code and --ended-before is required");
    const std::int64_t ended_before = before ? midnight_ms(*before) : 0;  // checked before the store opens
    // Every check reads only: a mistyped --db, a file or a NATS that is not Roundtable's, or an unknown code
    // leaves nothing behind and changes nothing.
    const bool known = place.reader()->code_used(code.value_or(""));
    if (code && !known) {
      std::cerr << "facilitator purge: no session has the code " << *code << " " << place.where() << "\n";
      return 1;
    }
    auto store = place.writer();
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

int backup_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "backup", "usage: facilitator backup --db FILE --to FILE [--force]",
                         backup_about);
  std::optional<std::string> db, to;
  bool force = false;
  line.text("db", db, "the SQLite database (only read)", "FILE")
      .text("to", to, "the copy to write", "FILE")
      .flag("force", force, "replace an existing copy (never one a server has open)");
  return cli::run(line, args, [&] {
    if (!db || !to) throw cli::usage_error("--db and --to are required");
    const auto pages = store::backup(*db, *to, force);
    std::cout << "backed up " << *db << " to " << *to << " (" << pages << " pages)\n";
    return 0;
  });
}

}  // namespace roundtable::facilitator
