#include "client/answer.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <set>

#include "roundtable/ballot.hpp"
#include "roundtable/text.hpp"

namespace roundtable::client {

using json = nlohmann::json;

namespace {

std::vector<option> options_of(const json& a) {
  std::vector<option> out;
  if (!a.is_array()) return out;
  for (const auto& o : a)
    if (o.is_object() && o.contains("id") && o["id"].is_string())
      out.push_back({o["id"].get<std::string>(), o.value("label", o["id"].get<std::string>())});
  return out;
}

int int_of(const json& q, const char* key, int fallback) {
  auto it = q.find(key);
  return it != q.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

error bad(std::string message) {
  return error{error_code::invalid_ballot, std::move(message)};
}

// Words of a line, split on white space, commas, '>' and ';'.
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == ',' || c == '>' || c == ';' || c == '\r' || c == '\n') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::optional<long> number(std::string_view s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string list_ids(const std::vector<option>& opts) {
  std::string s;
  for (std::size_t i = 0; i < opts.size(); ++i) s += (i ? ", " : "") + std::to_string(i + 1) + " " + opts[i].id;
  return s;
}

// An option by 1-based number or by id.
result<std::size_t> pick(const std::vector<option>& opts, std::string_view w, std::string_view what) {
  if (auto n = number(w)) {
    if (*n >= 1 && static_cast<std::size_t>(*n) <= opts.size()) return static_cast<std::size_t>(*n - 1);
    return bad("there is no " + std::string(what) + " " + std::string(w) + ": choose 1 to " +
               std::to_string(opts.size()));
  }
  for (std::size_t i = 0; i < opts.size(); ++i)
    if (opts[i].id == w) return i;
  return bad("unknown " + std::string(what) + " \"" + std::string(w) + "\": " + list_ids(opts));
}

// Drops a leading keyword ("points", "order", ...) if the line starts with it.
std::vector<std::string> without_keyword(std::vector<std::string> w, std::initializer_list<std::string_view> keys) {
  if (!w.empty() && std::find(keys.begin(), keys.end(), w.front()) != keys.end()) w.erase(w.begin());
  return w;
}

result<answer> checked(const shown_question& q, json ballot) {
  auto r = parse_ballot(q.scenario, q.question, ballot, q.assigned_model);
  if (!r) return bad(r.err().message);
  answer a;
  a.ballot = to_json(q.scenario, q.question, *r);
  return a;
}

result<answer> parse_choice(const shown_question& q, const std::vector<std::string>& w) {
  const auto& opts = q.question.options;
  if (w.empty()) return bad("type the number of your choice, 1 to " + std::to_string(opts.size()));
  std::vector<std::string> ids;
  std::set<std::size_t> seen;
  for (const auto& x : w) {
    auto i = pick(opts, x, "option");
    if (!i) return i.err();
    if (!seen.insert(*i).second) return bad("option " + x + " is named twice");
    ids.push_back(opts[*i].id);
  }
  const auto max = static_cast<std::size_t>(std::max(1, q.question.max_choices));
  if (ids.size() > max)
    return bad("choose at most " + std::to_string(max) + (max == 1 ? " option" : " options") + ", you chose " +
               std::to_string(ids.size()));
  if (max == 1) return checked(q, json{{"choice", ids.front()}});
  return checked(q, json{{"choices", ids}});
}

result<answer> parse_scale(const shown_question& q, const std::vector<std::string>& w) {
  const auto range = std::to_string(q.question.min) + " to " + std::to_string(q.question.max);
  if (w.size() != 1) return bad("type one whole number from " + range);
  auto v = number(w.front());
  if (!v) return bad("\"" + w.front() + "\" is not a whole number: type one from " + range);
  if (*v < q.question.min || *v > q.question.max)
    return bad(w.front() + " is outside the scale: type one from " + range);
  return checked(q, json{{"value", *v}});
}

result<answer> parse_points(const shown_question& q, std::vector<std::string> w) {
  const auto& opts = q.question.options;
  const int budget = q.question.budget;
  w = without_keyword(std::move(w), {"points", "points:"});
  if (w.empty())
    return bad("share " + std::to_string(budget) + " points: e.g. points " + opts.front().id + "=" +
               std::to_string(budget));
  std::vector<long> pts(opts.size(), 0);
  const bool positional =
      std::all_of(w.begin(), w.end(), [](const std::string& x) { return x.find('=') == std::string::npos; });
  if (positional) {
    if (w.size() != opts.size())
      return bad("give one number per option (" + std::to_string(opts.size()) + "), or write option=points");
    for (std::size_t i = 0; i < w.size(); ++i) {
      auto v = number(w[i]);
      if (!v) return bad("\"" + w[i] + "\" is not a whole number of points");
      pts[i] = *v;
    }
  } else {
    std::set<std::size_t> seen;
    for (const auto& x : w) {
      const auto eq = x.find('=');
      if (eq == std::string::npos)
        return bad("write option=points, e.g. " + opts.front().id + "=3 (\"" + x + "\" has no =)");
      auto i = pick(opts, std::string_view(x).substr(0, eq), "option");
      if (!i) return i.err();
      if (!seen.insert(*i).second) return bad("option " + opts[*i].id + " is named twice");
      auto v = number(std::string_view(x).substr(eq + 1));
      if (!v) return bad("\"" + x.substr(eq + 1) + "\" is not a whole number of points");
      pts[*i] = *v;
    }
  }
  long sum = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (pts[i] < 0) return bad("points cannot be negative (" + opts[i].id + "=" + std::to_string(pts[i]) + ")");
    sum += pts[i];
  }
  if (sum != budget)
    return bad("the points add up to " + std::to_string(sum) + "; they must add up to " + std::to_string(budget));
  json p = json::object();
  for (std::size_t i = 0; i < opts.size(); ++i) p[opts[i].id] = pts[i];
  return checked(q, json{{"points", p}});
}

result<answer> parse_rank(const shown_question& q, std::vector<std::string> w) {
  const auto& opts = q.question.options;
  w = without_keyword(std::move(w), {"order", "order:", "rank"});
  std::vector<std::string> ids;
  std::set<std::size_t> seen;
  for (const auto& x : w) {
    auto i = pick(opts, x, "option");
    if (!i) return i.err();
    if (!seen.insert(*i).second) return bad("option " + opts[*i].id + " is named twice: rank each option once");
    ids.push_back(opts[*i].id);
  }
  if (ids.size() != opts.size()) {
    std::string missing;
    for (std::size_t i = 0; i < opts.size(); ++i)
      if (!seen.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i + 1) + " " + opts[i].id;
    return bad("rank every option, best first; missing: " + missing);
  }
  return checked(q, json{{"order", ids}});
}

result<answer> parse_model_outcome(const shown_question& q, const std::vector<std::string>& w) {
  const auto& models = q.scenario.models;
  std::vector<option> model_opts;
  for (const auto& m : models) model_opts.push_back({m.id, m.name});
  const auto& outcomes = q.scenario.outcomes;
  json out = json::object();
  if (q.assigned_model) {
    // Just the outcome, or model=outcome for the assigned model.
    if (w.size() != 1)
      return bad("type one outcome (1 to " + std::to_string(outcomes.size()) + ") for " + models[*q.assigned_model].id);
    std::string_view x = w.front();
    if (const auto eq = x.find('='); eq != std::string_view::npos) {
      auto m = pick(model_opts, x.substr(0, eq), "model");
      if (!m) return m.err();
      if (*m != *q.assigned_model) return bad("you answer for " + models[*q.assigned_model].id + " only");
      x = x.substr(eq + 1);
    }
    auto o = pick(outcomes, x, "outcome");
    if (!o) return o.err();
    out[models[*q.assigned_model].id] = outcomes[*o].id;
    return checked(q, json{{"outcomes", out}});
  }
  const bool positional =
      std::all_of(w.begin(), w.end(), [](const std::string& x) { return x.find('=') == std::string::npos; });
  if (positional) {
    if (w.size() != models.size())
      return bad("give one outcome per model (" + std::to_string(models.size()) +
                 " numbers, in model order), or write model=outcome");
    for (std::size_t i = 0; i < w.size(); ++i) {
      auto o = pick(outcomes, w[i], "outcome");
      if (!o) return o.err();
      out[models[i].id] = outcomes[*o].id;
    }
  } else {
    for (const auto& x : w) {
      const auto eq = x.find('=');
      if (eq == std::string::npos)
        return bad("write model=outcome, e.g. " + models.front().id + "=1 (\"" + x + "\" has no =)");
      auto m = pick(model_opts, std::string_view(x).substr(0, eq), "model");
      if (!m) return m.err();
      if (out.contains(models[*m].id)) return bad("model " + models[*m].id + " is named twice");
      auto o = pick(outcomes, std::string_view(x).substr(eq + 1), "outcome");
      if (!o) return o.err();
      out[models[*m].id] = outcomes[*o].id;
    }
    std::string missing;
    for (const auto& m : models)
      if (!out.contains(m.id)) missing += (missing.empty() ? "" : ", ") + m.id;
    if (!missing.empty()) return bad("give an outcome for every model; missing: " + missing);
  }
  return checked(q, json{{"outcomes", out}});
}

result<answer> parse_text(const shown_question& q, std::string_view line) {
  if (!text::valid_utf8(line)) return bad("the text is not valid UTF-8");
  const auto t = text::trim(line);
  if (t.empty()) return bad("type your perspective (an empty line sends nothing)");
  const auto n = text::code_points(t);
  if (n > static_cast<std::size_t>(q.question.max_length))
    return bad("the text has " + std::to_string(n) + " characters; at most " + std::to_string(q.question.max_length));
  answer a;
  a.perspective = true;
  a.text = std::string(t);
  return a;
}

}  // namespace

std::optional<shown_question> question_from_view(const json& v) {
  if (!v.is_object() || !v.contains("id") || !v["id"].is_string() || !v.contains("type") || !v["type"].is_string())
    return std::nullopt;
  const auto type = question_type_from(v["type"].get<std::string>());
  if (!type) return std::nullopt;
  shown_question s;
  s.id = v["id"].get<std::string>();
  auto& q = s.question;
  q.type = *type;
  q.prompt = v.value("prompt", "");
  q.options = options_of(v.value("options", json::array()));
  q.max_choices = int_of(v, "max_choices", 1);
  q.min = int_of(v, "min", 0);
  q.max = int_of(v, "max", 0);
  if (v.contains("labels") && v["labels"].is_object())
    q.labels = scale_labels{v["labels"].value("min", ""), v["labels"].value("max", "")};
  q.budget = int_of(v, "budget", 0);
  q.max_length = int_of(v, "max_length", 280);
  q.assign = v.value("assign", false);
  if (v.contains("models") && v["models"].is_array())
    for (const auto& m : v["models"])
      if (m.is_object() && m.contains("id") && m["id"].is_string())
        s.scenario.models.push_back(
            {m["id"].get<std::string>(), m.value("name", m["id"].get<std::string>()), m.value("prompt", "")});
  s.scenario.outcomes = options_of(v.value("outcomes", json::array()));
  if (v.contains("assigned_model") && v["assigned_model"].is_string())
    s.assigned_model = s.scenario.model_index(v["assigned_model"].get<std::string>());
  const bool needs_options =
      q.type == question_type::choice || q.type == question_type::points || q.type == question_type::rank;
  if (needs_options && q.options.empty()) return std::nullopt;
  if (q.type == question_type::model_outcome && (s.scenario.models.empty() || s.scenario.outcomes.empty()))
    return std::nullopt;
  if (q.type == question_type::scale && q.min > q.max) return std::nullopt;
  return s;
}

result<answer> parse_answer(const shown_question& q, std::string_view line) {
  if (q.question.type == question_type::text) return parse_text(q, line);
  auto w = words(line);
  switch (q.question.type) {
    case question_type::choice:
      return parse_choice(q, w);
    case question_type::scale:
      return parse_scale(q, w);
    case question_type::points:
      return parse_points(q, std::move(w));
    case question_type::rank:
      return parse_rank(q, std::move(w));
    case question_type::model_outcome:
      return parse_model_outcome(q, w);
    case question_type::text:
      break;
  }
  return bad("this question takes no answer");
}

answer random_answer(const shown_question& q, std::mt19937_64& rng) {
  const auto& qq = q.question;
  auto below = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % std::max<std::size_t>(1, n)); };
  answer a;
  switch (qq.type) {
    case question_type::choice: {
      const std::size_t max = std::min<std::size_t>(std::max(1, qq.max_choices), qq.options.size());
      if (max == 1) {
        a.ballot = {{"choice", qq.options[below(qq.options.size())].id}};
        break;
      }
      std::vector<std::size_t> idx(qq.options.size());
      std::iota(idx.begin(), idx.end(), 0);
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(1 + below(max));
      json ids = json::array();
      for (auto i : idx) ids.push_back(qq.options[i].id);
      a.ballot = {{"choices", ids}};
      break;
    }
    case question_type::scale:
      a.ballot = {{"value", qq.min + static_cast<int>(below(static_cast<std::size_t>(qq.max - qq.min + 1)))}};
      break;
    case question_type::points: {
      std::vector<int> pts(qq.options.size(), 0);
      for (int i = 0; i < qq.budget; ++i) ++pts[below(pts.size())];
      json p = json::object();
      for (std::size_t i = 0; i < pts.size(); ++i) p[qq.options[i].id] = pts[i];
      a.ballot = {{"points", p}};
      break;
    }
    case question_type::rank: {
      std::vector<std::size_t> idx(qq.options.size());
      std::iota(idx.begin(), idx.end(), 0);
      std::shuffle(idx.begin(), idx.end(), rng);
      json ids = json::array();
      for (auto i : idx) ids.push_back(qq.options[i].id);
      a.ballot = {{"order", ids}};
      break;
    }
    case question_type::model_outcome: {
      json out = json::object();
      const auto& ms = q.scenario.models;
      const auto& os = q.scenario.outcomes;
      if (q.assigned_model)
        out[ms[*q.assigned_model].id] = os[below(os.size())].id;
      else
        for (const auto& m : ms) out[m.id] = os[below(os.size())].id;
      a.ballot = {{"outcomes", out}};
      break;
    }
    case question_type::text:
      a.perspective = true;
      a.text = "perspective " + std::to_string(rng() % 1000000);
      break;
  }
  return a;
}

std::string answer_hint(const shown_question& q) {
  const auto& qq = q.question;
  const auto n = std::to_string(qq.options.size());
  switch (qq.type) {
    case question_type::choice:
      return qq.max_choices > 1 ? "answer: up to " + std::to_string(qq.max_choices) + " option numbers, e.g. 1 3"
                                : "answer: one option number, 1 to " + n;
    case question_type::scale:
      return "answer: a whole number from " + std::to_string(qq.min) + " to " + std::to_string(qq.max);
    case question_type::points:
      return "answer: share " + std::to_string(qq.budget) + " points, e.g. points " + qq.options.front().id + "=" +
             std::to_string(qq.budget) + " (or one number per option)";
    case question_type::rank:
      return "answer: every option number once, best first, e.g. order 2 1 3";
    case question_type::model_outcome:
      if (q.assigned_model) return "answer: the outcome number for " + q.scenario.models[*q.assigned_model].name;
      return "answer: one outcome number per model, e.g. " + q.scenario.models.front().id + "=1 (or " +
             std::to_string(q.scenario.models.size()) + " numbers in model order)";
    case question_type::text:
      return "answer: type your perspective (at most " + std::to_string(qq.max_length) + " characters)";
  }
  return "";
}

}  // namespace roundtable::client
