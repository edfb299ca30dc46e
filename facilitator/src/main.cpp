// The facilitator program: serve workshops, validate scenarios, export, purge and back up sessions.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "roundtable/command_line.hpp"
#include "validate_command.hpp"

namespace {

constexpr const char* usage =
    "usage: facilitator COMMAND [OPTIONS]\n"
    "\n"
    "Roundtable's facilitator: runs a group through an ethics case study, with anonymous votes.\n"
    "\n"
    "commands:\n"
    "  serve                    run workshops (HTTP + WebSocket, SQLite store)\n"
    "  validate [FILE|DIR]...   check scenario files (default: scenarios/)\n"
    "  export                   write a session's pseudonymous export (JSON or CSV)\n"
    "  report                   write a session's printable report (one HTML page)\n"
    "  purge                    delete sessions for good\n"
    "  backup                   copy a database consistently, while it is served too\n"
    "  keys                     add, list or revoke facilitators' own keys\n"
    "\n"
    "Run 'facilitator COMMAND --help' for a command's options; 'facilitator --version' for the version.\n"
    "Every option is also read from ROUNDTABLE_NAME (--max-body: ROUNDTABLE_MAX_BODY) and from --config FILE.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--version") {
    std::cout << "facilitator (Roundtable) " << roundtable::cli::version() << "\n";
    return 0;
  }
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << usage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  namespace f = roundtable::facilitator;
  if (command == "validate") return f::validate_command(args, std::cout, std::cerr);
  if (command == "serve") return f::serve_command(args);
  if (command == "export") return f::export_command(args);
  if (command == "report") return f::report_command(args);
  if (command == "purge") return f::purge_command(args);
  if (command == "backup") return f::backup_command(args);
  if (command == "keys") return f::keys_command(args);
  std::cerr << "facilitator: unknown command '" << command << "'\n" << usage;
  return 2;
}
