// The participant program: `participant join` (terminal client) and `participant swarm`
// (load generator).
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "flags.hpp"

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
  try {
    if (command == "join") return join_command(args);
    if (command == "swarm") return swarm_command(args);
    std::cerr << "participant: unknown command \"" << command << "\"\n\n" << usage;
    return 2;
  } catch (const flag_error& e) {
    std::cerr << "participant " << command << ": " << e.what() << "\n(see `participant " << command << " --help`)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "participant " << command << ": " << e.what() << "\n";
    return 1;
  }
}
