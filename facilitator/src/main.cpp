// The facilitator program: validate scenarios, and (soon) serve workshops.
#include <iostream>
#include <string>
#include <vector>

#include "validate_command.hpp"

namespace {

constexpr const char* usage =
    "usage: facilitator COMMAND [OPTIONS]\n"
    "\n"
    "Roundtable's facilitator: runs a group through an ethics case study.\n"
    "\n"
    "commands:\n"
    "  validate [FILE|DIR]...   check scenario files (default: scenarios/)\n"
    "\n"
    "Run 'facilitator COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "validate") return roundtable::facilitator::validate_command(args, std::cout, std::cerr);
  std::cerr << "facilitator: unknown command '" << command << "'\n" << usage;
  return 2;
}
