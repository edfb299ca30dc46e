// Answers typed by a person (and random ballots for the swarm), for a question as the
// server shows it in a StageView. Pure functions: no I/O, unit-tested.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/error.hpp"
#include "roundtable/scenario.hpp"

namespace roundtable::client {

/// A question as the server showed it, with what the core needs to validate a ballot.
struct shown_question {
  std::string id;
  roundtable::scenario scenario;  // only models and outcomes are filled in
  roundtable::question question;
  std::optional<std::size_t> assigned_model;  // assigned model_outcome: the one to answer
};

/// Builds a shown_question from a StageView's `question` object; nullopt when it is not one.
std::optional<shown_question> question_from_view(const nlohmann::json& q);

/// What a typed line turns into: a vote's ballot, or a perspective's text.
struct answer {
  bool perspective = false;  // true for a text question: send `perspective` with text
  nlohmann::json ballot;     // the vote's ballot (when !perspective)
  std::string text;          // the perspective (when perspective)
};

/// Parses one typed line for question q (numbers are 1-based option numbers; ids work too):
/// choice `2` or `1 3`; scale `4`; points `points autonomy=4 justice=6` (or `4 6 0`);
/// rank `order 3 1 2` (every option once); model_outcome `guidelines=2 virtue=refer`
/// (or one outcome per model in order, or just the outcome when a model is assigned);
/// text: the line itself. Errors are invalid_ballot with a sentence a person can act on.
result<answer> parse_answer(const shown_question& q, std::string_view line);

/// One valid random ballot of q's type (a random perspective text for a text question).
answer random_answer(const shown_question& q, std::mt19937_64& rng);

/// How to answer q, in one line (shown under the question).
std::string answer_hint(const shown_question& q);

}  // namespace roundtable::client
