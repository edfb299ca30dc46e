#include "roundtable/scenario.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "roundtable/language_tag.hpp"
#include "roundtable/text.hpp"

namespace roundtable {

using nlohmann::json;

std::string_view to_string(question_type type) {
  switch (type) {
    case question_type::choice:
      return "choice";
    case question_type::scale:
      return "scale";
    case question_type::points:
      return "points";
    case question_type::rank:
      return "rank";
    case question_type::model_outcome:
      return "model_outcome";
    case question_type::text:
      return "text";
  }
  return "choice";
}

std::optional<question_type> question_type_from(std::string_view s) {
  for (auto t : {question_type::choice, question_type::scale, question_type::points, question_type::rank,
                 question_type::model_outcome, question_type::text})
    if (to_string(t) == s) return t;
  return std::nullopt;
}

std::string_view to_string(stage_kind kind) {
  switch (kind) {
    case stage_kind::case_text:
      return "case";
    case stage_kind::question:
      return "question";
    case stage_kind::discussion:
      return "discussion";
    case stage_kind::revote:
      return "revote";
  }
  return "case";
}

namespace {

std::optional<stage_kind> stage_kind_from(std::string_view s) {
  for (auto k : {stage_kind::case_text, stage_kind::question, stage_kind::discussion, stage_kind::revote})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

template <class T>
std::optional<std::size_t> index_by_id(const std::vector<T>& items, std::string_view id) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].id == id) return i;
  return std::nullopt;
}

}  // namespace

std::optional<std::size_t> question::option_index(std::string_view id) const {
  return index_by_id(options, id);
}
std::optional<std::size_t> scenario::stage_index(std::string_view id) const {
  return index_by_id(stages, id);
}
std::optional<std::size_t> scenario::model_index(std::string_view id) const {
  return index_by_id(models, id);
}
std::optional<std::size_t> scenario::outcome_index(std::string_view id) const {
  return index_by_id(outcomes, id);
}

const stage* scenario::question_stage(std::string_view id) const {
  const auto i = stage_index(id);
  if (!i || stages[*i].kind != stage_kind::question) return nullptr;
  return &stages[*i];
}

std::string scenario_error::to_string() const {
  if (path.empty()) return file + ": " + rule;
  return file + ": " + path + ": " + rule;
}

