// Lenses: which decision model each participant answers in an assigned model_outcome question's round.
// Pure rules here; the session decides a deal when a round opens and stores it in the round_opened event.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "roundtable/ballot.hpp"
#include "roundtable/error.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable {

/// A round's deal: `lenses` models dealt (the scenario's first `lenses`; 0: everyone answers every model),
/// holders[m] the voters dealt model m, each list sorted.
struct lens_deal {
  int lenses = 0;
  std::vector<std::vector<voter_id>> holders;
  friend bool operator==(const lens_deal&, const lens_deal&) = default;
};

/// The lens a voter would rather keep (their last round's, else their join order modulo lenses), or none.
using lens_preference = std::function<std::optional<std::size_t>(voter_id)>;

/// Deals `lenses` lenses over the voters present (any order): balanced (counts differ by at most one), and
/// as many voters as balance allows keep their preferred lens; the rest go, in voter order, to the lens
/// with the fewest holders (ties: the lowest). lenses 0 deals nothing.
lens_deal deal_lenses(std::vector<voter_id> present, int lenses, const lens_preference& preferred);

/// A voter who was not present at the deal: their preferred lens if no lens has fewer holders, else the
/// lowest lens with the fewest holders. Needs lenses > 0.
std::size_t late_lens(const lens_deal& deal, std::optional<std::size_t> preferred);

/// The lens counts a scenario allows: 0 (everyone takes every lens) to its number of models.
status check_lenses(const scenario& s, int lenses, std::string_view field);

}  // namespace roundtable
