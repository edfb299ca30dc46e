#include "flags.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace roundtable::participant {

flags::flags(const std::string& command, const std::vector<std::string>& args, const std::set<std::string>& valued,
             const std::set<std::string>& switches)
    : command_(command) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (!a.starts_with("--") || a.size() == 2)
      throw flag_error("unexpected argument \"" + a + "\" (flags start with --)");
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches.count(name)) {
      if (value) throw flag_error("--" + name + " takes no value");
      values_[name] = "";
      continue;
    }
    if (!valued.count(name)) throw flag_error("unknown flag --" + name);
    if (!value) {
      if (i + 1 >= args.size()) throw flag_error("--" + name + " needs a value");
      value = args[++i];
    }
    if (values_.count(name)) throw flag_error("--" + name + " is given twice");
    values_[name] = *value;
  }
}

std::optional<std::string> flags::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

long flags::number(const std::string& name, long fallback, long lo, long hi) const {
  auto v = get(name);
  if (!v) return fallback;
  long n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || v->empty())
    throw flag_error("--" + name + " must be a whole number, got \"" + *v + "\"");
  if (n < lo || n > hi)
    throw flag_error("--" + name + " must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + *v);
  return n;
}

double flags::real(const std::string& name, double fallback, double lo, double hi) const {
  auto v = get(name);
  if (!v) return fallback;
  double d = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (ec != std::errc{} || p != v->data() + v->size() || v->empty() || !std::isfinite(d))
    throw flag_error("--" + name + " must be a number, got \"" + *v + "\"");
  if (d < lo || d > hi) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " must be from %g to %g, got ", lo, hi);
    throw flag_error("--" + name + buf + *v);
  }
  return d;
}

}  // namespace roundtable::participant