namespace {

// Limits of scenario-format.md, in code points.
constexpr std::size_t max_id = 40;
constexpr std::size_t max_title = 200;
constexpr std::size_t max_prompt = 1000;
constexpr std::size_t max_paragraph = 4000;
constexpr long long max_budget = 1'000'000;

std::string json_quoted(std::string_view s) {
  // Ids in messages are quoted as JSON strings, so odd characters stay visible.
  return json(std::string(s)).dump(-1, ' ', true, json::error_handler_t::replace);
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

// Walks one scenario file's JSON, recording every broken rule with its path.
class reader {
public:
  reader(std::string_view file, std::vector<scenario_error>& errors) : file_(file), errors_(errors) {}

  void fail(const std::string& path, std::string rule) { errors_.push_back({file_, path, std::move(rule)}); }

  static std::string at(const std::string& path, std::string_view field) {
    return path.empty() ? std::string(field) : path + "." + std::string(field);
  }
  static std::string at(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

  // Refuses every field of obj that is not in allowed; `what` names the object in the message.
  void only(const json& obj, const std::string& path, std::initializer_list<std::string_view> allowed,
            std::string_view what = {}) {
    for (const auto& [key, value] : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string rule = what.empty() ? "unknown field" : "unknown field in " + std::string(what);
      if (auto hint = closest(key, allowed)) rule += " (did you mean " + json_quoted(*hint) + "?)";
      fail(at(path, key), rule);
    }
  }

  const json* field(const json& obj, const std::string& path, std::string_view name, bool required,
                    std::string_view why = {}) {
    const auto it = obj.find(name);
    if (it != obj.end()) return &*it;
    if (required) fail(at(path, name), why.empty() ? "is required" : "is required " + std::string(why));
    return nullptr;
  }

  bool object(const json* v, const std::string& path) {
    if (!v) return false;
    if (v->is_object()) return true;
    fail(path, "must be an object");
    return false;
  }

  // A text field: a string, non-empty after trimming, at most max code points.
  std::optional<std::string> string(const json* v, const std::string& path, std::size_t max) {
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      fail(path, "must be a string");
      return std::nullopt;
    }
    const auto& s = v->get_ref<const std::string&>();
    if (text::trim(s).empty()) {
      fail(path, "must not be empty");
      return std::nullopt;
    }
    const auto n = text::code_points(s);
    if (n > max) {
      fail(path, "is " + plural(n, "character") + " long, at most " + std::to_string(max) + " allowed");
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::string> id(const json* v, const std::string& path) {
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      fail(path, "must be a string");
      return std::nullopt;
    }
    const auto& s = v->get_ref<const std::string&>();
    if (!text::is_id(s)) {
      fail(path,
           json_quoted(s) + " is not a valid id (1 to " + std::to_string(max_id) + " characters of a-z, 0-9, _ and -)");
      return std::nullopt;
    }
    return s;
  }

  // An optional language tag: the scenario's "lang".
  std::optional<std::string> language(const json* v, const std::string& path) {
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      fail(path, "must be a string");
      return std::nullopt;
    }
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > text::max_language_tag) {  // not echoed: a tag is short, this is something else
      fail(path, "is " + plural(s.size(), "byte") + " long; a language tag is at most " +
                     std::to_string(text::max_language_tag) + " characters (such as \"de\" or \"en-GB\")");
      return std::nullopt;
    }
    if (!text::is_language_tag(s)) {
      fail(path, json_quoted(s) + " is not a BCP 47 language tag (such as \"de\", \"en\" or \"en-GB\")");
      return std::nullopt;
    }
    return s;
  }

  std::optional<long long> integer(const json* v, const std::string& path, long long lo, long long hi) {
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
      fail(path, "must be an integer");
      return std::nullopt;
    }
    // Unsigned values above the signed range are out of every range we accept.
    if (v->is_number_unsigned() && v->get<unsigned long long>() > static_cast<unsigned long long>(hi)) {
      fail(path, "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    const auto n = v->get<long long>();
    if (n < lo || n > hi) {
      fail(path, "must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not " + std::to_string(n));
      return std::nullopt;
    }
    return n;
  }

  std::optional<bool> boolean(const json* v, const std::string& path) {
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>();
    fail(path, "must be true or false");
    return std::nullopt;
  }

  // A list of lo..hi items; returns nullptr (after recording why) when it is not.
  const json* list(const json* v, const std::string& path, std::size_t lo, std::size_t hi, std::string_view noun) {
    if (!v) return nullptr;
    if (!v->is_array()) {
      fail(path, "must be a list");
      return nullptr;
    }
    if (v->size() < lo || v->size() > hi) {
      fail(path, "has " + plural(v->size(), noun) + ", must have " + std::to_string(lo) + " to " + std::to_string(hi));
      return nullptr;
    }
    return v;
  }

  std::vector<std::string> paragraphs(const json* v, const std::string& path) {
    std::vector<std::string> out;
    const json* l = list(v, path, 1, 50, "paragraph");
    if (!l) return out;
    for (std::size_t i = 0; i < l->size(); ++i)
      if (auto s = string(&(*l)[i], at(path, i), max_paragraph)) out.push_back(std::move(*s));
    return out;
  }

  // Records a duplicate id; returns false when id was seen before.
  bool unique(std::set<std::string>& seen, const std::string& id, const std::string& path) {
    if (seen.insert(id).second) return true;
    fail(path, "duplicate id " + json_quoted(id));
    return false;
  }

private:
  static std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diag = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  }

  // The allowed name a typo most likely meant, if one is close enough.
  static std::optional<std::string_view> closest(std::string_view key,
                                                 std::initializer_list<std::string_view> allowed) {
    std::optional<std::string_view> best;
    std::size_t best_d = 3;  // at most two edits away
    for (auto a : allowed) {
      const auto d = distance(key, a);
      if (d < best_d) best_d = d, best = a;
    }
    return best;
  }

  std::string file_;
  std::vector<scenario_error>& errors_;
};

std::vector<option> read_options(reader& r, const json& v, const std::string& path) {
  std::vector<option> out;
  const json* l = r.list(&v, path, 2, 20, "option");
  if (!l) return out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < l->size(); ++i) {
    const auto p = reader::at(path, i);
    const json& o = (*l)[i];
    if (!r.object(&o, p)) continue;
    r.only(o, p, {"id", "label"});
    auto id = r.id(r.field(o, p, "id", true), reader::at(p, "id"));
    auto label = r.string(r.field(o, p, "label", true), reader::at(p, "label"), max_title);
    if (id && !r.unique(seen, *id, reader::at(p, "id"))) id.reset();
    if (id && label) out.push_back({std::move(*id), std::move(*label)});
  }
  return out;
}

