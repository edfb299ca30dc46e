// The participant program: `participant join` (terminal client) and `participant swarm`
// (load generator).
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "roundtable/command_line.hpp"

namespace {

constexpr const char* usage =
    "usage: participant COMMAND [OPTIONS]\n"
    "\n"
    "  join   take part in a workshop from the terminal (also for screen readers and scripts)\n"
    "  swarm  load generator: N simulated participants join, vote and measure latencies\n"
    "\n"
    "`participant COMMAND --help` shows each command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace roundtable::participant;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << usage;
    return 2;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << usage;
    return 0;
  }
  if (command == "--version") {
    std::cout << "participant (Roundtable) " << roundtable::cli::version() << "\n";
    return 0;
  }
  if (command != "join" && command != "swarm") {
    std::cerr << "participant: unknown command \"" << command << "\"\n\n" << usage;
    return 2;
  }
  return roundtable::cli::run(
      "participant " + command, [&] { return command == "join" ? join_command(args) : swarm_command(args); },
      std::cerr);
}
