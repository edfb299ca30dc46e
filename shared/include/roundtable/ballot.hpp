// Ballots: the typed form of a participant's answer, validated against its question.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "roundtable/error.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable {

/// choice: distinct option indices, ascending.
struct choice_ballot {
  std::vector<std::size_t> chosen;
  friend bool operator==(const choice_ballot&, const choice_ballot&) = default;
};

/// scale: the value, within [min, max].
struct scale_ballot {
  int value = 0;
  friend bool operator==(const scale_ballot&, const scale_ballot&) = default;
};

/// points: one non-negative integer per option, summing to the budget.
struct points_ballot {
  std::vector<int> points;
  friend bool operator==(const points_ballot&, const points_ballot&) = default;
};

/// rank: a permutation of the option indices, best first.
struct rank_ballot {
  std::vector<std::size_t> order;
  friend bool operator==(const rank_ballot&, const rank_ballot&) = default;
};

/// model_outcome: per model (scenario order) the outcome index; empty for
/// models a participant with an assigned model did not answer.
struct model_outcome_ballot {
  std::vector<std::optional<std::size_t>> outcomes;
  friend bool operator==(const model_outcome_ballot&, const model_outcome_ballot&) = default;
};

using ballot = std::variant<choice_ballot, scale_ballot, points_ballot, rank_ballot, model_outcome_ballot>;

/// A participant as the core knows them: a small number standing for the keyed hash of a token.
using voter_id = std::uint32_t;

/// The ballots of one round, by voter.
using round_ballots = std::unordered_map<voter_id, ballot>;

/// Validates the wire ballot `b` for question q of scenario s; assigned_model
/// is the model this participant must answer alone (assigned model_outcome).
/// Errors are invalid_ballot with a message naming the offending field.
result<ballot> parse_ballot(const scenario& s, const question& q, const nlohmann::json& b,
                            std::optional<std::size_t> assigned_model = std::nullopt);

/// The canonical wire form of a valid ballot (what `mine` shows).
nlohmann::json to_json(const scenario& s, const question& q, const ballot& b);

}  // namespace roundtable