// What the question needs from the scenario, checked after all of it is read.
struct question_needs {
  bool outcomes = false;
  bool models = false;
  std::string path;
  std::string rule;
};

// One question object being read: what the readers of each question type share.
struct question_input {
  reader& r;
  const json& v;
  const std::string& path;
  std::string what;  // "a choice question", for the unknown-field messages
  std::vector<question_needs>& needs;
};

// The question's type, or nothing (after recording why).
std::optional<question_type> read_question_type(reader& r, const json& v, const std::string& path) {
  const json* type_v = r.field(v, path, "type", true);
  if (!type_v) return std::nullopt;
  if (!type_v->is_string()) {
    r.fail(reader::at(path, "type"), "must be a string");
    return std::nullopt;
  }
  const auto type = question_type_from(type_v->get_ref<const std::string&>());
  if (!type)
    r.fail(reader::at(path, "type"), json_quoted(type_v->get_ref<const std::string&>()) +
                                         " is not a question type (choice, scale, points, rank, "
                                         "model_outcome, text)");
  return type;
}

// Options shared by choice, points and rank: a list, or the scenario's outcomes.
bool read_question_options(question_input& in, question& q, std::size_t max_count) {
  auto& r = in.r;
  const json* o = r.field(in.v, in.path, "options", true);
  if (!o) return false;
  const auto p = reader::at(in.path, "options");
  if (o->is_string()) {
    if (o->get_ref<const std::string&>() != "outcomes") {
      r.fail(p, "must be a list of options or the string \"outcomes\"");
      return false;
    }
    q.options_from_outcomes = true;
    in.needs.push_back({true, false, p, ""});
    return true;
  }
  q.options = read_options(r, *o, p);
  if (q.options.empty()) return false;
  if (q.options.size() > max_count) {
    r.fail(p, "has " + plural(q.options.size(), "option") + ", must have 2 to " + std::to_string(max_count));
    return false;
  }
  return true;
}

// An optional integer field within lo..hi into out; false when present and broken.
bool read_optional_int(question_input& in, std::string_view name, long long lo, long long hi, int& out) {
  const json* m = in.r.field(in.v, in.path, name, false);
  if (!m) return true;
  auto n = in.r.integer(m, reader::at(in.path, name), lo, hi);
  if (!n) return false;
  out = static_cast<int>(*n);
  return true;
}

// Each reader below: the fields of one question type; false when any is broken.
bool read_choice(question_input& in, question& q) {
  in.r.only(in.v, in.path, {"type", "prompt", "options", "max_choices", "abstain"}, in.what);
  const bool options = read_question_options(in, q, 20);
  return read_optional_int(in, "max_choices", 1, 20, q.max_choices) && options;
}

bool read_scale_labels(question_input& in, question& q) {
  auto& r = in.r;
  const json* l = r.field(in.v, in.path, "labels", false);
  if (!l) return true;
  const auto p = reader::at(in.path, "labels");
  if (!r.object(l, p)) return false;
  r.only(*l, p, {"min", "max"});
  auto a = r.string(r.field(*l, p, "min", true), reader::at(p, "min"), max_title);
  auto b = r.string(r.field(*l, p, "max", true), reader::at(p, "max"), max_title);
  if (!a || !b) return false;
  q.labels = scale_labels{std::move(*a), std::move(*b)};
  return true;
}

bool read_scale(question_input& in, question& q) {
  auto& r = in.r;
  const auto& path = in.path;
  r.only(in.v, path, {"type", "prompt", "min", "max", "labels", "abstain"}, in.what);
  constexpr long long bound = 1'000'000'000;
  auto lo = r.integer(r.field(in.v, path, "min", true), reader::at(path, "min"), -bound, bound);
  auto hi = r.integer(r.field(in.v, path, "max", true), reader::at(path, "max"), -bound, bound);
  bool ok = true;
  if (!lo || !hi) {
    ok = false;
  } else if (*lo >= *hi) {
    r.fail(reader::at(path, "max"), "must be greater than min (" + std::to_string(*lo) + ")");
    ok = false;
  } else if (*hi - *lo > 10) {
    r.fail(reader::at(path, "max"), "is " + std::to_string(*hi - *lo) + " above min, at most 10 allowed");
    ok = false;
  } else {
    q.min = static_cast<int>(*lo);
    q.max = static_cast<int>(*hi);
  }
  return read_scale_labels(in, q) && ok;
}

