// The facilitator's sub-commands besides validate: serve (serve.cpp), export, report, purge, backup
// (commands.cpp).
#pragma once

#include <string>
#include <vector>

namespace roundtable::facilitator {

/// `facilitator serve [OPTIONS]`: runs the server until SIGINT/SIGTERM; returns the exit code.
int serve_command(const std::vector<std::string>& args);

/// `facilitator export --db FILE --code CODE [--format json|csv] [--out FILE]`.
int export_command(const std::vector<std::string>& args);

/// `facilitator report --db FILE --code CODE [--out FILE]`: the printable report, offline and read-only.
int report_command(const std::vector<std::string>& args);

/// `facilitator purge --db FILE (--code CODE | --ended-before DATE)`.
int purge_command(const std::vector<std::string>& args);

/// `facilitator keys --db FILE (add NAME | list | revoke NAME)`: facilitators' keys, offline (keys_command.cpp).
int keys_command(const std::vector<std::string>& args);

/// `facilitator backup --db FILE --to FILE [--force]`: a consistent copy of a database, while it is served too.
int backup_command(const std::vector<std::string>& args);

}  // namespace roundtable::facilitator
