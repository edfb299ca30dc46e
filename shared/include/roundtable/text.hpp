// UTF-8 helpers: the protocol counts code points and trims Unicode white space.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace roundtable::text {

/// True when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

/// Number of code points in well-formed UTF-8 text.
std::size_t code_points(std::string_view s);

/// s without leading and trailing Unicode white space (White_Space property).
std::string_view trim(std::string_view s);

/// True when s is a protocol id: 1 to 40 characters of [a-z0-9_-].
bool is_id(std::string_view s);

/// True when s is a participant token: 22 to 64 characters of [A-Za-z0-9_-].
bool is_token(std::string_view s);

}  // namespace roundtable::text
