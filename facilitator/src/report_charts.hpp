// The printable report's building blocks: HTML escaping and bar charts drawn as inline SVG.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace roundtable::facilitator::report {

/// Text made safe for HTML and SVG content and attribute values (& < > " ' escaped).
std::string escape(std::string_view text);

/// One bar: its label (raw text, escaped when drawn) and its value.
struct bar {
  std::string label;
  double value = 0;
};

/// A horizontal bar chart as an inline <svg> that scales to the page width and never breaks across pages;
/// title is its accessible name, digits how many decimals the values show.
std::string bar_chart(const std::string& title, const std::vector<bar>& bars, int digits = 0);

/// A number with the given decimals, no trailing noise ("3", "2.50").
std::string number(double value, int digits);

}  // namespace roundtable::facilitator::report
