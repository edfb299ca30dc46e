// Tallies of one round, exactly as protocol.md defines them, and round-to-round shifts.
#pragma once

#include <cstddef>
#include <optional>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "roundtable/ballot.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable {

/// counts[from][to]: how many participants went from one option to another.
using transition_matrix = std::vector<std::vector<int>>;

/// Single-answer choice shift between the previous round and this one.
struct choice_shift {
  int compared = 0;  // voted in both rounds
  int changed = 0;   // of those, answered differently
  transition_matrix transitions;
};

/// model_outcome shift: transitions per model; changed counts participants
/// who changed at least one model's outcome.
struct model_outcome_shift {
  int compared = 0;
  int changed = 0;
  std::vector<transition_matrix> transitions;  // per model; empty: held back (assigned, < min_group compared on it)
};

struct choice_tally {
  std::vector<int> counts;  // per option
  double consensus = 0;
  std::optional<choice_shift> shift;  // absent below min_group compared
};

struct scale_tally {
  std::vector<int> histogram;  // index v - min, for every v in [min, max]
  double mean = 0;
  double median = 0;
  double stdev = 0;  // population
};

struct points_tally {
  std::vector<long long> total;  // per option
  std::vector<double> mean;      // per option
};

struct rank_tally {
  std::vector<long long> borda;  // per option; position i of m scores m-1-i
  std::vector<int> first;        // per option
};

struct model_outcome_tally {
  std::vector<std::vector<int>> matrix;  // [model][outcome]
  std::vector<double> consensus;         // per model
  std::vector<bool> row_shown;           // false: held back (assigned, fewer than min_group ballots)
  std::optional<model_outcome_shift> shift;
};

using tally = std::variant<choice_tally, scale_tally, points_tally, rank_tally, model_outcome_tally>;

/// The one anonymity rule: a number drawn from n people (ballots, participants compared, authors) is shown only
/// once n reaches min_group. Live tallies, held-back model rows and shifts, the export and the report all ask it.
constexpr bool enough_to_show(long long n, int min_group) {
  return n >= min_group;
}

/// 1 - H/log2(k) over counts (k = counts.size()); 0 when there is nothing to count.
double consensus(const std::vector<int>& counts);

/// The tally of `current` for question q (not text). `previous` is the round
/// before (for the shift, from round 2 on), nullptr in round 1. min_group
/// holds back the shift and assigned model rows that would compare too few.
tally compute_tally(const scenario& s, const question& q, const round_ballots& current, const round_ballots* previous,
                    int min_group);

/// The wire form of a tally: option ids as keys, every option with 0 where none.
nlohmann::json to_json(const scenario& s, const question& q, const tally& t);

}  // namespace roundtable
