// Reading scenario files from disk for the pure core's catalog parser.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "roundtable/scenario.hpp"

namespace roundtable::facilitator {

/// The files named by paths: a folder gives every *.json in it (not *.schema.json),
/// sorted by name; a file gives itself. Unreadable paths are reported in errors.
struct scenario_files {
  std::vector<scenario_source> sources;
  std::vector<scenario_error> errors;
};
/// An empty folder is an error unless empty_ok (serve: a server of saved cases only).
scenario_files read_scenario_files(const std::vector<std::filesystem::path>& paths, bool empty_ok = false);

/// Reads and validates a whole catalog (all-or-nothing), as serve and validate do.
catalog_parse load_catalog(const std::vector<std::filesystem::path>& paths, bool empty_ok = false);

}  // namespace roundtable::facilitator
