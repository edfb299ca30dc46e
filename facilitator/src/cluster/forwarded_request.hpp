// A participant's request that the server it reached hands to the session's writer (docs/architecture.md,
// "Cluster", one writer in practice): the voter's key and the request as the participant sent it (a client
// frame, parsed again by the writer with protocol::parse, which never throws and bounds every field).
#pragma once

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

/// The body of a forward: {"voter": ..., "frame": the request as a client frame}.
std::string encode(const forwarded_request& f);

/// A forward's body read back; nullopt for anything a facilitator would not have sent (never throws).
std::optional<forwarded_request> decode(std::string_view body);

}  // namespace roundtable::facilitator::cluster
