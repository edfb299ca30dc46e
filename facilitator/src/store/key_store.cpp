#include "store/key_store.hpp"

#include "crypto.hpp"

namespace roundtable::store {

namespace {

// 32 characters of 64 symbols: 192 bits, far beyond guessing (the admin key asks for 128).
constexpr std::size_t key_chars = 32;
constexpr std::size_t max_name = 32;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

bool valid_key_name(std::string_view name) {
  if (name.empty() || name.size() > max_name || name == "admin") return false;
  if (name.front() == '-' || name.front() == '_') return false;
  for (char c : name)
    if (!name_char(c)) return false;
  return true;
}

std::string new_key() {
  return crypto::random_token(key_chars);
}

}  // namespace roundtable::store
