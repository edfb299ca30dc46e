// BCP 47 language tags ("de", "en-GB", "sr-Latn-RS"): the optional "lang" of a scenario.
#pragma once

#include <cstddef>
#include <string_view>

namespace roundtable::text {

/// The longest language tag accepted (RFC 5646 asks every implementation to take at least 35 characters).
inline constexpr std::size_t max_language_tag = 35;

/// True when s is a well-formed BCP 47 language tag (RFC 5646 "langtag" or "privateuse", at most 35
/// characters): language (2 or 3 letters), then script, region, variants, extensions and private use in order.
bool is_language_tag(std::string_view s);

}  // namespace roundtable::text
