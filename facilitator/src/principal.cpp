#include "principal.hpp"

#include "scenario_library.hpp"

namespace roundtable::facilitator {

std::string_view to_string(principal::kind k) {
  switch (k) {
    case principal::kind::facilitator:
      return "facilitator";
    case principal::kind::cohost:
      return "cohost";
    case principal::kind::admin:
      break;
  }
  return "admin";
}

bool may_drive(const principal& p, const room_summary& s) {
  switch (p.role) {
    case principal::kind::admin:
      return true;
    case principal::kind::facilitator:
      return s.owner == p.name;
    case principal::kind::cohost:
      return s.code == p.session;
  }
  return false;
}

std::string session_owner(const principal& p) {
  return p.role == principal::kind::facilitator ? p.name : std::string();
}

std::optional<std::string> case_scope(const principal& p) {
  if (p.role == principal::kind::admin) return std::nullopt;
  // No saved case has an empty owner: a co-host's scope holds none.
  return p.role == principal::kind::facilitator ? p.name : std::string();
}

std::string case_owner(const principal& p) {
  return p.role == principal::kind::facilitator ? p.name : std::string(admin_owner);
}

}  // namespace roundtable::facilitator