bool read_points(question_input& in, question& q) {
  auto& r = in.r;
  r.only(in.v, in.path, {"type", "prompt", "options", "budget", "abstain"}, in.what);
  const bool options = read_question_options(in, q, 20);
  auto b = r.integer(r.field(in.v, in.path, "budget", true), reader::at(in.path, "budget"), 1, max_budget);
  if (b) q.budget = static_cast<int>(*b);
  return b && options;
}

bool read_rank(question_input& in, question& q) {
  in.r.only(in.v, in.path, {"type", "prompt", "options", "abstain"}, in.what);
  return read_question_options(in, q, 10);
}

bool read_model_outcome(question_input& in, question& q) {
  in.r.only(in.v, in.path, {"type", "prompt", "assign", "abstain"}, in.what);
  bool ok = true;
  if (const json* a = in.r.field(in.v, in.path, "assign", false)) {
    auto b = in.r.boolean(a, reader::at(in.path, "assign"));
    if (b) q.assign = *b;
    ok = b.has_value();
  }
  in.needs.push_back({true, true, in.path, ""});
  return ok;
}

bool read_text(question_input& in, question& q) {
  in.r.only(in.v, in.path, {"type", "prompt", "max_length"}, in.what);
  return read_optional_int(in, "max_length", 1, 2000, q.max_length);
}

// "abstain": true lets a participant answer "not sure / pass" (every type but text, whose reader refuses the field).
bool read_abstain(question_input& in, question& q) {
  if (q.type == question_type::text) return true;
  const json* a = in.r.field(in.v, in.path, "abstain", false);
  if (!a) return true;
  auto b = in.r.boolean(a, reader::at(in.path, "abstain"));
  if (b) q.abstain = *b;
  return b.has_value();
}

bool read_question_fields(question_input& in, question& q) {
  switch (q.type) {
    case question_type::choice:
      return read_choice(in, q);
    case question_type::scale:
      return read_scale(in, q);
    case question_type::points:
      return read_points(in, q);
    case question_type::rank:
      return read_rank(in, q);
    case question_type::model_outcome:
      return read_model_outcome(in, q);
    case question_type::text:
      return read_text(in, q);
  }
  return false;
}

std::optional<question> read_question(reader& r, const json& v, const std::string& path,
                                      std::vector<question_needs>& needs) {
  if (!r.object(&v, path)) return std::nullopt;
  const auto type = read_question_type(r, v, path);
  auto prompt = r.string(r.field(v, path, "prompt", true), reader::at(path, "prompt"), max_prompt);
  if (!type) {
    r.only(v, path,
           {"type", "prompt", "options", "max_choices", "min", "max", "labels", "budget", "assign", "max_length",
            "abstain"});
    return std::nullopt;
  }
  question q;
  q.type = *type;
  if (prompt) q.prompt = std::move(*prompt);
  question_input in{r, v, path, "a " + std::string(to_string(q.type)) + " question", needs};
  const bool fields = read_question_fields(in, q);
  const bool abstain = read_abstain(in, q);
  if (!prompt || !fields || !abstain) return std::nullopt;
  return q;
}

// The format comes first: a file of another version is refused on that alone (false: stop reading).
bool read_format(reader& r, const json& doc) {
  const json* f = r.field(doc, "", "format", true);
  if (!f) return true;
  if (!f->is_number_integer()) {
    r.fail("format", "must be the number 1, not " + f->dump());
    return false;
  }
  if (f->get<long long>() != 1) {
    r.fail("format", "version " + f->dump() + " is not supported; this program reads format 1");
    return false;
  }
  return true;
}

// The models list; false when it is there but not a list of 1 to 8.
bool read_models(reader& r, const json& doc, scenario& s) {
  const json* models = r.list(r.field(doc, "", "models", false), "models", 1, 8, "model");
  if (!models) return false;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < models->size(); ++i) {
    const auto p = reader::at("models", i);
    const json& m = (*models)[i];
    if (!r.object(&m, p)) continue;
    r.only(m, p, {"id", "name", "prompt"});
    auto id = r.id(r.field(m, p, "id", true), reader::at(p, "id"));
    auto name = r.string(r.field(m, p, "name", true), reader::at(p, "name"), max_title);
    auto prompt = r.string(r.field(m, p, "prompt", true), reader::at(p, "prompt"), max_prompt);
    if (id && !r.unique(seen, *id, reader::at(p, "id"))) id.reset();
    if (id && name && prompt) s.models.push_back({*id, *name, *prompt});
  }
  return true;
}

