#include "roundtable/error.hpp"

namespace roundtable {

std::string_view to_string(error_code code) {
  switch (code) {
    case error_code::bad_json:
      return "bad_json";
    case error_code::bad_message:
      return "bad_message";
    case error_code::too_large:
      return "too_large";
    case error_code::unauthorized:
      return "unauthorized";
    case error_code::not_joined:
      return "not_joined";
    case error_code::unknown_code:
      return "unknown_code";
    case error_code::unknown_scenario:
      return "unknown_scenario";
    case error_code::unknown_stage:
      return "unknown_stage";
    case error_code::unknown_question:
      return "unknown_question";
    case error_code::unknown_perspective:
      return "unknown_perspective";
    case error_code::voting_closed:
      return "voting_closed";
    case error_code::invalid_ballot:
      return "invalid_ballot";
    case error_code::rate_limited:
      return "rate_limited";
    case error_code::session_ended:
      return "session_ended";
    case error_code::internal:
      return "internal";
    case error_code::invalid_scenario:
      return "invalid_scenario";
    case error_code::read_only_scenario:
      return "read_only_scenario";
  }
  return "internal";
}

}  // namespace roundtable
