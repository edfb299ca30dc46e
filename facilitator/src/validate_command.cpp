#include "validate_command.hpp"

#include <filesystem>
#include <ostream>

#include "scenario_files.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* usage =
    "usage: facilitator validate [FILE|DIR]...\n"
    "\n"
    "Checks scenario files (format 1, see scenarios/scenario.schema.json).\n"
    "A folder means every *.json in it except *.schema.json; the default is scenarios/.\n"
    "Prints one line per valid scenario and every error as FILE: JSON-PATH: RULE.\n"
    "Exit status: 0 when every file is valid, 1 when any is not, 2 for a usage error.\n";

}  // namespace

int validate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::filesystem::path> paths;
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      out << usage;
      return 0;
    }
    if (!a.empty() && a[0] == '-') {
      err << "facilitator validate: unknown option " << a << "\n" << usage;
      return 2;
    }
    paths.emplace_back(a);
  }
  if (paths.empty()) paths.emplace_back("scenarios");

  const auto catalog = load_catalog(paths);
  for (const auto& [file, s] : catalog.valid)
    out << "ok  " << s.id << "  \"" << s.title << "\"  " << s.stages.size() << " stages  (" << file << ")\n";
  for (const auto& e : catalog.errors) err << e.to_string() << "\n";
  if (!catalog.errors.empty()) {
    err << catalog.errors.size() << (catalog.errors.size() == 1 ? " error" : " errors")
        << "; nothing loaded (a folder is loaded all-or-nothing)\n";
    return 1;
  }
  out << catalog.scenarios.size() << (catalog.scenarios.size() == 1 ? " scenario" : " scenarios") << " valid\n";
  return 0;
}

}  // namespace roundtable::facilitator