// One stage object being read: what the readers of each stage kind share.
struct stage_input {
  reader& r;
  const json& stages;  // the file's whole list, for references to earlier stages
  std::size_t index;
  const json& st;
  const std::string& path;
  std::string what;  // "a question stage", for the unknown-field messages
  std::string why;   // "for a question stage", for the required-field messages
  std::vector<question_needs>& needs;
};

// An earlier question stage named by a discussion's show or a revote's of.
std::optional<std::string> earlier_question(stage_input& in, const json* v, const std::string& vp) {
  auto& r = in.r;
  const json& stages = in.stages;
  auto ref = r.id(v, vp);
  if (!ref) return std::nullopt;
  std::optional<std::size_t> j;
  for (std::size_t k = 0; k < in.index; ++k)
    if (stages[k].is_object() && stages[k].value("id", json()).is_string() &&
        stages[k]["id"].get_ref<const std::string&>() == *ref) {
      j = k;
      break;
    }
  if (!j) {
    bool later = false;
    for (std::size_t k = in.index; k < stages.size(); ++k)
      if (stages[k].is_object() && stages[k].value("id", json()) == *ref) later = true;
    r.fail(vp, later ? "stage " + json_quoted(*ref) + " comes later; only an earlier stage can be named"
                     : "no stage has the id " + json_quoted(*ref));
    return std::nullopt;
  }
  if (stages[*j].value("kind", json()) != "question") {
    r.fail(vp, "stage " + json_quoted(*ref) + " is not a question stage");
    return std::nullopt;
  }
  return ref;
}

// Each reader below: the fields of one stage kind; false when any is broken.
bool read_case_stage(stage_input& in, stage&) {
  in.r.only(in.st, in.path, {"id", "kind", "title", "body"}, in.what);
  return true;
}

bool read_question_stage(stage_input& in, stage& out) {
  auto& r = in.r;
  r.only(in.st, in.path, {"id", "kind", "title", "body", "question"}, in.what);
  const json* qv = r.field(in.st, in.path, "question", true, in.why);
  if (!qv) return false;
  auto q = read_question(r, *qv, reader::at(in.path, "question"), in.needs);
  if (!q) return false;
  out.question = std::move(*q);
  return true;
}

bool read_discussion_stage(stage_input& in, stage& out) {
  auto& r = in.r;
  r.only(in.st, in.path, {"id", "kind", "title", "body", "show", "seconds"}, in.what);
  bool timer_ok = true;
  if (const json* s = r.field(in.st, in.path, "seconds", false)) {
    // The same range as a timed round's (protocol: open's seconds).
    const auto n = r.integer(s, reader::at(in.path, "seconds"), 5, 3600);
    if (n) out.seconds = static_cast<int>(*n);
    timer_ok = n.has_value();
  }
  const auto sp = reader::at(in.path, "show");
  const json* show = r.list(r.field(in.st, in.path, "show", true, in.why), sp, 1, 20, "stage");
  if (!show) return false;
  bool ok = true;
  std::set<std::string> shown;
  for (std::size_t k = 0; k < show->size(); ++k) {
    auto ref = earlier_question(in, &(*show)[k], reader::at(sp, k));
    if (ref && !shown.insert(*ref).second) {
      r.fail(reader::at(sp, k), "stage " + json_quoted(*ref) + " is listed twice");
      ref.reset();
    }
    if (!ref)
      ok = false;
    else
      out.show.push_back(*ref);
  }
  return ok && timer_ok;
}

bool read_revote_stage(stage_input& in, stage& out) {
  auto& r = in.r;
  r.only(in.st, in.path, {"id", "kind", "title", "body", "of"}, in.what);
  auto ref = earlier_question(in, r.field(in.st, in.path, "of", true, in.why), reader::at(in.path, "of"));
  if (!ref) return false;
  out.of = *ref;
  return true;
}

bool read_stage_fields(stage_input& in, stage& out) {
  switch (out.kind) {
    case stage_kind::case_text:
      return read_case_stage(in, out);
    case stage_kind::question:
      return read_question_stage(in, out);
    case stage_kind::discussion:
      return read_discussion_stage(in, out);
    case stage_kind::revote:
      return read_revote_stage(in, out);
  }
  return false;
}

