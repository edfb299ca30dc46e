// Short constructors of the core's typed ballots, for the ballot and tally tests.
#pragma once

#include <optional>
#include <vector>

#include "roundtable/ballot.hpp"

namespace roundtable::test_ballots {

using indices = std::vector<std::size_t>;
using maybe_indices = std::vector<std::optional<std::size_t>>;
inline constexpr std::nullopt_t none = std::nullopt;

/// A single or multiple choice ballot of option indices.
inline ballot chosen(indices v) {
  return choice_ballot{std::move(v)};
}
/// A scale ballot.
inline ballot value(int v) {
  return scale_ballot{v};
}
/// A points ballot, one number per item.
inline ballot points(std::vector<int> v) {
  return points_ballot{std::move(v)};
}
/// A rank ballot, item indices in order.
inline ballot ranked(indices v) {
  return rank_ballot{std::move(v)};
}
/// A model x outcome ballot, one outcome index (or none) per model.
inline ballot outcomes(maybe_indices v) {
  return model_outcome_ballot{std::move(v)};
}

}  // namespace roundtable::test_ballots
