// An answer in a round: a ballot on the options, or "not sure / pass" where the question offers it.
#pragma once

#include <cstddef>
#include <optional>
#include <variant>

#include <nlohmann/json_fwd.hpp>

#include "roundtable/ballot.hpp"
#include "roundtable/error.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable {

/// "Not sure / pass" (a question with "abstain": true): counted apart from the options, never in consensus.
struct abstention {
  friend bool operator==(const abstention&, const abstention&) = default;
};

/// What a participant answered: a ballot on the options, or an abstention.
using answer = std::variant<ballot, abstention>;

/// Validates a vote's ballot: `{"abstain":true}` where the question offers it, else parse_ballot's answer.
/// Errors are invalid_ballot naming the field.
result<answer> parse_answer(const scenario& s, const question& q, const nlohmann::json& b,
                            std::optional<std::size_t> assigned_model = std::nullopt);

/// The canonical wire form of a valid answer: parse_ballot's form, or `{"abstain":true}`.
nlohmann::json answer_json(const scenario& s, const question& q, const answer& a);

}  // namespace roundtable
