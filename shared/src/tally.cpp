#include "roundtable/tally.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

namespace roundtable {
namespace {

using json = nlohmann::json;

// The single option of a one-answer choice ballot, if it is one and in range.
std::optional<std::size_t> single_choice(const ballot& b, std::size_t options) {
  const auto* c = std::get_if<choice_ballot>(&b);
  if (!c || c->chosen.size() != 1 || c->chosen[0] >= options) return std::nullopt;
  return c->chosen[0];
}

// The model_outcome ballot b with every index in range, else nullptr.
const model_outcome_ballot* valid_model_outcome(const ballot& b, std::size_t models, std::size_t outcomes) {
  const auto* m = std::get_if<model_outcome_ballot>(&b);
  if (!m || m->outcomes.size() != models) return nullptr;
  for (const auto& o : m->outcomes)
    if (o && *o >= outcomes) return nullptr;
  return m;
}

transition_matrix square(std::size_t n) {
  return transition_matrix(n, std::vector<int>(n, 0));
}

choice_tally tally_choice(const question& q, const round_ballots& current, const round_ballots* previous,
                          int min_group) {
  const std::size_t k = q.options.size();
  choice_tally t;
  t.counts.assign(k, 0);
  for (const auto& [voter, b] : current) {
    const auto* c = std::get_if<choice_ballot>(&b);
    if (!c) continue;
    for (std::size_t i : c->chosen)
      if (i < k) ++t.counts[i];
  }
  t.consensus = consensus(t.counts);

  // The shift exists only for single-answer questions, from round 2 on.
  if (q.max_choices <= 1 && previous) {
    choice_shift shift;
    shift.transitions = square(k);
    for (const auto& [voter, b] : current) {
      const auto to = single_choice(b, k);
      if (!to) continue;
      const auto before = previous->find(voter);
      if (before == previous->end()) continue;
      const auto from = single_choice(before->second, k);
      if (!from) continue;
      ++shift.compared;
      if (*from != *to) ++shift.changed;
      ++shift.transitions[*from][*to];
    }
    if (enough_to_show(shift.compared, min_group)) t.shift = std::move(shift);
  }
  if (q.max_choices > 1 && previous) t.choices_moved = shift_choices(q, current, *previous, min_group);
  return t;
}

scale_tally tally_scale(const question& q, const round_ballots& current) {
  scale_tally t;
  if (q.max < q.min) return t;
  const auto width = static_cast<std::size_t>(static_cast<long long>(q.max) - q.min + 1);
  t.histogram.assign(width, 0);
  std::vector<int> values;
  values.reserve(current.size());
  for (const auto& [voter, b] : current) {
    const auto* s = std::get_if<scale_ballot>(&b);
    if (!s || s->value < q.min || s->value > q.max) continue;
    ++t.histogram[static_cast<std::size_t>(static_cast<long long>(s->value) - q.min)];
    values.push_back(s->value);
  }
  if (values.empty()) return t;

  const auto n = static_cast<double>(values.size());
  double sum = 0;
  for (int v : values) sum += v;
  t.mean = sum / n;

  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  t.median = values.size() % 2 == 1 ? values[mid] : (static_cast<double>(values[mid - 1]) + values[mid]) / 2.0;

  double squares = 0;
  for (int v : values) squares += (v - t.mean) * (v - t.mean);
  t.stdev = std::sqrt(squares / n);
  return t;
}

points_tally tally_points(const question& q, const round_ballots& current) {
  const std::size_t k = q.options.size();
  points_tally t;
  t.total.assign(k, 0);
  t.mean.assign(k, 0.0);
  long long ballots = 0;
  for (const auto& [voter, b] : current) {
    const auto* p = std::get_if<points_ballot>(&b);
    if (!p || p->points.size() != k) continue;
    ++ballots;
    for (std::size_t i = 0; i < k; ++i) t.total[i] += p->points[i];
  }
  if (ballots > 0)
    for (std::size_t i = 0; i < k; ++i) t.mean[i] = static_cast<double>(t.total[i]) / static_cast<double>(ballots);
  return t;
}

rank_tally tally_rank(const question& q, const round_ballots& current) {
  const std::size_t m = q.options.size();
  rank_tally t;
  t.borda.assign(m, 0);
  t.first.assign(m, 0);
  for (const auto& [voter, b] : current) {
    const auto* r = std::get_if<rank_ballot>(&b);
    if (!r || r->order.size() != m) continue;
    std::vector<bool> seen(m, false);
    bool permutation = true;
    for (std::size_t i : r->order) {
      if (i >= m || seen[i]) {
        permutation = false;
        break;
      }
      seen[i] = true;
    }
    if (!permutation) continue;
    for (std::size_t pos = 0; pos < m; ++pos) t.borda[r->order[pos]] += static_cast<long long>(m - 1 - pos);
    if (m > 0) ++t.first[r->order[0]];
  }
  return t;
}

// The shift of a model_outcome question. A participant is compared when they answered
// at least one common model in both rounds; each model's transitions are over those who
// answered that model in both. For an assigned question every participant answers one
// model, so a model's transitions could pin down a few people even when the whole shift
// compares many: there a model whose transitions compare fewer than min_group people is
// held back (its matrix left empty), and compared/changed count only the models shown,
// so that nothing held back can be recovered by subtraction. The whole shift is absent
// while it compares fewer than min_group participants.
std::optional<model_outcome_shift> shift_model_outcome(const scenario& s, const question& q,
                                                       const round_ballots& current, const round_ballots& previous,
                                                       int min_group) {
  const std::size_t models = s.models.size();
  const std::size_t outcomes = s.outcomes.size();

  // Pairs (previous, current) of everyone who voted in both rounds.
  std::vector<std::pair<const model_outcome_ballot*, const model_outcome_ballot*>> pairs;
  for (const auto& [voter, b] : current) {
    const auto* now = valid_model_outcome(b, models, outcomes);
    if (!now) continue;
    const auto before = previous.find(voter);
    if (before == previous.end()) continue;
    const auto* then = valid_model_outcome(before->second, models, outcomes);
    if (then) pairs.emplace_back(then, now);
  }

  // Which models' transitions may be shown.
  std::vector<bool> shown(models, true);
  if (q.assign) {
    for (std::size_t m = 0; m < models; ++m) {
      int compared_on_model = 0;
      for (const auto& [then, now] : pairs)
        if (then->outcomes[m] && now->outcomes[m]) ++compared_on_model;
      shown[m] = enough_to_show(compared_on_model, min_group);
    }
  }

  model_outcome_shift shift;
  shift.transitions.resize(models);
  for (std::size_t m = 0; m < models; ++m)
    if (shown[m]) shift.transitions[m] = square(outcomes);
  for (const auto& [then, now] : pairs) {
    bool common = false;
    bool changed = false;
    for (std::size_t m = 0; m < models; ++m) {
      if (!shown[m] || !then->outcomes[m] || !now->outcomes[m]) continue;
      common = true;
      if (*then->outcomes[m] != *now->outcomes[m]) changed = true;
      ++shift.transitions[m][*then->outcomes[m]][*now->outcomes[m]];
    }
    if (common) ++shift.compared;
    if (changed) ++shift.changed;
  }
  if (!enough_to_show(shift.compared, min_group)) return std::nullopt;
  return shift;
}

model_outcome_tally tally_model_outcome(const scenario& s, const question& q, const round_ballots& current,
                                        const round_ballots* previous, int min_group) {
  const std::size_t models = s.models.size();
  const std::size_t outcomes = s.outcomes.size();
  model_outcome_tally t;
  t.matrix.assign(models, std::vector<int>(outcomes, 0));
  t.consensus.assign(models, 0.0);
  t.row_shown.assign(models, true);
  std::vector<int> answered(models, 0);
  for (const auto& [voter, b] : current) {
    const auto* m = valid_model_outcome(b, models, outcomes);
    if (!m) continue;
    for (std::size_t i = 0; i < models; ++i) {
      if (!m->outcomes[i]) continue;
      ++t.matrix[i][*m->outcomes[i]];
      ++answered[i];
    }
  }
  for (std::size_t i = 0; i < models; ++i) {
    // A held-back row is also zeroed here, so no reader of the struct can leak it.
    if (q.assign && !enough_to_show(answered[i], min_group)) {
      t.row_shown[i] = false;
      std::fill(t.matrix[i].begin(), t.matrix[i].end(), 0);
      continue;
    }
    t.consensus[i] = consensus(t.matrix[i]);
  }
  if (previous) t.shift = shift_model_outcome(s, q, current, *previous, min_group);
  return t;
}

// A shift's transitions as {FROM:{TO:n}}, listing only the pairs that occurred.
json transitions_json(const transition_matrix& tr, const std::vector<option>& ids) {
  json out = json::object();
  for (std::size_t from = 0; from < tr.size() && from < ids.size(); ++from) {
    json row = json::object();
    for (std::size_t to = 0; to < tr[from].size() && to < ids.size(); ++to)
      if (tr[from][to] != 0) row[ids[to].id] = tr[from][to];
    if (!row.empty()) out[ids[from].id] = std::move(row);
  }
  return out;
}

// A double fit for JSON: never NaN or infinite.
double finite(double x) {
  return std::isfinite(x) ? x : 0.0;
}

// A model_outcome tally: a row and a consensus per shown model, transitions per model not held back.
json model_outcome_json(const scenario& s, const model_outcome_tally& m) {
  json matrix = json::object();
  json consensus_by_model = json::object();
  for (std::size_t i = 0; i < s.models.size() && i < m.matrix.size(); ++i) {
    if (i < m.row_shown.size() && !m.row_shown[i]) continue;
    json row = json::object();
    for (std::size_t o = 0; o < s.outcomes.size() && o < m.matrix[i].size(); ++o)
      row[s.outcomes[o].id] = m.matrix[i][o];
    matrix[s.models[i].id] = std::move(row);
    consensus_by_model[s.models[i].id] = i < m.consensus.size() ? finite(m.consensus[i]) : 0.0;
  }
  json out{{"matrix", std::move(matrix)}, {"consensus", std::move(consensus_by_model)}};
  if (m.shift) {
    json transitions = json::object();
    for (std::size_t i = 0; i < s.models.size() && i < m.shift->transitions.size(); ++i) {
      if (m.shift->transitions[i].empty()) continue;  // held back
      transitions[s.models[i].id] = transitions_json(m.shift->transitions[i], s.outcomes);
    }
    out["shift"] =
        json{{"compared", m.shift->compared}, {"changed", m.shift->changed}, {"transitions", std::move(transitions)}};
  }
  return out;
}

}  // namespace

double consensus(const std::vector<int>& counts) {
  long long total = 0;
  for (int c : counts)
    if (c > 0) total += c;
  if (total == 0) return 0.0;
  if (counts.size() < 2) return 1.0;  // one option: everyone agrees
  double entropy = 0;
  for (int c : counts) {
    if (c <= 0) continue;
    const double p = static_cast<double>(c) / static_cast<double>(total);
    entropy -= p * std::log2(p);
  }
  double x = 1.0 - entropy / std::log2(static_cast<double>(counts.size()));
  // Rounding leaves an even spread a few ulps off 0 (k = 15, 19, ...) and full
  // agreement a few ulps off 1: snap both ends so the protocol's 0 and 1 are exact.
  if (x < 1e-12) x = 0;
  if (x > 1 - 1e-12) x = 1;
  return x;
}

// A text question has no tally: it yields an empty choice_tally.
tally compute_tally(const scenario& s, const question& q, const round_ballots& current, const round_ballots* previous,
                    int min_group) {
  switch (q.type) {
    case question_type::choice:
      return tally_choice(q, current, previous, min_group);
    case question_type::scale: {
      auto t = tally_scale(q, current);
      if (previous) t.shift = shift_scale(q, current, *previous, min_group);
      return t;
    }
    case question_type::points: {
      auto t = tally_points(q, current);
      if (previous) t.shift = shift_points(q, current, *previous, min_group);
      return t;
    }
    case question_type::rank: {
      auto t = tally_rank(q, current);
      if (previous) t.shift = shift_rank(q, current, *previous, min_group);
      return t;
    }
    case question_type::model_outcome:
      return tally_model_outcome(s, q, current, previous, min_group);
    case question_type::text:
      break;
  }
  return choice_tally{};
}

// A tally whose alternative does not match q.type yields null.
nlohmann::json to_json(const scenario& s, const question& q, const tally& t) {
  const auto per_option = [&q](const auto& values) {
    json out = json::object();
    for (std::size_t i = 0; i < q.options.size() && i < values.size(); ++i) out[q.options[i].id] = values[i];
    return out;
  };
  switch (q.type) {
    case question_type::choice: {
      const auto* c = std::get_if<choice_tally>(&t);
      if (!c) return nullptr;
      json out{{"counts", per_option(c->counts)}, {"consensus", finite(c->consensus)}};
      if (c->shift)
        out["shift"] = json{{"compared", c->shift->compared},
                            {"changed", c->shift->changed},
                            {"transitions", transitions_json(c->shift->transitions, q.options)}};
      if (c->choices_moved) out["shift"] = to_json(q, *c->choices_moved);
      return out;
    }
    case question_type::scale: {
      const auto* v = std::get_if<scale_tally>(&t);
      if (!v) return nullptr;
      json histogram = json::object();
      for (std::size_t i = 0; i < v->histogram.size(); ++i)
        histogram[std::to_string(static_cast<long long>(q.min) + static_cast<long long>(i))] = v->histogram[i];
      json out{{"histogram", std::move(histogram)},
               {"mean", finite(v->mean)},
               {"median", finite(v->median)},
               {"stdev", finite(v->stdev)}};
      if (v->shift) out["shift"] = to_json(q, *v->shift);
      return out;
    }
    case question_type::points: {
      const auto* p = std::get_if<points_tally>(&t);
      if (!p) return nullptr;
      std::vector<double> mean;
      for (double x : p->mean) mean.push_back(finite(x));
      json out{{"total", per_option(p->total)}, {"mean", per_option(mean)}};
      if (p->shift) out["shift"] = to_json(q, *p->shift);
      return out;
    }
    case question_type::rank: {
      const auto* r = std::get_if<rank_tally>(&t);
      if (!r) return nullptr;
      json out{{"borda", per_option(r->borda)}, {"first", per_option(r->first)}};
      if (r->shift) out["shift"] = to_json(q, *r->shift);
      return out;
    }
    case question_type::model_outcome: {
      const auto* m = std::get_if<model_outcome_tally>(&t);
      if (!m) return nullptr;
      return model_outcome_json(s, *m);
    }
    case question_type::text:
      break;
  }
  return nullptr;
}

}  // namespace roundtable
