#include "roundtable/ballot.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace roundtable {
namespace {

using json = nlohmann::json;

// Longest id (in code points) quoted back in a message; longer input is cut with "…".
constexpr std::size_t max_quoted_code_points = 40;

error invalid(std::string message) {
  return error{error_code::invalid_ballot, std::move(message)};
}

// s as a JSON string literal, cut to a readable length; never throws, even on bad UTF-8.
std::string quote(std::string_view s) {
  std::size_t points = 0;
  std::size_t cut = s.size();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (points == max_quoted_code_points) {
        cut = i;
        break;
      }
      ++points;
    }
  }
  std::string shown(s.substr(0, cut));
  if (cut < s.size()) shown += "\u2026";
  return json(shown).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The JSON value j (a number) as written, for messages.
std::string number_text(const json& j) {
  if (j.is_number_unsigned()) return std::to_string(j.get<std::uint64_t>());
  if (j.is_number_integer()) return std::to_string(j.get<std::int64_t>());
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The index of the entry of `items` whose id is `id` (linear: lists are short).
template <class T>
std::optional<std::size_t> find_id(const std::vector<T>& items, std::string_view id) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].id == id) return i;
  return std::nullopt;
}

// Refuses any member of the ballot object other than `allowed`.
std::optional<error> only_fields(const json& b, std::initializer_list<std::string_view> allowed) {
  for (auto it = b.begin(); it != b.end(); ++it) {
    const std::string& key = it.key();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return invalid("ballot: unknown field " + quote(key));
  }
  return std::nullopt;
}

// Reads an integer JSON value into a 64-bit value; false when j is not an integer
// (floats such as 3.0, strings, booleans) or does not fit.
bool read_integer(const json& j, std::int64_t& out) {
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return false;
    out = static_cast<std::int64_t>(u);
    return true;
  }
  if (j.is_number_integer()) {
    out = j.get<std::int64_t>();
    return true;
  }
  return false;
}

result<ballot> parse_choice(const question& q, const json& b) {
  if (auto e = only_fields(b, {"choice", "choices"})) return *e;
  const auto one = b.find("choice");
  const auto many = b.find("choices");
  if (one != b.end() && many != b.end()) return invalid(R"(ballot: give "choice" or "choices", not both)");
  if (one == b.end() && many == b.end()) return invalid(R"(ballot.choice: missing (give "choice" or "choices"))");

  choice_ballot out;
  if (one != b.end()) {
    if (!one->is_string()) return invalid("ballot.choice: must be a string");
    const auto& id = one->get_ref<const std::string&>();
    const auto index = find_id(q.options, id);
    if (!index) return invalid("ballot.choice: unknown option " + quote(id));
    out.chosen.push_back(*index);
    return ballot{std::move(out)};
  }

  if (!many->is_array()) return invalid("ballot.choices: must be an array");
  if (many->empty()) return invalid("ballot.choices: must not be empty");
  const std::size_t max_choices = q.max_choices < 1 ? 1 : static_cast<std::size_t>(q.max_choices);
  if (many->size() > max_choices)
    return invalid("ballot.choices: " + std::to_string(many->size()) + " chosen, at most " +
                   std::to_string(max_choices) + " allowed");
  for (std::size_t i = 0; i < many->size(); ++i) {
    const json& item = (*many)[i];
    if (!item.is_string()) return invalid("ballot.choices[" + std::to_string(i) + "]: must be a string");
    const auto& id = item.get_ref<const std::string&>();
    const auto index = find_id(q.options, id);
    if (!index) return invalid("ballot.choices: unknown option " + quote(id));
    if (std::find(out.chosen.begin(), out.chosen.end(), *index) != out.chosen.end())
      return invalid("ballot.choices: duplicate option " + quote(id));
    out.chosen.push_back(*index);
  }
  std::sort(out.chosen.begin(), out.chosen.end());
  return ballot{std::move(out)};
}

