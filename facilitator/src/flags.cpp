#include "flags.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace roundtable::facilitator {

flags::flags(std::string command, const std::vector<std::string>& args, const std::vector<std::string>& switches)
    : command_(std::move(command)) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) throw usage_error("unexpected argument '" + a + "'");
    if (std::find(switches.begin(), switches.end(), a.substr(2)) != switches.end()) {
      values_.emplace_back(a.substr(2), "");
      continue;
    }
    const auto eq = a.find('=');
    // A switch given a value (--metrics-public=no) would otherwise count as on.
    if (eq != std::string::npos && std::find(switches.begin(), switches.end(), a.substr(2, eq - 2)) != switches.end())
      throw usage_error(a.substr(0, eq) + " takes no value");
    if (eq != std::string::npos) {
      values_.emplace_back(a.substr(2, eq - 2), a.substr(eq + 1));
      continue;
    }
    if (i + 1 >= args.size()) throw usage_error(a + " needs a value");
    values_.emplace_back(a.substr(2), args[++i]);
  }
}

std::optional<std::string> flags::get(const std::string& name) {
  auto every = all(name);
  if (every.empty()) return std::nullopt;
  return std::move(every.back());
}

std::vector<std::string> flags::all(const std::string& name) {
  std::vector<std::string> out;
  for (auto it = values_.begin(); it != values_.end();) {
    if (it->first == name) {
      out.push_back(it->second);
      it = values_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

bool flags::on(const std::string& name) {
  return !all(name).empty();
}

long flags::number(const std::string& name, long fallback, long lo, long hi) {
  const auto v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || n < lo || n > hi)
    throw usage_error("--" + name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  return n;
}

void flags::done() const {
  if (!values_.empty()) throw usage_error("unknown option --" + values_.front().first);
}

int run_command(const std::string& command, const std::vector<std::string>& args,
                const std::vector<std::string>& switches, const std::string& usage,
                const std::function<int(flags&)>& body) {
  try {
    flags f(command, args, switches);
    if (f.help()) {
      std::cout << usage;
      return 0;
    }
    return body(f);
  } catch (const flags::usage_error& e) {
    std::cerr << "facilitator " << command << ": " << e.what() << "\n\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "facilitator " << command << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace roundtable::facilitator
