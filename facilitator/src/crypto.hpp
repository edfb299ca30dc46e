#pragma once

// Small cryptographic helpers over OpenSSL: randomness for codes, tokens and
// keys, the keyed hash of participant tokens, and comparison of secrets.

#include <cstddef>
#include <string>
#include <string_view>

namespace roundtable::crypto {

// n bytes from the OpenSSL CSPRNG (for keys); throws if it cannot supply them.
std::string random_bytes(std::size_t n);

// A random string of chars characters from [A-Za-z0-9_-] (for keys and tokens).
std::string random_token(std::size_t chars);

/// True when every character of s is one random_token uses (A-Z a-z 0-9 - _).
bool is_token_text(std::string_view s);

// n uniformly random decimal digits (for join codes).
std::string random_digits(std::size_t n);

// HMAC-SHA256 of message under key, as 64 lowercase hex digits (for the
// per-session keyed hash of participant tokens).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// SHA-256 of data as 64 lowercase hex digits (for storing facilitator keys:
// they are random and long, so a fast hash keeps them as safe as a slow one).
std::string sha256_hex(std::string_view data);

// Compares secrets in time independent of where they differ (for keys).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace roundtable::crypto