result<ballot> parse_scale(const question& q, const json& b) {
  if (auto e = only_fields(b, {"value"})) return *e;
  const auto it = b.find("value");
  if (it == b.end()) return invalid("ballot.value: missing");
  if (!it->is_number_integer()) return invalid("ballot.value: must be an integer");
  const std::string range = std::to_string(q.min) + ".." + std::to_string(q.max);
  std::int64_t v = 0;
  if (!read_integer(*it, v) || v < q.min || v > q.max)
    return invalid("ballot.value: " + number_text(*it) + " is outside " + range);
  return ballot{scale_ballot{static_cast<int>(v)}};
}

result<ballot> parse_points(const question& q, const json& b) {
  if (auto e = only_fields(b, {"points"})) return *e;
  const auto it = b.find("points");
  if (it == b.end()) return invalid("ballot.points: missing");
  if (!it->is_object()) return invalid("ballot.points: must be an object");

  points_ballot out;
  out.points.assign(q.options.size(), 0);
  std::int64_t sum = 0;  // each value fits in int and there are few options: no overflow
  for (auto p = it->begin(); p != it->end(); ++p) {
    const std::string& id = p.key();
    const auto index = find_id(q.options, id);
    if (!index) return invalid("ballot.points: unknown option " + quote(id));
    const std::string field = "ballot.points." + id;
    if (!p->is_number_integer()) return invalid(field + ": must be an integer");
    std::int64_t v = 0;
    const bool fits = read_integer(*p, v);
    if (fits && v < 0) return invalid(field + ": " + number_text(*p) + " is negative");
    if (!fits || v > INT_MAX) return invalid(field + ": " + number_text(*p) + " is too large");
    out.points[*index] = static_cast<int>(v);
    sum += v;
  }
  if (sum != q.budget)
    return invalid("ballot.points: sum is " + std::to_string(sum) + ", must be " + std::to_string(q.budget));
  return ballot{std::move(out)};
}

result<ballot> parse_rank(const question& q, const json& b) {
  if (auto e = only_fields(b, {"order"})) return *e;
  const auto it = b.find("order");
  if (it == b.end()) return invalid("ballot.order: missing");
  if (!it->is_array()) return invalid("ballot.order: must be an array");

  rank_ballot out;
  std::vector<bool> seen(q.options.size(), false);
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    if (!item.is_string()) return invalid("ballot.order[" + std::to_string(i) + "]: must be a string");
    const auto& id = item.get_ref<const std::string&>();
    const auto index = find_id(q.options, id);
    if (!index) return invalid("ballot.order: unknown option " + quote(id));
    if (seen[*index]) return invalid("ballot.order: duplicate option " + quote(id));
    seen[*index] = true;
    out.order.push_back(*index);
  }
  for (std::size_t i = 0; i < q.options.size(); ++i)
    if (!seen[i]) return invalid("ballot.order: missing option " + quote(q.options[i].id));
  return ballot{std::move(out)};
}

result<ballot> parse_model_outcome(const scenario& s, const json& b, std::optional<std::size_t> assigned) {
  if (assigned && *assigned >= s.models.size())
    return error{error_code::internal, "assigned model is not one of the scenario's models"};
  if (auto e = only_fields(b, {"outcomes"})) return *e;
  const auto it = b.find("outcomes");
  if (it == b.end()) return invalid("ballot.outcomes: missing");
  if (!it->is_object()) return invalid("ballot.outcomes: must be an object");

  model_outcome_ballot out;
  out.outcomes.assign(s.models.size(), std::nullopt);
  for (auto m = it->begin(); m != it->end(); ++m) {
    const std::string& model_id = m.key();
    const auto model = find_id(s.models, model_id);
    if (!model) return invalid("ballot.outcomes: unknown model " + quote(model_id));
    if (assigned && *model != *assigned)
      return invalid("ballot.outcomes: only the assigned model " + quote(s.models[*assigned].id) + " may be answered");
    const std::string field = "ballot.outcomes." + model_id;
    if (!m->is_string()) return invalid(field + ": must be a string");
    const auto& outcome_id = m->get_ref<const std::string&>();
    const auto outcome = find_id(s.outcomes, outcome_id);
    if (!outcome) return invalid(field + ": unknown outcome " + quote(outcome_id));
    out.outcomes[*model] = *outcome;
  }
  for (std::size_t i = 0; i < s.models.size(); ++i) {
    if (assigned && i != *assigned) continue;
    if (!out.outcomes[i]) return invalid("ballot.outcomes: missing model " + quote(s.models[i].id));
  }
  return ballot{std::move(out)};
}

}  // namespace

