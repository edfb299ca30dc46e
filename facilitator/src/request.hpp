// The protocol's requests sorted by who serves them: the router itself, a participant's room,
// or the room a facilitator's command names.
#pragma once

#include <string>
#include <type_traits>
#include <variant>

#include "roundtable/protocol.hpp"

namespace roundtable::facilitator {

/// vote, perspective, endorse or withdraw: served by the room the participant joined.
using participant_request = std::variant<protocol::vote, protocol::perspective, protocol::endorse, protocol::withdraw>;

/// attach, goto, open, close, reveal, hide, moderate, end: served by the room of their `code`.
using room_command = std::variant<protocol::attach, protocol::goto_stage, protocol::open, protocol::close,
                                  protocol::reveal, protocol::hide, protocol::moderate, protocol::end>;

/// A request as the router dispatches it: the ones it serves itself, or one of the two families.
using request = std::variant<protocol::join, protocol::watch, protocol::host, protocol::start, protocol::purge,
                             protocol::scenario_save, protocol::scenario_get, protocol::scenario_delete,
                             protocol::cohost_key, participant_request, room_command>;

namespace detail {
template <class T, class Variant>
struct is_alternative;
template <class T, class... Ts>
struct is_alternative<T, std::variant<Ts...>> : std::disjunction<std::is_same<T, Ts>...> {};
}  // namespace detail

// Every message is sorted exactly once: a new protocol message that is in none of the three
// lists fails to compile in sort_request, and none may be in two.
static_assert(std::variant_size_v<request> - 2 + std::variant_size_v<participant_request> +
                  std::variant_size_v<room_command> ==
              std::variant_size_v<protocol::message>);

/// Sorts a parsed message into the family that serves it.
inline request sort_request(protocol::message m) {
  return std::visit(
      [](auto&& x) -> request {
        using T = std::decay_t<decltype(x)>;
        if constexpr (detail::is_alternative<T, participant_request>::value)
          return participant_request(std::move(x));
        else if constexpr (detail::is_alternative<T, room_command>::value)
          return room_command(std::move(x));
        else
          return request(std::move(x));
      },
      std::move(m));
}

/// The session code a room command names.
inline const std::string& code_of(const room_command& c) {
  return std::visit([](const auto& x) -> const std::string& { return x.code; }, c);
}

}  // namespace roundtable::facilitator
