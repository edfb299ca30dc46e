// How the group moved between two rounds of a multiple choice, scale, points or rank question (issue 11 item 2).
// Each compares the participants who answered in both rounds and is absent while they are fewer than min_group,
// the rule of the single-choice and model grid shifts (tally.cpp).
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "roundtable/tally.hpp"

namespace roundtable {

using json = nlohmann::json;

namespace {

// Calls f(then, now) for every participant whose ballots in both rounds are of type B and fit (`fits`).
template <typename B, typename Fits, typename F>
int for_each_pair(const round_ballots& current, const round_ballots& previous, Fits fits, F f) {
  int compared = 0;
  for (const auto& [voter, b] : current) {
    const auto* now = std::get_if<B>(&b);
    const auto before = previous.find(voter);
    if (!now || before == previous.end()) continue;
    const auto* then = std::get_if<B>(&before->second);
    if (!then || !fits(*now) || !fits(*then)) continue;
    ++compared;
    f(*then, *now);
  }
  return compared;
}

// Option ids as keys, each with its value.
template <typename T>
json per_option(const question& q, const std::vector<T>& values) {
  json out = json::object();
  for (std::size_t i = 0; i < q.options.size() && i < values.size(); ++i) out[q.options[i].id] = values[i];
  return out;
}

// A rank ballot's Borda score per option (position i of m scores m-1-i).
std::vector<long long> borda(const rank_ballot& r, std::size_t m) {
  std::vector<long long> score(m, 0);
  for (std::size_t pos = 0; pos < r.order.size(); ++pos) score[r.order[pos]] = static_cast<long long>(m - 1 - pos);
  return score;
}

}  // namespace

std::optional<choices_shift> shift_choices(const question& q, const round_ballots& current,
                                           const round_ballots& previous, int min_group) {
  const std::size_t k = q.options.size();
  choices_shift s{0, 0, std::vector<int>(k, 0), std::vector<int>(k, 0)};
  const auto fits = [k](const choice_ballot& c) {
    for (auto i : c.chosen)
      if (i >= k) return false;
    return true;
  };
  s.compared = for_each_pair<choice_ballot>(current, previous, fits, [&](const auto& then, const auto& now) {
    std::vector<bool> before(k, false), after(k, false);
    for (auto i : then.chosen) before[i] = true;
    for (auto i : now.chosen) after[i] = true;
    if (before != after) ++s.changed;
    for (std::size_t i = 0; i < k; ++i) {
      if (after[i] && !before[i]) ++s.added[i];
      if (before[i] && !after[i]) ++s.dropped[i];
    }
  });
  if (!enough_to_show(s.compared, min_group)) return std::nullopt;
  return s;
}

std::optional<scale_shift> shift_scale(const question& q, const round_ballots& current, const round_ballots& previous,
                                       int min_group) {
  if (q.max < q.min) return std::nullopt;
  const auto width = static_cast<std::size_t>(static_cast<long long>(q.max) - q.min + 1);
  scale_shift s;
  s.transitions.assign(width, std::vector<int>(width, 0));
  long long moved = 0;
  const auto fits = [&q](const scale_ballot& b) { return b.value >= q.min && b.value <= q.max; };
  s.compared = for_each_pair<scale_ballot>(current, previous, fits, [&](const auto& then, const auto& now) {
    if (now.value != then.value) ++s.changed;
    if (now.value > then.value) ++s.up;
    if (now.value < then.value) ++s.down;
    moved += static_cast<long long>(now.value) - then.value;
    ++s.transitions[static_cast<std::size_t>(then.value - q.min)][static_cast<std::size_t>(now.value - q.min)];
  });
  if (!enough_to_show(s.compared, min_group)) return std::nullopt;
  s.mean_delta = static_cast<double>(moved) / s.compared;
  return s;
}

std::optional<score_shift> shift_points(const question& q, const round_ballots& current, const round_ballots& previous,
                                        int min_group) {
  const std::size_t k = q.options.size();
  score_shift s{0, 0, std::vector<long long>(k, 0)};
  const auto fits = [k](const points_ballot& p) { return p.points.size() == k; };
  s.compared = for_each_pair<points_ballot>(current, previous, fits, [&](const auto& then, const auto& now) {
    if (then.points != now.points) ++s.changed;
    for (std::size_t i = 0; i < k; ++i) s.delta[i] += static_cast<long long>(now.points[i]) - then.points[i];
  });
  if (!enough_to_show(s.compared, min_group)) return std::nullopt;
  return s;
}

std::optional<score_shift> shift_rank(const question& q, const round_ballots& current, const round_ballots& previous,
                                      int min_group) {
  const std::size_t m = q.options.size();
  score_shift s{0, 0, std::vector<long long>(m, 0)};
  const auto fits = [m](const rank_ballot& r) {
    std::vector<bool> seen(m, false);
    for (auto i : r.order) {
      if (i >= m || seen[i]) return false;
      seen[i] = true;
    }
    return r.order.size() == m;
  };
  s.compared = for_each_pair<rank_ballot>(current, previous, fits, [&](const auto& then, const auto& now) {
    if (then.order != now.order) ++s.changed;
    const auto before = borda(then, m);
    const auto after = borda(now, m);
    for (std::size_t i = 0; i < m; ++i) s.delta[i] += after[i] - before[i];
  });
  if (!enough_to_show(s.compared, min_group)) return std::nullopt;
  return s;
}

json to_json(const question& q, const choices_shift& s) {
  return json{{"compared", s.compared},
              {"changed", s.changed},
              {"added", per_option(q, s.added)},
              {"dropped", per_option(q, s.dropped)}};
}

json to_json(const question& q, const scale_shift& s) {
  json transitions = json::object();
  for (std::size_t from = 0; from < s.transitions.size(); ++from) {
    json row = json::object();
    for (std::size_t to = 0; to < s.transitions[from].size(); ++to)
      if (s.transitions[from][to] != 0)
        row[std::to_string(q.min + static_cast<long long>(to))] = s.transitions[from][to];
    if (!row.empty()) transitions[std::to_string(q.min + static_cast<long long>(from))] = std::move(row);
  }
  return json{{"compared", s.compared},
              {"changed", s.changed},
              {"up", s.up},
              {"down", s.down},
              {"mean_delta", std::isfinite(s.mean_delta) ? s.mean_delta : 0.0},
              {"transitions", std::move(transitions)}};
}

json to_json(const question& q, const score_shift& s) {
  return json{{"compared", s.compared}, {"changed", s.changed}, {"delta", per_option(q, s.delta)}};
}

}  // namespace roundtable
