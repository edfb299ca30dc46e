#include "roundtable/language_tag.hpp"

#include <vector>

namespace roundtable::text {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool all_of(std::string_view s, bool (*pred)(char)) {
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}
bool alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

// The subtags of s between '-', or nothing when one is empty or longer than 8 characters.
std::vector<std::string_view> subtags(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto dash = s.find('-', start);
    const auto end = dash == std::string_view::npos ? s.size() : dash;
    const auto part = s.substr(start, end - start);
    if (part.empty() || part.size() > 8 || !all_of(part, alnum)) return {};
    out.push_back(part);
    start = end + 1;
  }
  return out;
}

bool is_script(std::string_view t) {
  return t.size() == 4 && all_of(t, is_alpha);
}
bool is_region(std::string_view t) {
  return (t.size() == 2 && all_of(t, is_alpha)) || (t.size() == 3 && all_of(t, is_digit));
}
bool is_variant(std::string_view t) {
  return t.size() >= 5 || (t.size() == 4 && is_digit(t[0]));
}
bool is_singleton(std::string_view t) {
  return t.size() == 1;
}

// "x-" then 1 to 8 alphanumerics, to the end: private use, from subtag i on.
bool private_use_from(const std::vector<std::string_view>& t, std::size_t i) {
  return i + 1 < t.size() && (t[i] == "x" || t[i] == "X");
}

}  // namespace

bool is_language_tag(std::string_view s) {
  if (s.empty() || s.size() > max_language_tag) return false;
  const auto t = subtags(s);
  if (t.empty()) return false;
  if (private_use_from(t, 0)) return true;  // "x-whatever": a tag agreed between the parties
  if (!(t[0].size() == 2 || t[0].size() == 3) || !all_of(t[0], is_alpha)) return false;
  std::size_t i = 1;
  for (int ext = 0; ext < 3 && i < t.size() && t[i].size() == 3 && all_of(t[i], is_alpha); ++ext) ++i;  // extlang
  if (i < t.size() && is_script(t[i])) ++i;
  if (i < t.size() && is_region(t[i])) ++i;
  while (i < t.size() && is_variant(t[i])) ++i;
  // Extensions: a singleton (not x) and one or more subtags of 2 to 8 characters.
  while (i < t.size() && is_singleton(t[i]) && t[i] != "x" && t[i] != "X") {
    std::size_t j = i + 1;
    while (j < t.size() && t[j].size() >= 2) ++j;
    if (j == i + 1) return false;
    i = j;
  }
  if (i < t.size() && private_use_from(t, i)) return true;
  return i == t.size();
}

}  // namespace roundtable::text
