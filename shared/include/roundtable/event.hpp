// The events a session is folded from: what the store appends and replays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "roundtable/error.hpp"
#include "roundtable/lenses.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable::events {

/// A voter as stored: a keyed hash of the participant's token (never the token).
using voter_key = std::string;

struct started {
  std::string code;
  scenario copy;  // the session's own copy: a later edit of the file changes nothing
  int min_group = 3;
  bool live = false;
  std::int64_t at_ms = 0;
  bool confidential = false;  // purged with everything of it once ended (docs/protocol.md)
  std::optional<int> lenses;  // lenses dealt in assigned questions unless `open` says; none: every model
  std::string owner;          // the facilitator key's name that started it; empty: the server's own (admin) key
};
/// A participant joined this session for the first time.
struct joined {
  voter_key voter;
};
struct stage_shown {
  std::size_t index = 0;
  std::int64_t at_ms = 0;  // when (a discussion's timer runs from here); 0 in logs from before issue 11
};
struct round_opened {
  std::string question;
  std::optional<int> seconds;  // closes by itself after this many seconds
  std::int64_t at_ms = 0;
  /// Assigned model_outcome questions: the lenses dealt over the participants present (absent in older logs:
  /// then every joined participant answers the model of their join order, as before issue 11).
  std::optional<lens_deal> deal;
};
/// A participant not present when the round opened was dealt a lens in it (late_lens).
struct lens_dealt {
  std::string question;
  int round = 0;
  voter_key voter;
  std::size_t model = 0;
};
/// `open` on an open round with seconds: the round now closes `seconds` after at_ms (longer or shorter).
struct timer_set {
  std::string question;
  int round = 0;
  int seconds = 0;
  std::int64_t at_ms = 0;
};
struct round_closed {
  std::string question;
};
struct ballot_cast {
  std::string question;
  int round = 0;
  voter_key voter;
  nlohmann::json ballot;  // canonical wire form
  std::string request;    // opaque request key for idempotency; may be empty
};
/// A participant withdrew their answer from the open round (the question is then absent from their `mine`).
struct ballot_withdrawn {
  std::string question;
  int round = 0;
  voter_key voter;
  std::string request;  // opaque request key for idempotency; may be empty
};
struct revealed {
  std::string question;
};
struct hidden {
  std::string question;
};
/// The open round's tally was pushed: later joiners see this one until the next.
struct tally_published {
  std::string question;
  int round = 0;
};
struct perspective_posted {
  std::string question;
  int round = 0;
  voter_key voter;
  std::string id;  // random, so ordering by id says nothing of time
  std::string text;
  std::string request;
};
struct perspective_moderated {
  std::string id;
  bool shown = false;
};
struct endorsed {
  std::string perspective;
  voter_key voter;
  std::string request;
};
struct ended {
  std::int64_t at_ms = 0;
};

using event = std::variant<started, joined, stage_shown, round_opened, round_closed, ballot_cast, revealed, hidden,
                           tally_published, perspective_posted, perspective_moderated, endorsed, ended,
                           ballot_withdrawn, timer_set, lens_dealt>;

/// The stored JSON form of an event (`{"type":"ballot_cast",...}`).
nlohmann::json to_json(const event& e);

/// Reads a stored event back; refuses (bad_message) anything malformed.
result<event> event_from_json(const nlohmann::json& j);

/// The stored type name of an event ("ballot_cast", ...).
std::string_view type_name(const event& e);

}  // namespace roundtable::events
