#include "roundtable/command_line.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace roundtable::cli {

namespace {

// Help as the programs always printed it: the usage line first, then what the command does,
// the options (with their defaults and variables), and the footer.
class help_format : public CLI::Formatter {
public:
  explicit help_format(std::string usage) : usage_(std::move(usage)) { column_width(36); }
  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode mode) const override {
    std::string about = app->get_description();
    return usage_ + "\n" + (about.empty() ? "" : "\n" + about + "\n") + make_positionals(app) + make_groups(app, mode) +
           (app->get_footer().empty() ? "" : "\n" + app->get_footer());
  }

  // Descriptions wrapped to fit 100 columns beside the names (CLI11 indents after each newline).
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string out, line;
    std::istringstream words(opt->get_description());
    for (std::string w; words >> w;) {
      if (!line.empty() && line.size() + 1 + w.size() > 64) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + w;
    }
    return out + line;
  }

private:
  std::string usage_;
};

// True when args name --name itself (as "--name" or "--name=...").
bool on_line(const std::vector<std::string>& args, const std::string& name) {
  const std::string flag = "--" + name;
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& a) { return a == flag || a.rfind(flag + "=", 0) == 0; });
}

// The --config FILE of the line, else $ROUNDTABLE_CONFIG, else none.
std::optional<std::string> config_path(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
  }
  if (const char* env = std::getenv("ROUNDTABLE_CONFIG"); env && *env) return std::string(env);
  return std::nullopt;
}

bool variable_set(const CLI::Option* o) {
  if (o->get_envname().empty()) return false;
  const char* v = std::getenv(o->get_envname().c_str());
  return v && *v;
}

}  // namespace

const char* version() {
  return ROUNDTABLE_VERSION;
}

std::string variable_of(const std::string& name) {
  std::string v = "ROUNDTABLE_";
  for (char c : name) v += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v;
}

long long whole_number(const std::string& name, const std::string& text, long long lo, long long hi) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    throw usage_error("--" + name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                      ", not \"" + text + "\"");
  if (n < lo || n > hi)
    throw usage_error("--" + name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                      ", not " + text);
  return n;
}

double real_number(const std::string& name, const std::string& text, double lo, double hi) {
  double d = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  const bool number = !text.empty() && ec == std::errc{} && end == text.data() + text.size() && std::isfinite(d);
  if (!number || d < lo || d > hi) {
    char range[96];
    std::snprintf(range, sizeof range, " must be a number from %g to %g, not \"", lo, hi);
    throw usage_error("--" + name + range + text + "\"");
  }
  return d;
}

command_line::command_line(std::string program, std::string command, std::string usage, std::string about,
                           std::string footer)
    : program_(std::move(program)), command_(std::move(command)), app_(std::make_unique<CLI::App>(about)) {
  app_->formatter(std::make_shared<help_format>(std::move(usage)));
  app_->footer(std::move(footer));
  app_->set_help_flag("-h,--help", "print this help and exit");
  app_->set_version_flag("--version", program_ + " (Roundtable) " + version(), "print the version and exit");
  // Read before the rest (config_arguments); declared so that the parser accepts it and --help lists it.
  app_->add_option("--config", config_,
                   "read flags from FILE: NAME = VALUE lines (TOML), at the top or under [" + command_ +
                       "]; the line and the variables win over it")
      ->type_name("FILE")
      ->envname("ROUNDTABLE_CONFIG");
}

command_line::~command_line() = default;

command_line& command_line::valued(const std::string& name, const std::string& help, const std::string& value_name,
                                   const std::string& default_text, std::function<void(const std::string&)> set) {
  auto* o = app_->add_option_function<std::string>("--" + name, std::move(set), help);
  o->type_name(value_name)->envname(variable_of(name));
  if (!default_text.empty()) o->default_str(default_text);
  return *this;
}

command_line& command_line::text(const std::string& name, std::string& into, const std::string& help,
                                 const std::string& value_name) {
  return valued(name, help, value_name, into, [&into](const std::string& v) { into = v; });
}

command_line& command_line::text(const std::string& name, std::optional<std::string>& into, const std::string& help,
                                 const std::string& value_name) {
  return valued(name, help, value_name, "", [&into](const std::string& v) { into = v; });
}

