// The swarm's reading of the server's pushes: a scan of a frame's top-level members that finds
// `type`, `question` and `ballots` wherever they are, without building a JSON value.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace roundtable::participant {

/// The top-level fields of one frame the swarm counts with (views into the frame).
struct push_fields {
  std::string_view type;      // "" when absent or not a string
  std::string_view question;  // "" when absent or not a string (raw: escapes are not decoded)
  long ballots = -1;          // -1 when absent or not a whole number
};

/// Scans a frame for its top-level type, question and ballots, in any key order, skipping every
/// other member (nested objects included); nullopt when the frame is not one well-formed JSON object.
std::optional<push_fields> scan_push(std::string_view frame);

/// m[key] when it is an object, else an empty object: a frame missing a member reads as empty
/// (operator[] on a const json must not miss).
const nlohmann::json& object_member(const nlohmann::json& m, const char* key);

}  // namespace roundtable::participant
