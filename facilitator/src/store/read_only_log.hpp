#pragma once

// One session's events read from a store file without a writer: for offline commands (report) that
// must neither create nor change the file, even while a server has it open.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace roundtable::store {

// The session's event payloads in seq order, or nothing when no session has the code; throws
// std::runtime_error saying what is wrong when the file is missing or not a store.
std::optional<std::vector<std::string>> read_session_events(const std::filesystem::path& file, const std::string& code);

}  // namespace roundtable::store