// The stage's kind, or nothing (after recording why).
std::optional<stage_kind> read_stage_kind(reader& r, const json& st, const std::string& p) {
  const json* kind_v = r.field(st, p, "kind", true);
  if (!kind_v) return std::nullopt;
  if (!kind_v->is_string()) {
    r.fail(reader::at(p, "kind"), "must be a string");
    return std::nullopt;
  }
  const auto kind = stage_kind_from(kind_v->get_ref<const std::string&>());
  if (!kind)
    r.fail(reader::at(p, "kind"), json_quoted(kind_v->get_ref<const std::string&>()) +
                                      " is not a stage kind (case, question, discussion, revote)");
  return kind;
}

// Stage i of the file: the fields every stage has, then its kind's. A value only if nothing failed.
std::optional<stage> read_stage(reader& r, const json& stages, std::size_t i, std::set<std::string>& seen,
                                const std::vector<scenario_error>& errors, std::vector<question_needs>& needs) {
  const auto p = reader::at("stages", i);
  const json& st = stages[i];
  if (!r.object(&st, p)) return std::nullopt;
  stage out;
  auto id = r.id(r.field(st, p, "id", true), reader::at(p, "id"));
  if (id && !r.unique(seen, *id, reader::at(p, "id"))) id.reset();
  bool ok = id.has_value();
  if (id) out.id = *id;
  auto title = r.string(r.field(st, p, "title", true), reader::at(p, "title"), max_title);
  ok = ok && title.has_value();
  if (title) out.title = *title;
  if (const json* b = r.field(st, p, "body", false)) {
    const auto before = errors.size();
    out.body = r.paragraphs(b, reader::at(p, "body"));
    ok = ok && errors.size() == before;
  }
  const auto kind = read_stage_kind(r, st, p);
  if (!kind) {
    r.only(st, p, {"id", "kind", "title", "body", "question", "show", "of"});
    return std::nullopt;
  }
  out.kind = *kind;
  const std::string what = "a " + std::string(to_string(out.kind)) + " stage";
  stage_input in{r, stages, i, st, p, what, "for " + what, needs};
  ok = read_stage_fields(in, out) && ok;
  if (!ok) return std::nullopt;
  return out;
}

// Questions that draw on the scenario's outcomes and models need them.
void check_needs(reader& r, const json& doc, const scenario& s, bool models_ok,
                 const std::vector<question_needs>& needs) {
  for (const auto& n : needs) {
    if (n.outcomes && s.outcomes.empty() && !r.field(doc, "", "outcomes", false))
      r.fail(n.path, n.models ? "a model_outcome question needs the scenario's \"outcomes\""
                              : "\"outcomes\" is used but the scenario has no \"outcomes\" list");
    if (n.models && s.models.empty() && !models_ok && !r.field(doc, "", "models", false))
      r.fail(n.path, "a model_outcome question needs the scenario's \"models\"");
  }
}

// Reads the scenario; appends to errors. Returns a value only if nothing failed.
std::optional<scenario> read_scenario(reader& r, const json& doc, const std::vector<scenario_error>& errors) {
  if (!doc.is_object()) {
    r.fail("", "the file must hold one JSON object");
    return std::nullopt;
  }
  const std::string root;
  r.only(doc, root, {"$schema", "format", "id", "lang", "title", "summary", "case", "models", "outcomes", "stages"});
  if (!read_format(r, doc)) return std::nullopt;
  if (const json* sc = r.field(doc, root, "$schema", false); sc && !sc->is_string())
    r.fail("$schema", "must be a string");

  scenario s;
  if (auto id = r.id(r.field(doc, root, "id", true), "id")) s.id = *id;
  if (auto t = r.string(r.field(doc, root, "title", true), "title", max_title)) s.title = *t;
  if (auto t = r.string(r.field(doc, root, "summary", true), "summary", max_prompt)) s.summary = *t;
  if (auto l = r.language(r.field(doc, root, "lang", false), "lang")) s.lang = *l;
  s.case_text = r.paragraphs(r.field(doc, root, "case", true), "case");
  const bool models_ok = read_models(r, doc, s);
  const json* outcomes = r.list(r.field(doc, root, "outcomes", false), "outcomes", 2, 20, "outcome");
  if (outcomes) s.outcomes = read_options(r, *outcomes, "outcomes");

  std::vector<question_needs> needs;
  if (const json* stages = r.list(r.field(doc, root, "stages", true), "stages", 1, 100, "stage")) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < stages->size(); ++i)
      if (auto st = read_stage(r, *stages, i, seen, errors, needs)) s.stages.push_back(std::move(*st));
  }
  check_needs(r, doc, s, models_ok, needs);
  return s;
}