command_line& command_line::list(const std::string& name, std::vector<std::string>& into, const std::string& help,
                                 const std::string& value_name) {
  app_->add_option("--" + name, into, help)
      ->type_name(value_name)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',')
      ->envname(variable_of(name));
  return *this;
}

command_line& command_line::real(const std::string& name, double& into, double lo, double hi, const std::string& help,
                                 const std::string& value_name) {
  char shown[32];
  std::snprintf(shown, sizeof shown, "%g", into);
  return valued(name, help, value_name, shown,
                [&into, name, lo, hi](const std::string& v) { into = real_number(name, v, lo, hi); });
}

command_line& command_line::real(const std::string& name, std::optional<double>& into, double lo, double hi,
                                 const std::string& help, const std::string& value_name) {
  return valued(name, help, value_name, "",
                [&into, name, lo, hi](const std::string& v) { into = real_number(name, v, lo, hi); });
}

command_line& command_line::flag(const std::string& name, bool& into, const std::string& help) {
  app_->add_flag("--" + name, into, help)->envname(variable_of(name));
  return *this;
}

command_line& command_line::words(const std::string& name, std::vector<std::string>& into, const std::string& help) {
  app_->add_option(name, into, help);
  return *this;
}

command_line& command_line::without_variable(const std::string& name) {
  app_->get_option("--" + name)->envname("");
  return *this;
}

// The config file's settings for this command as `--name=value` arguments, for the flags that
// neither the line nor a variable sets (so that the line wins, then the variables).
void command_line::check_flags(const std::vector<std::string>& args) const {
  std::map<std::string, int> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    const auto name = a.substr(0, a.find('='));
    const auto* o = app_->get_option_no_throw(name);
    if (!o) throw usage_error("unknown flag " + name);
    const bool next_is_value = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
    if (o->get_expected_min() > 0 && name == a && !next_is_value) throw usage_error(name + " needs a value");
    if (++seen[name] == 2 && o->get_multi_option_policy() == CLI::MultiOptionPolicy::Throw)
      throw usage_error(name + " is given twice");
  }
}

std::vector<std::string> command_line::config_arguments(const std::vector<std::string>& args) const {
  const auto path = config_path(args);
  if (!path) return {};
  std::ifstream in(*path);
  if (!in) throw usage_error("cannot read the config file " + *path);
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& e) {
    throw usage_error("the config file " + *path + ": " + e.what());
  }
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // a section's start or end
    if (!item.parents.empty() && item.parents != std::vector<std::string>{command_}) continue;
    std::string name = item.name;
    std::replace(name.begin(), name.end(), '_', '-');
    const auto* o = app_->get_option_no_throw("--" + name);
    if (!o || name == "config" || name == "help" || name == "version")
      throw usage_error("the config file " + *path + " sets " + item.fullname() + ", which " + title() +
                        " does not have");
    if (on_line(args, name) || variable_set(o)) continue;
    for (const auto& v : item.inputs) out.push_back("--" + name + "=" + v);
  }
  return out;
}

bool command_line::parse(const std::vector<std::string>& args, std::ostream& out) {
  check_flags(args);
  auto all = args;
  const auto from_config = config_arguments(args);
  all.insert(all.end(), from_config.begin(), from_config.end());
  std::vector<std::string> reversed(all.rbegin(), all.rend());  // CLI11 takes them last first
  try {
    app_->parse(reversed);
    return true;
  } catch (const CLI::CallForHelp&) {
    out << app_->help();
  } catch (const CLI::CallForVersion& v) {
    out << v.what() << "\n";
  } catch (const CLI::ParseError& e) {
    throw usage_error(e.what());
  }
  return false;
}

bool command_line::given(const std::string& name) const {
  return app_->count("--" + name) > 0;
}

int run(command_line& line, const std::vector<std::string>& args, const std::function<int()>& body, std::ostream& out,
        std::ostream& err) {
  return run(
      line.title(), [&] { return line.parse(args, out) ? body() : 0; }, err);
}

int run(const std::string& title, const std::function<int()>& body, std::ostream& err) {
  try {
    return body();
  } catch (const usage_error& e) {
    err << title << ": " << e.what() << "\n(see '" << title << " --help')\n";
    return 2;
  } catch (const std::exception& e) {
    err << title << ": " << e.what() << "\n";
    return 1;
  }
}

int run(command_line& line, const std::vector<std::string>& args, const std::function<int()>& body) {
  return run(line, args, body, std::cout, std::cerr);
}

}  // namespace roundtable::cli
