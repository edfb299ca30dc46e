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

/// Multiple-answer choice shift: per option, how many of those compared added or dropped it.
struct choices_shift {
  int compared = 0;
  int changed = 0;  // chose another set
  std::vector<int> added;
  std::vector<int> dropped;
};

/// scale shift: value to value, as for a single choice, and which way those compared moved.
struct scale_shift {
  int compared = 0;
  int changed = 0;
  int up = 0;
  int down = 0;
  double mean_delta = 0;          // mean of (this round - the round before) over those compared
  transition_matrix transitions;  // index v - min
};

/// points and rank shift: per option, how much its score moved over those compared (points given; Borda).
struct score_shift {
  int compared = 0;
  int changed = 0;
  std::vector<long long> delta;
};

struct choice_tally {
  std::vector<int> counts;  // per option
  double consensus = 0;
  std::optional<choice_shift> shift;           // single answer; absent below min_group compared
  std::optional<choices_shift> choices_moved;  // multiple answers; absent below min_group compared
};

struct scale_tally {
  std::vector<int> histogram;  // index v - min, for every v in [min, max]
  double mean = 0;
  double median = 0;
  double stdev = 0;  // population
  std::optional<scale_shift> shift;
};

struct points_tally {
  std::vector<long long> total;  // per option
  std::vector<double> mean;      // per option
  std::optional<score_shift> shift;
};

struct rank_tally {
  std::vector<long long> borda;  // per option; position i of m scores m-1-i
  std::vector<int> first;        // per option
  std::optional<score_shift> shift;
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

// The shifts of the types without transitions per option (tally_shift.cpp): over the participants who
// answered in both rounds (passes are no answer), none while they are fewer than min_group.
std::optional<choices_shift> shift_choices(const question& q, const round_ballots& current,
                                           const round_ballots& previous, int min_group);
std::optional<scale_shift> shift_scale(const question& q, const round_ballots& current, const round_ballots& previous,
                                       int min_group);
std::optional<score_shift> shift_points(const question& q, const round_ballots& current, const round_ballots& previous,
                                        int min_group);
std::optional<score_shift> shift_rank(const question& q, const round_ballots& current, const round_ballots& previous,
                                      int min_group);
/// Their wire forms (docs/protocol.md): option ids (scale values) as keys, every option with 0 where none.
nlohmann::json to_json(const question& q, const choices_shift& s);
nlohmann::json to_json(const question& q, const scale_shift& s);
nlohmann::json to_json(const question& q, const score_shift& s);

/// The wire form of a tally: option ids as keys, every option with 0 where none.
nlohmann::json to_json(const scenario& s, const question& q, const tally& t);

}  // namespace roundtable
