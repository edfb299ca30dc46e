// The participant program's sub-commands; each returns the exit status, and throws
// cli::usage_error for a flag the user got wrong.
#pragma once

#include <string>
#include <vector>

namespace roundtable::participant {

/// `participant join`: the terminal participant.
int join_command(const std::vector<std::string>& args);
/// `participant swarm`: the load generator.
int swarm_command(const std::vector<std::string>& args);

}  // namespace roundtable::participant