// Resolves "outcomes" options and checks the counts that depend on them.
void resolve(reader& r, scenario& s, const json& doc) {
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    auto& st = s.stages[i];
    if (!st.question || !st.question->options_from_outcomes) continue;
    auto& q = *st.question;
    q.options = s.outcomes;
    // The stage's index in the file, for the path (stages that failed were not kept).
    std::size_t file_index = i;
    for (std::size_t k = 0; k < doc["stages"].size(); ++k)
      if (doc["stages"][k].is_object() && doc["stages"][k].value("id", json()) == st.id) file_index = k;
    const auto p = "stages[" + std::to_string(file_index) + "].question.options";
    if (q.type == question_type::rank && q.options.size() > 10)
      r.fail(p, "\"outcomes\" has " + plural(q.options.size(), "option") + ", a rank question takes 2 to 10");
  }
  for (std::size_t k = 0; k < doc["stages"].size(); ++k) {
    const json& st = doc["stages"][k];
    if (!st.is_object() || !st.contains("id") || !st["id"].is_string()) continue;
    const stage* found = s.question_stage(st["id"].get<std::string>());
    if (!found || found->question->type != question_type::choice) continue;
    const auto& q = *found->question;
    // No options: "outcomes" without an outcomes list, already reported.
    if (!q.options.empty() && static_cast<std::size_t>(q.max_choices) > q.options.size())
      r.fail(
          "stages[" + std::to_string(k) + "].question.max_choices",
          "is " + std::to_string(q.max_choices) + " but the question has only " + plural(q.options.size(), "option"));
  }
}

// Line and column (1-based) of the byte at offset in text.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

// Notes every key that appears twice in one object, with the object's JSON path, while nlohmann parses
// (it would silently keep the last one).
class duplicate_keys {
public:
  bool operator()(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start: {
        container c;
        c.path = child_path();
        c.array = event == json::parse_event_t::array_start;
        open_.push_back(std::move(c));
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        open_.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_.empty()) {
          auto& c = open_.back();
          c.key = parsed.get<std::string>();
          if (!c.keys.insert(c.key).second) found.emplace_back(c.path, c.key);
        }
        break;
      case json::parse_event_t::value:
        if (!open_.empty() && open_.back().array) ++open_.back().next;
        break;
    }
    return true;
  }

  std::vector<std::pair<std::string, std::string>> found;  // path of the object, key

private:
  struct container {
    std::string path;  // of this object or array
    bool array = false;
    std::size_t next = 0;        // array: index of the next element
    std::string key;             // object: the key being read
    std::set<std::string> keys;  // object: keys seen
  };

  std::string child_path() {
    if (open_.empty()) return "";
    auto& c = open_.back();
    if (c.array) return c.path + "[" + std::to_string(c.next++) + "]";
    return c.path.empty() ? c.key : c.path + "." + c.key;
  }

  std::vector<container> open_;
};

// The file's JSON, or nothing after recording why it is unreadable; duplicate keys are recorded too.
std::optional<json> parse_json(reader& r, std::string_view text) {
  duplicate_keys duplicates;
  json doc;
  try {
    doc = json::parse(
        text, [&](int /*depth*/, json::parse_event_t event, json& parsed) { return duplicates(event, parsed); });
  } catch (const json::parse_error& e) {
    auto [line, column] = line_column(text, e.byte == 0 ? 0 : e.byte - 1);
    std::string detail = e.what();
    // Keep nlohmann's explanation, drop its "[json.exception...] parse error at ...: " prefix.
    if (auto pos = detail.find(": "); pos != std::string::npos) detail = detail.substr(pos + 2);
    r.fail("", "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + detail);
    return std::nullopt;
  } catch (const json::exception& e) {
    // Not a syntax error but still unreadable, e.g. a number too large for a double (found by
    // fuzz_scenario): an error in the file, not an exception out of the loader.
    std::string detail = e.what();
    if (auto pos = detail.find("] "); pos != std::string::npos) detail = detail.substr(pos + 2);
    r.fail("", "invalid JSON: " + detail);
    return std::nullopt;
  }
  for (const auto& [object, key] : duplicates.found)
    r.fail(object.empty() ? key : object + "." + key, "the field " + json_quoted(key) + " appears twice in one object");
  return doc;
}

// Reads and checks a parsed document into out: every broken rule, or the value when there is none.
void read_document(reader& r, const json& doc, scenario_parse& out) {
  auto s = read_scenario(r, doc, out.errors);
  // The checks on resolved options run whatever else failed, so one pass reports every error.
  if (s && doc.contains("stages") && doc["stages"].is_array()) resolve(r, *s, doc);
  if (s && out.errors.empty()) out.value = std::move(*s);
}

}  // namespace

