// One command-line reader for both programs, on CLI11: flags, then ROUNDTABLE_* variables, then
// a config file, so a systemd unit, a container and a shell all set the same options.
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace roundtable::cli {

/// A command line the command cannot run with: printed with a pointer to --help (exit code 2).
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Roundtable's version (CMake's project version), for --version and the metrics.
const char* version();

/// `text` as a whole number in [lo, hi]; throws usage_error naming --name otherwise.
long long whole_number(const std::string& name, const std::string& text, long long lo, long long hi);
/// `text` as a finite number in [lo, hi]; throws usage_error naming --name otherwise.
double real_number(const std::string& name, const std::string& text, double lo, double hi);

/// One sub-command's flags. Each is declared once, with its help and the variable it fills;
/// a value comes from the command line, else the variable ROUNDTABLE_NAME (--max-body:
/// ROUNDTABLE_MAX_BODY), else the [command] section or top of the --config file, else the
/// variable keeps its default. A repeated or unknown flag is a usage error.
class command_line {
public:
  /// `usage` is the first line of --help ("usage: facilitator serve [OPTIONS]"); `about` follows
  /// it, `footer` ends the help.
  command_line(std::string program, std::string command, std::string usage, std::string about, std::string footer = "");
  ~command_line();
  command_line(const command_line&) = delete;
  command_line& operator=(const command_line&) = delete;

  /// --name VALUE into `into`.
  command_line& text(const std::string& name, std::string& into, const std::string& help,
                     const std::string& value_name = "TEXT");
  /// --name VALUE into `into`, left empty when not given.
  command_line& text(const std::string& name, std::optional<std::string>& into, const std::string& help,
                     const std::string& value_name = "TEXT");
  /// --name VALUE, repeatable (and comma-separated in the variable), each value appended.
  command_line& list(const std::string& name, std::vector<std::string>& into, const std::string& help,
                     const std::string& value_name = "TEXT");
  /// --name N: a whole number in [lo, hi].
  template <std::integral Int>
  command_line& number(const std::string& name, Int& into, long long lo, long long hi, const std::string& help,
                       const std::string& value_name = "N") {
    return valued(name, help, value_name, std::to_string(into), [&into, name, lo, hi](const std::string& v) {
      into = static_cast<Int>(whole_number(name, v, lo, hi));
    });
  }
  /// --name N: a whole number in [lo, hi], left empty when not given (its default depends on others).
  template <std::integral Int>
  command_line& number(const std::string& name, std::optional<Int>& into, long long lo, long long hi,
                       const std::string& help, const std::string& value_name = "N") {
    return valued(name, help, value_name, "", [&into, name, lo, hi](const std::string& v) {
      into = static_cast<Int>(whole_number(name, v, lo, hi));
    });
  }
  /// --name N: a whole number of the duration's units (seconds, minutes...) in [lo, hi].
  template <class Rep, class Period>
  command_line& duration(const std::string& name, std::chrono::duration<Rep, Period>& into, long long lo, long long hi,
                         const std::string& help, const std::string& value_name) {
    return valued(name, help, value_name, std::to_string(into.count()), [&into, name, lo, hi](const std::string& v) {
      into = std::chrono::duration<Rep, Period>(whole_number(name, v, lo, hi));
    });
  }
  /// --name X: a number in [lo, hi].
  command_line& real(const std::string& name, double& into, double lo, double hi, const std::string& help,
                     const std::string& value_name = "X");
  /// --name X: a number in [lo, hi], left empty when not given.
  command_line& real(const std::string& name, std::optional<double>& into, double lo, double hi,
                     const std::string& help, const std::string& value_name = "X");
  /// --name alone turns `into` on (--name=false, or 0/no in the variable, turns it off).
  command_line& flag(const std::string& name, bool& into, const std::string& help);
  /// The words that are not flags (validate's files); none are allowed unless declared.
  command_line& words(const std::string& name, std::vector<std::string>& into, const std::string& help);
  /// The flag takes no ROUNDTABLE_ variable: one the command reads itself, below another flag.
  command_line& without_variable(const std::string& name);

  /// Reads args: true to run the command, false once --help or --version is printed.
  /// Throws usage_error for what the line, the variables or the config file get wrong.
  bool parse(const std::vector<std::string>& args, std::ostream& out);
  /// True when --name was given anywhere (line, variable or config file).
  bool given(const std::string& name) const;
  /// The program and command, for messages: "facilitator serve".
  std::string title() const { return program_ + " " + command_; }

private:
  command_line& valued(const std::string& name, const std::string& help, const std::string& value_name,
                       const std::string& default_text, std::function<void(const std::string&)> set);
  // Refuses an unknown flag, and a flag given twice that takes one value, in plain words.
  void check_flags(const std::vector<std::string>& args) const;
  std::vector<std::string> config_arguments(const std::vector<std::string>& args) const;

  std::string program_;
  std::string command_;
  std::unique_ptr<CLI::App> app_;
  std::string config_;  // --config's value, read by config_arguments before the parse
};

/// Parses args with `line`, then runs body: 0 after --help or --version, 2 for a usage_error
/// (one line and a pointer to --help), 1 for any other failure (one line).
int run(command_line& line, const std::vector<std::string>& args, const std::function<int()>& body, std::ostream& out,
        std::ostream& err);
/// run() on the standard streams.
int run(command_line& line, const std::vector<std::string>& args, const std::function<int()>& body);
/// Runs body, a command that parses its own line: 2 for a usage_error (one line and a pointer to
/// `title --help`), 1 for any other failure (one line).
int run(const std::string& title, const std::function<int()>& body, std::ostream& err);

/// The environment variable of flag --name: ROUNDTABLE_ and the name in capitals, '-' as '_'.
std::string variable_of(const std::string& name);

}  // namespace roundtable::cli
