#include "cohost_keys.hpp"

#include "crypto.hpp"

namespace roundtable::facilitator {

namespace {
// Like a facilitator key: 192 bits.
constexpr std::size_t key_chars = 32;
}  // namespace

std::string cohost_keys::mint(const std::string& code) {
  auto key = crypto::random_token(key_chars);
  std::lock_guard lock(mutex_);
  hash_by_code_[code] = crypto::sha256_hex(key);
  return key;
}

std::optional<cohost_keys::found> cohost_keys::find(std::string_view key) const {
  const auto hash = crypto::sha256_hex(key);
  std::lock_guard lock(mutex_);
  std::optional<found> out;
  for (const auto& [code, h] : hash_by_code_)
    if (crypto::constant_time_equal(h, hash) && !out) out = found{code, h};
  return out;
}

bool cohost_keys::current(const std::string& code, const std::string& hash) const {
  std::lock_guard lock(mutex_);
  const auto it = hash_by_code_.find(code);
  return it != hash_by_code_.end() && crypto::constant_time_equal(it->second, hash);
}

void cohost_keys::forget(const std::string& code) {
  std::lock_guard lock(mutex_);
  hash_by_code_.erase(code);
}

}  // namespace roundtable::facilitator
