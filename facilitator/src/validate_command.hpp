// `facilitator validate`: checks scenario files and says what is wrong where.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace roundtable::facilitator {

/// Runs `facilitator validate [FILE|DIR]...`; returns the exit code (0 only when all are valid).
int validate_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace roundtable::facilitator
