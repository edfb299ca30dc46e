// The scenario model (scenario-format.md, version 1), its parser and validator.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace roundtable {

struct option {
  std::string id;
  std::string label;
};

struct model {
  std::string id;
  std::string name;
  std::string prompt;
};

enum class question_type { choice, scale, points, rank, model_outcome, text };

/// The wire spelling of a question type ("choice", "model_outcome", ...).
std::string_view to_string(question_type type);
/// The question type spelled s, if any.
std::optional<question_type> question_type_from(std::string_view s);

struct scale_labels {
  std::string min;
  std::string max;
};

/// A question; only the fields of its type are meaningful.
struct question {
  question_type type = question_type::choice;
  std::string prompt;
  /// Resolved options (choice, points, rank); "outcomes" is resolved at load time.
  std::vector<option> options;
  bool options_from_outcomes = false;  // the file said "options": "outcomes"
  int max_choices = 1;                 // choice
  int min = 0;                         // scale
  int max = 0;                         // scale
  std::optional<scale_labels> labels;  // scale
  int budget = 0;                      // points
  bool assign = false;                 // model_outcome
  int max_length = 280;                // text
  bool abstain = false;                // every type but text: "not sure / pass" is an answer

  /// Index of the option with this id, if any.
  std::optional<std::size_t> option_index(std::string_view id) const;
};

enum class stage_kind { case_text, question, discussion, revote };

/// The wire spelling of a stage kind ("case", "question", ...).
std::string_view to_string(stage_kind kind);

struct stage {
  std::string id;
  stage_kind kind = stage_kind::case_text;
  std::string title;
  std::vector<std::string> body;
  std::optional<struct question> question;  // kind question
  std::vector<std::string> show;            // kind discussion
  std::optional<int> seconds;               // kind discussion: a timer counting down while it is shown
  std::string of;                           // kind revote
};

struct scenario {
  int format = 1;
  std::string id;
  std::string title;
  std::string summary;
  std::string lang;  // the BCP 47 tag of the scenario's language ("de", "en-GB"), or empty: unsaid
  std::vector<std::string> case_text;
  std::vector<model> models;
  std::vector<option> outcomes;
  std::vector<stage> stages;

  /// Index of the stage with this id, if any.
  std::optional<std::size_t> stage_index(std::string_view id) const;
  /// The stage with this id if it is a question stage, else nullptr.
  const stage* question_stage(std::string_view id) const;
  /// Index of the model with this id, if any.
  std::optional<std::size_t> model_index(std::string_view id) const;
  /// Index of the outcome with this id, if any.
  std::optional<std::size_t> outcome_index(std::string_view id) const;
};

/// One broken rule: `file: path: rule`.
struct scenario_error {
  std::string file;
  std::string path;  // JSON path such as stages[3].question.options[1].id; empty for the file itself
  std::string rule;

  /// The line a person reads: "file: path: rule" (or "file: rule" without a path).
  std::string to_string() const;
  friend bool operator==(const scenario_error&, const scenario_error&) = default;
};

/// A parsed scenario, or every error found in the file.
struct scenario_parse {
  std::optional<scenario> value;
  std::vector<scenario_error> errors;
};

/// Largest scenario file accepted, in bytes.
inline constexpr std::size_t max_scenario_bytes = 1024 * 1024;

/// Parses and validates one scenario file's text; file names the file in errors.
scenario_parse parse_scenario(std::string_view text, std::string_view file);
/// Validates a case already parsed from JSON (a saved or inline case): every broken rule with its path.
/// Duplicate keys are the caller's to find (the parser that read doc kept the last).
scenario_parse validate_scenario(const nlohmann::json& doc, std::string_view file);

/// One file of a folder: its name (as errors should show it) and its text.
struct scenario_source {
  std::string file;
  std::string text;
};

/// A folder's scenarios, or every error found in any of them (all-or-nothing).
struct catalog_parse {
  std::vector<scenario> scenarios;  // empty whenever errors is not
  std::vector<scenario_error> errors;
  /// Every scenario that was valid on its own, with its file, for reporting.
  std::vector<std::pair<std::string, scenario>> valid;
};

/// Validates a set of files together: each file alone, then ids unique across the set.
catalog_parse parse_catalog(const std::vector<scenario_source>& sources);

/// The scenario as canonical JSON in the file format (parse_scenario accepts it back).
nlohmann::json to_json(const scenario& s);

/// How a question is written out: as in a scenario file, or as the session's views show it.
enum class question_form {
  file,  // "options": "outcomes" as written, a default max_choices left out
  view,  // options resolved, every field present (model_outcome's models and outcomes are the caller's to add)
};
/// A question's type, prompt and its type's fields as JSON: the one switch over question types that both
/// the scenario file and the session's views are written from.
nlohmann::json to_json(const question& q, question_form form);
/// Options (or outcomes) as `[{"id","label"}]`.
nlohmann::json to_json(const std::vector<option>& options);
/// Models as `[{"id","name","prompt"}]`.
nlohmann::json to_json(const std::vector<model>& models);

}  // namespace roundtable
