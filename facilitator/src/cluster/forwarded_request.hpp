// A participant's request that the server it reached hands to the session's writer (docs/architecture.md,
// "Cluster", one writer in practice): the voter's key and the request as the participant sent it (a client
// frame, parsed again by the writer with protocol::parse, which never throws and bounds every field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "request.hpp"

namespace roundtable::facilitator::cluster {

struct forwarded_request {
  std::string voter;  // the participant's keyed token (room::voter_key), alike on every server
  participant_request request;
  std::optional<std::string> id;  // the participant's request id, as sent
};

/// The token and body of a ping: a forward its server's NATS thread answers "pong" at once, whatever its rooms are
/// doing (room_forwarding.cpp tells a busy writer from a gone one with it).
inline constexpr std::uint64_t ping_token = 0;
inline constexpr const char* ping_body = "ping";
inline constexpr const char* pong_body = "pong";

/// The body of a forward: {"voter": ..., "frame": the request as a client frame}.
std::string encode(const forwarded_request& f);

/// A forward's body read back; nullopt for anything a facilitator would not have sent (never throws).
std::optional<forwarded_request> decode(std::string_view body);

}  // namespace roundtable::facilitator::cluster