// Every check reads a value only after testing its JSON type, so nothing here throws
// (bar std::bad_alloc). With assigned_model given, exactly that model must be answered,
// whatever q.assign says: the caller decides who is assigned what.
result<ballot> parse_ballot(const scenario& s, const question& q, const nlohmann::json& b,
                            std::optional<std::size_t> assigned_model) {
  if (q.type == question_type::text) return invalid("text questions take a perspective, not a vote");
  if (!b.is_object()) return invalid("ballot: must be an object");
  switch (q.type) {
    case question_type::choice:
      return parse_choice(q, b);
    case question_type::scale:
      return parse_scale(q, b);
    case question_type::points:
      return parse_points(q, b);
    case question_type::rank:
      return parse_rank(q, b);
    case question_type::model_outcome:
      return parse_model_outcome(s, b, assigned_model);
    case question_type::text:
      break;
  }
  return invalid("text questions take a perspective, not a vote");
}

// A ballot whose alternative does not match q.type (or with indices out of range)
// is not valid for q: the result is then null.
nlohmann::json to_json(const scenario& s, const question& q, const ballot& b) {
  switch (q.type) {
    case question_type::choice: {
      const auto* c = std::get_if<choice_ballot>(&b);
      if (!c) return nullptr;
      std::vector<std::size_t> chosen = c->chosen;
      std::sort(chosen.begin(), chosen.end());
      for (std::size_t i : chosen)
        if (i >= q.options.size()) return nullptr;
      if (q.max_choices <= 1 && chosen.size() == 1) return json{{"choice", q.options[chosen[0]].id}};
      json ids = json::array();
      for (std::size_t i : chosen) ids.push_back(q.options[i].id);
      return json{{"choices", std::move(ids)}};
    }
    case question_type::scale: {
      const auto* v = std::get_if<scale_ballot>(&b);
      if (!v) return nullptr;
      return json{{"value", v->value}};
    }
    case question_type::points: {
      const auto* p = std::get_if<points_ballot>(&b);
      if (!p || p->points.size() != q.options.size()) return nullptr;
      json points = json::object();
      for (std::size_t i = 0; i < q.options.size(); ++i) points[q.options[i].id] = p->points[i];
      return json{{"points", std::move(points)}};
    }
    case question_type::rank: {
      const auto* r = std::get_if<rank_ballot>(&b);
      if (!r) return nullptr;
      json order = json::array();
      for (std::size_t i : r->order) {
        if (i >= q.options.size()) return nullptr;
        order.push_back(q.options[i].id);
      }
      return json{{"order", std::move(order)}};
    }
    case question_type::model_outcome: {
      const auto* m = std::get_if<model_outcome_ballot>(&b);
      if (!m) return nullptr;
      json outcomes = json::object();
      for (std::size_t i = 0; i < m->outcomes.size() && i < s.models.size(); ++i) {
        if (!m->outcomes[i]) continue;
        if (*m->outcomes[i] >= s.outcomes.size()) return nullptr;
        outcomes[s.models[i].id] = s.outcomes[*m->outcomes[i]].id;
      }
      return json{{"outcomes", std::move(outcomes)}};
    }
    case question_type::text:
      break;
  }
  return nullptr;
}

}  // namespace roundtable
