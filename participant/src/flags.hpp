// Command-line flags of the participant sub-commands: `--name value` or `--name=value`.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace roundtable::participant {

/// A flag the user got wrong; main prints the message and the sub-command's usage hint.
struct flag_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The flags of one sub-command, checked against the ones it knows.
class flags {
public:
  /// Parses args; valued and switches name the flags the command knows (without "--").
  flags(const std::string& command, const std::vector<std::string>& args, const std::set<std::string>& valued,
        const std::set<std::string>& switches);
  /// True when --help (or -h) was given.
  bool help() const { return help_; }
  /// True when the switch was given.
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  /// The flag's value, if given.
  std::optional<std::string> get(const std::string& name) const;
  /// The flag's value as an integer in [lo, hi], or fallback when absent; flag_error when not.
  long number(const std::string& name, long fallback, long lo, long hi) const;
  /// The flag's value as a number in [lo, hi], or fallback when absent.
  double real(const std::string& name, double fallback, double lo, double hi) const;

private:
  std::string command_;
  bool help_ = false;
  std::map<std::string, std::string> values_;
};

}  // namespace roundtable::participant
