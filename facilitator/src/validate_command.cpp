#include "validate_command.hpp"

#include <filesystem>
#include <ostream>

#include "roundtable/command_line.hpp"
#include "scenario_files.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* about =
    "Checks scenario files (format 1, see scenarios/scenario.schema.json).\n"
    "A folder means every *.json in it except *.schema.json; the default is scenarios/.\n"
    "Prints one line per valid scenario and every error as FILE: JSON-PATH: RULE.\n"
    "Exit status: 0 when every file is valid, 1 when any is not, 2 for a usage error.";

// Prints each valid scenario and every error; 0 when all are valid, 1 otherwise.
int validate(std::vector<std::filesystem::path> paths, std::ostream& out, std::ostream& err) {
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

}  // namespace

int validate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  cli::command_line line("facilitator", "validate", "usage: facilitator validate [FILE|DIR]...", about);
  std::vector<std::string> words;
  line.words("paths", words, "scenario files or folders");
  return cli::run(
      line, args,
      [&] {
        return validate({words.begin(), words.end()}, out, err);
      },
      out, err);
}

}  // namespace roundtable::facilitator
