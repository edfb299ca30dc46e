// What the session's .cpp files share beyond the class: not part of the library's interface.
#pragma once

#include <string>
#include <string_view>

#include "roundtable/error.hpp"

namespace roundtable::session_detail {

/// An id as a JSON string, so odd characters stay visible in a message.
std::string json_quoted(std::string_view s);

/// The refusal for a question id the scenario does not have.
error unknown_question(const std::string& question);

}  // namespace roundtable::session_detail
