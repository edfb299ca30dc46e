// Client messages of protocol.md parsed from a frame's text, and the replies built for them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/error.hpp"

namespace roundtable::protocol {

inline constexpr std::size_t max_request_id = 64;

// Participant
struct join {
  std::string code;
  std::string token;
};
struct vote {
  std::string question;
  nlohmann::json ballot;
};
struct perspective {
  std::string question;
  std::string text;  // as sent; the core trims it
};
struct endorse {
  std::string perspective;
};
/// Take back one's answer while the round is open (an extension: docs/protocol.md).
struct withdraw {
  std::string question;
};
// Facilitator
struct host {
  std::string key;
};
struct start {
  std::string scenario;  // a case's id; empty when inline holds the case itself
  std::optional<int> min_group;
  std::optional<bool> live;
  /// A case sent whole (`"scenario":{...}`, docs/protocol.md), validated like a saved one.
  std::optional<nlohmann::json> inline_scenario;
  /// Purged with everything of it once it has ended (docs/protocol.md).
  std::optional<bool> confidential;
  /// Lenses dealt in assigned model_outcome questions (0: everyone takes every lens; docs/protocol.md).
  std::optional<int> lenses;
};
struct attach {
  std::string code;
};
/// A stage named by its 0-based index or its id.
using stage_ref = std::variant<std::size_t, std::string>;
struct goto_stage {
  std::string code;
  stage_ref stage;
};
struct open {
  std::string code;
  std::string question;
  std::optional<int> seconds;
  /// This round's lenses, for an assigned model_outcome question (else the session's).
  std::optional<int> lenses;
};
struct close {
  std::string code;
  std::string question;
};
struct reveal {
  std::string code;
  std::string question;
};
struct hide {
  std::string code;
  std::string question;
};
struct moderate {
  std::string code;
  std::string perspective;
  bool show = false;
};
struct end {
  std::string code;
};
/// Delete an ended session for good (an extension: docs/protocol.md).
struct purge {
  std::string code;
};
/// Save a case (format 1) under its own id: a new one, or a new version of a saved one.
struct scenario_save {
  nlohmann::json scenario;
};
/// A case's file JSON, folder or saved.
struct scenario_get {
  std::string scenario;
};
/// Delete a saved case.
struct scenario_delete {
  std::string scenario;
};
/// Mint a key that drives one session and nothing else (an extension: docs/protocol.md).
struct cohost_key {
  std::string code;
};
// Projector
struct watch {
  std::string code;
};

using message =
    std::variant<join, vote, perspective, endorse, host, start, attach, goto_stage, open, close, reveal, hide, moderate,
                 end, purge, scenario_save, scenario_get, scenario_delete, watch, withdraw, cohost_key>;

/// The wire type name of a message ("join", "goto", ...).
std::string_view type_name(const message& m);

/// A frame as read: its request id (when one could be read) and the message or why not.
struct parsed {
  std::optional<std::string> id;
  std::optional<message> msg;
  std::optional<error> err;
};

/// Parses one client frame's text; never throws. Errors: bad_json, bad_message, too_large.
parsed parse(std::string_view frame);

/// `{"type":"ack","id":...}`
nlohmann::json ack(const std::optional<std::string>& id);

/// `{"type":"error","id":...,"code":...,"message":...}`
nlohmann::json error_reply(const std::optional<std::string>& id, const error& e);

/// The message serialised for the wire (compact; invalid UTF-8 replaced, never thrown).
std::string dump(const nlohmann::json& j);

}  // namespace roundtable::protocol
