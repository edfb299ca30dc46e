// Who sent a facilitator request, and what that one may see and drive: the scoping rules of
// docs/protocol.md "Several facilitators", in one place for the WebSocket router and the HTTP routes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "room.hpp"

namespace roundtable::facilitator {

struct principal {
  enum class kind {
    admin,        // the server's own key (--key, ROUNDTABLE_KEY, --key-file): sees and drives everything
    facilitator,  // a key from `facilitator keys add NAME`: its own sessions and saved cases
    cohost        // a key minted for one session (cohost_key): that session, while it runs
  };
  kind role = kind::admin;
  std::string name;         // facilitator: the key's name, which owns its sessions and cases
  std::int64_t key_id = 0;  // facilitator: the key's row, checked again before each request
  std::string session;      // cohost: the one session it drives
  std::string key_hash;     // cohost: its key's hash, checked again before each request

  static principal admin() { return {}; }
};

/// "admin", "facilitator" or "cohost", as `hosting.role` spells it.
std::string_view to_string(principal::kind k);

/// True when p may see and drive the session (hosting, attach, commands, exports, purge): the admin
/// any, a facilitator its own, a co-host its one.
bool may_drive(const principal& p, const room_summary& s);

/// The owner a session started by p records (empty for the admin, as every session before keys).
std::string session_owner(const principal& p);

/// Whose saved cases p sees: nothing (every owner's) for the admin, else the one owner; for a
/// co-host an owner no case has (it works with no case at all).
std::optional<std::string> case_scope(const principal& p);

/// The owner a case saved by p records ("admin" for the admin key).
std::string case_owner(const principal& p);

}  // namespace roundtable::facilitator
