#include "crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace roundtable::crypto {
namespace {

constexpr std::string_view token_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static_assert(token_alphabet.size() == 64);

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

std::string random_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    int chunk = static_cast<int>(std::min<std::size_t>(n - done, INT_MAX));
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data() + done), chunk) != 1)
      throw std::runtime_error("no random bytes available: " + openssl_error());
    done += static_cast<std::size_t>(chunk);
  }
  return bytes;
}

std::string random_token(std::size_t chars) {
  // 64 symbols divide 256, so the low six bits of a byte pick one uniformly.
  std::string token = random_bytes(chars);
  for (char& c : token) c = token_alphabet[static_cast<unsigned char>(c) & 63];
  return token;
}

bool is_token_text(std::string_view s) {
  return s.find_first_not_of(token_alphabet) == std::string_view::npos;
}

std::string random_digits(std::size_t n) {
  std::string digits;
  digits.reserve(n);
  while (digits.size() < n) {
    // Bytes of 250 and above are dropped: 250 is the largest multiple of 10
    // that fits, so the rest map onto digits evenly. ~2% are lost, so ask
    // for a few more than needed.
    std::size_t missing = n - digits.size();
    for (char c : random_bytes(missing + missing / 16 + 4)) {
      auto byte = static_cast<unsigned char>(c);
      if (byte >= 250) continue;
      digits.push_back(static_cast<char>('0' + byte % 10));
      if (digits.size() == n) break;
    }
  }
  return digits;
}

namespace {

std::string hex_of(const unsigned char* bytes, unsigned int n) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(hex[bytes[i] >> 4]);
    out.push_back(hex[bytes[i] & 15]);
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed: " + openssl_error());
  return hex_of(digest, length);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  // OpenSSL 3 rejects a null key pointer even with length 0.
  static const unsigned char empty = 0;
  const unsigned char* key_data = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
  const unsigned char* message_data = message.empty() ? &empty : reinterpret_cast<const unsigned char*>(message.data());
  if (key.size() > INT_MAX) throw std::invalid_argument("HMAC key too long");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()), message_data, message.size(), digest, &length) ==
      nullptr)
    throw std::runtime_error("HMAC-SHA256 failed: " + openssl_error());
  return hex_of(digest, length);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // With unequal lengths, still walk a's content so the time depends on the
  // length only, never on where the contents differ.
  const char* other = a.size() == b.size() ? b.data() : a.data();
  bool same_content = a.empty() || CRYPTO_memcmp(a.data(), other, a.size()) == 0;
  return same_content && a.size() == b.size();
}

}  // namespace roundtable::crypto
