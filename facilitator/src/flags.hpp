// The sub-commands' command line: `--name value` and `--name=value` flags.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace roundtable::facilitator {

/// Reads `--name value` and `--name=value` flags; anything unknown is an error. Each getter
/// takes its flag out, so done() finds what no one asked for.
class flags {
public:
  /// A command line the command cannot run with; answered with the usage (exit code 2).
  struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  /// Splits args into flags (-h and --help set help()); throws usage_error on a stray word.
  /// `switches` name the flags that take no value (`--name` alone).
  flags(std::string command, const std::vector<std::string>& args, const std::vector<std::string>& switches = {});
  bool help() const { return help_; }
  /// The last value of --name, if given.
  std::optional<std::string> get(const std::string& name);
  /// Every value of --name, in order (a repeatable flag).
  std::vector<std::string> all(const std::string& name);
  /// True if the switch --name was given.
  bool on(const std::string& name);
  /// --name as a whole number in [lo, hi], or fallback when not given.
  long number(const std::string& name, long fallback, long lo, long hi);
  /// Throws usage_error for a flag no getter took.
  void done() const;

private:
  std::string command_;
  bool help_ = false;
  std::vector<std::pair<std::string, std::string>> values_;
};

/// Runs sub-command `command` of `facilitator` on its flags: --help prints usage (exit 0); body's
/// flags::usage_error is printed with the usage (exit 2), any other failure as one line (exit 1).
int run_command(const std::string& command, const std::vector<std::string>& args,
                const std::vector<std::string>& switches, const std::string& usage,
                const std::function<int(flags&)>& body);

}  // namespace roundtable::facilitator
