#include "commands.hpp"

#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "export.hpp"
#include "flags.hpp"
#include "store/backup.hpp"
#include "store/event_reader.hpp"
#include "store/event_store.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* export_usage =
    "usage: facilitator export --db FILE --code CODE [--format json|csv|summary] [--bom] [--out FILE]\n"
    "\n"
    "Writes a session's export (pseudonymous ballots, tallies, perspectives) from the database,\n"
    "with the same anonymity threshold as the live views. Default format json, default output stdout.\n"
    "csv: one row per ballot; summary: the counts per option per round (CSV). --bom starts a CSV with the\n"
    "UTF-8 byte order mark, for spreadsheets.\n";

constexpr const char* purge_usage =
    "usage: facilitator purge --db FILE (--code CODE | --ended-before YYYY-MM-DD)\n"
    "\n"
    "Deletes sessions for good: their events, ballots and perspectives. Codes are never reused.\n"
    "Stop the server first, or purge from its console: a running server keeps its own copy in memory.\n";

constexpr const char* backup_usage =
    "usage: facilitator backup --db FILE --to FILE [--force]\n"
    "\n"
    "Copies the database to a new file with SQLite's online backup API: one consistent snapshot, safe\n"
    "while a server is running on it (what its write-ahead log holds is included). The database is only\n"
    "read. An existing target is kept unless --force. To restore, serve the copy: --db FILE.\n";

// Midnight UTC of a YYYY-MM-DD date, in milliseconds since the epoch; a usage error otherwise.
std::int64_t date_ms(const std::string& date) {
  std::tm tm{};
  std::istringstream in(date);
  in >> std::get_time(&tm, "%Y-%m-%d");
  if (in.fail() || !in.eof()) throw flags::usage_error("--ended-before takes a date as YYYY-MM-DD");
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

int export_command(const std::vector<std::string>& args) {
  return run_command("export", args, {"bom"}, export_usage, [&](flags& f) {
    const auto db = f.get("db");
    const auto code = f.get("code");
    const auto format = f.get("format").value_or("json");
    const auto out = f.get("out");
    const bool bom = f.on("bom");
    f.done();
    if (!db || !code) throw flags::usage_error("--db and --code are required");
    if (format != "json" && format != "csv" && format != "summary")
      throw flags::usage_error("--format is json, csv or summary");
    if (bom && format == "json") throw flags::usage_error("--bom is for the CSV formats");
    // Read-only: a mistyped --db is an error, never a new empty database.
    auto reader = store::event_reader::open(*db);
    const auto e = export_session(*reader, *code);
    if (!e) {
      std::cerr << "facilitator export: no session has the code " << *code << " in " << *db << "\n";
      return 1;
    }
    const std::string text = format == "json"  ? e->dump(2) + "\n"
                             : format == "csv" ? (bom ? utf8_bom : "") + export_csv(*e)
                                               : (bom ? utf8_bom : "") + export_summary_csv(*e);
    if (!out) {
      std::cout << text;
      return 0;
    }
    std::ofstream file(*out, std::ios::binary);
    file << text;
    if (!file) throw std::runtime_error("cannot write " + *out);
    return 0;
  });
}

int purge_command(const std::vector<std::string>& args) {
  return run_command("purge", args, {}, purge_usage, [&](flags& f) {
    const auto db = f.get("db");
    const auto code = f.get("code");
    const auto before = f.get("ended-before");
    f.done();
    if (!db || (!code == !before)) throw flags::usage_error("--db and one of --code or --ended-before are required");
    const auto ms = before ? std::optional(date_ms(*before)) : std::nullopt;
    // Every check reads only: a mistyped --db or an unknown code leaves no file behind and changes nothing.
    auto reader = store::event_reader::open(*db);
    if (code && !reader->code_used(*code)) {
      std::cerr << "facilitator purge: no session has the code " << *code << " in " << *db << "\n";
      return 1;
    }
    reader.reset();
    auto store = store::event_store::open(*db, {.create = false});
    if (code) {
      if (!store->purge(*code)) {
        std::cerr << "facilitator purge: no session has the code " << *code << "\n";
        return 1;
      }
      std::cout << "purged " << *code << "\n";
      return 0;
    }
    const auto purged = store->purge_ended_before(*ms);
    for (const auto& c : purged) std::cout << "purged " << c << "\n";
    std::cout << purged.size() << (purged.size() == 1 ? " session" : " sessions") << " purged\n";
    return 0;
  });
}

int backup_command(const std::vector<std::string>& args) {
  return run_command("backup", args, {"force"}, backup_usage, [&](flags& f) {
    const auto db = f.get("db");
    const auto to = f.get("to");
    const bool force = f.on("force");
    f.done();
    if (!db || !to) throw flags::usage_error("--db and --to are required");
    const auto pages = store::backup(*db, *to, force);
    std::cout << "backed up " << *db << " to " << *to << " (" << pages << " pages)\n";
    return 0;
  });
}

}  // namespace roundtable::facilitator