scenario_parse parse_scenario(std::string_view text, std::string_view file) {
  scenario_parse out;
  reader r(file, out.errors);
  if (text.size() > max_scenario_bytes) {
    r.fail("", "the file is " + std::to_string(text.size()) + " bytes; a scenario may be at most 1 MiB (" +
                   std::to_string(max_scenario_bytes) + " bytes)");
    return out;
  }
  const auto doc = parse_json(r, text);
  if (!doc) return out;
  read_document(r, *doc, out);
  return out;
}

scenario_parse validate_scenario(const json& doc, std::string_view file) {
  scenario_parse out;
  reader r(file, out.errors);
  read_document(r, doc, out);
  return out;
}

catalog_parse parse_catalog(const std::vector<scenario_source>& sources) {
  catalog_parse out;
  std::map<std::string, std::string> file_of_id;
  for (const auto& src : sources) {
    auto p = parse_scenario(src.text, src.file);
    out.errors.insert(out.errors.end(), p.errors.begin(), p.errors.end());
    if (!p.value) continue;
    auto [it, inserted] = file_of_id.emplace(p.value->id, src.file);
    if (!inserted) {
      out.errors.push_back(
          {src.file, "id", "duplicate scenario id " + json_quoted(p.value->id) + " (also in " + it->second + ")"});
      continue;
    }
    out.valid.emplace_back(src.file, *p.value);
  }
  if (out.errors.empty())
    for (const auto& [file, s] : out.valid) out.scenarios.push_back(s);
  return out;
}

json to_json(const std::vector<option>& options) {
  json a = json::array();
  for (const auto& o : options) a.push_back({{"id", o.id}, {"label", o.label}});
  return a;
}

json to_json(const std::vector<model>& models) {
  json a = json::array();
  for (const auto& m : models) a.push_back({{"id", m.id}, {"name", m.name}, {"prompt", m.prompt}});
  return a;
}

json to_json(const question& q, question_form form) {
  const bool file = form == question_form::file;
  const auto options = [&] { return file && q.options_from_outcomes ? json("outcomes") : to_json(q.options); };
  json out = {{"type", to_string(q.type)}, {"prompt", q.prompt}};
  switch (q.type) {
    case question_type::choice:
      out["options"] = options();
      if (!file || q.max_choices != 1) out["max_choices"] = q.max_choices;
      break;
    case question_type::scale:
      out["min"] = q.min;
      out["max"] = q.max;
      if (q.labels) out["labels"] = {{"min", q.labels->min}, {"max", q.labels->max}};
      break;
    case question_type::points:
      out["options"] = options();
      out["budget"] = q.budget;
      break;
    case question_type::rank:
      out["options"] = options();
      break;
    case question_type::model_outcome:
      out["assign"] = q.assign;
      break;
    case question_type::text:
      out["max_length"] = q.max_length;
      break;
  }
  // Only when set, so a v1 question's view and file stay as they were.
  if (q.abstain) out["abstain"] = true;
  return out;
}

json to_json(const scenario& s) {
  json j = {{"format", s.format}, {"id", s.id}, {"title", s.title}, {"summary", s.summary}, {"case", s.case_text}};
  if (!s.lang.empty()) j["lang"] = s.lang;  // only when set, so a case without it keeps its JSON
  if (!s.models.empty()) j["models"] = to_json(s.models);
  if (!s.outcomes.empty()) j["outcomes"] = to_json(s.outcomes);
  json stages = json::array();
  for (const auto& st : s.stages) {
    json o = {{"id", st.id}, {"kind", to_string(st.kind)}, {"title", st.title}};
    if (!st.body.empty()) o["body"] = st.body;
    if (st.kind == stage_kind::discussion) o["show"] = st.show;
    if (st.seconds) o["seconds"] = *st.seconds;
    if (st.kind == stage_kind::revote) o["of"] = st.of;
    if (st.question) o["question"] = to_json(*st.question, question_form::file);
    stages.push_back(std::move(o));
  }
  j["stages"] = std::move(stages);
  return j;
}

}  // namespace roundtable
