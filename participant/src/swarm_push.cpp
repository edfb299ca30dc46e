#include "swarm_push.hpp"

#include <charconv>

namespace roundtable::participant {

namespace {

// A cursor over one frame; every step returns false on malformed input, never throws.
class json_scan {
public:
  explicit json_scan(std::string_view s) : s_(s) {}

  bool at_end() {
    skip_space();
    return i_ == s_.size();
  }

  // Consumes c (after white space) when it is next.
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  // A string's raw contents (between the quotes, escapes kept as written).
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const auto start = i_;
    for (; i_ < s_.size(); ++i_) {
      if (s_[i_] == '\\') {
        ++i_;  // the escaped character is never the closing quote
      } else if (s_[i_] == '"') {
        out = s_.substr(start, i_ - start);
        ++i_;
        return true;
      }
    }
    return false;
  }

  // A whole number; a fraction or an exponent makes it not one (skipped, out unchanged).
  bool number(long& out) {
    skip_space();
    const char* b = s_.data() + i_;
    const char* e = s_.data() + s_.size();
    long v = 0;
    const auto [end, ec] = std::from_chars(b, e, v);
    if (ec == std::errc{} && (end == e || (*end != '.' && *end != 'e' && *end != 'E'))) {
      i_ += static_cast<std::size_t>(end - b);
      out = v;
      return true;
    }
    return skip_value();
  }

  // Skips one value of any kind: a string, an object or array (brackets balanced), or a scalar.
  bool skip_value() {
    skip_space();
    if (i_ >= s_.size()) return false;
    std::string_view ignored;
    if (s_[i_] == '"') return string(ignored);
    if (s_[i_] == '{' || s_[i_] == '[') return skip_nested();
    const auto start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && !is_space(s_[i_])) ++i_;
    return i_ > start;
  }

private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }

  bool skip_nested() {
    int depth = 0;
    std::string_view ignored;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '"') {
        if (!string(ignored)) return false;
        continue;
      }
      ++i_;
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return true;
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// One member's value: the three fields the swarm reads are kept, the rest skipped.
bool scan_member(json_scan& in, std::string_view key, push_fields& out) {
  if (key == "type" || key == "question") {
    std::string_view v;
    if (in.string(v)) {
      (key == "type" ? out.type : out.question) = v;
      return true;
    }
    return in.skip_value();
  }
  if (key == "ballots") return in.number(out.ballots);
  return in.skip_value();
}

}  // namespace

const nlohmann::json& object_member(const nlohmann::json& m, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!m.is_object()) return empty;
  const auto it = m.find(key);
  return it != m.end() && it->is_object() ? *it : empty;
}

std::optional<push_fields> scan_push(std::string_view frame) {
  json_scan in(frame);
  push_fields out;
  if (!in.eat('{')) return std::nullopt;
  if (!in.eat('}')) {
    do {
      std::string_view key;
      if (!in.string(key) || !in.eat(':') || !scan_member(in, key, out)) return std::nullopt;
    } while (in.eat(','));
    if (!in.eat('}')) return std::nullopt;
  }
  if (!in.at_end()) return std::nullopt;
  return out;
}

}  // namespace roundtable::participant
