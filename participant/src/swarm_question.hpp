// The question the swarm votes on: set by the facilitator connection (--key) or learned from
// the first stage a participant sees (--code); read by every participant's strand.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "client/answer.hpp"

namespace roundtable::participant {

/// What one participant learned from a stage view.
struct stage_seen {
  bool open = false;                          // the swarm's question, its round open
  bool has_model = false;                     // the view assigned this participant a model
  std::optional<std::size_t> assigned_model;  // which (nullopt: not one of the scenario's)
};

/// The swarm's question, shared by every thread (one lock).
class swarm_question {
public:
  /// wanted: the --question id, or "" for whichever the session shows first.
  explicit swarm_question(std::string wanted) : wanted_(std::move(wanted)) {}

  /// The question, if known (a copy: the caller may change its assigned model).
  std::optional<client::shown_question> get() const;
  /// Its id once known, else the wanted one.
  std::string id() const;
  /// True when the question is known and its id is q.
  bool is(std::string_view q) const;
  /// Sets the question (the facilitator's view of the session).
  void set(client::shown_question q);
  /// Learns from a stage view with a question: the question itself when still unknown, the
  /// participant's assigned model, and whether the round is open.
  stage_seen learn(const nlohmann::json& stage);

private:
  const std::string wanted_;
  mutable std::mutex mutex_;
  std::optional<client::shown_question> question_;
};

}  // namespace roundtable::participant
