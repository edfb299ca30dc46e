// Text output of the terminal participant: wrapped paragraphs and results as text bars.
// Pure functions, so the output is tested without a terminal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/answer.hpp"

namespace roundtable::client {

/// text split into lines of at most width code points (words longer than width stand alone),
/// each line starting with indent.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::string_view indent = "");

/// A bar of `width` cells at most, proportional to value/max ('#' cells).
std::string bar(double value, double max, std::size_t width);

/// The rows of a results push (`tally` of q's type) as "label  bar  number" lines; one
/// line saying the results are held back while `suppressed`.
std::vector<std::string> render_results(const shown_question* q, const nlohmann::json& results, std::size_t width);

}  // namespace roundtable::client
