#include "report_charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace roundtable::facilitator::report {

namespace {

constexpr int chart_width = 600;  // viewBox units; the svg scales to the column (about 180 mm on A4)
constexpr int label_width = 230;
constexpr int value_width = 60;
constexpr int row_height = 22;
constexpr std::size_t label_bytes = 36;

// A label short enough for its column, cut on a UTF-8 character boundary.
std::string short_label(const std::string& label) {
  if (label.size() <= label_bytes) return label;
  std::size_t cut = label_bytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;
  return label.substr(0, cut) + "...";
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string number(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, std::isfinite(value) ? value : 0.0);
  return buf;
}

std::string bar_chart(const std::string& title, const std::vector<bar>& bars, int digits) {
  double top = 0;
  for (const auto& b : bars) top = std::max(top, b.value);
  const int height = static_cast<int>(bars.size()) * row_height + 4;
  const double span = chart_width - label_width - value_width;
  std::string svg = "<svg class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(chart_width) + " " + std::to_string(height) + "\" aria-label=\"" + escape(title) +
                    "\"><title>" + escape(title) + "</title>";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = static_cast<int>(i) * row_height + 2;
    const double w = top > 0 ? std::max(0.0, bars[i].value) / top * span : 0;
    svg += "<text x=\"" + std::to_string(label_width - 6) + "\" y=\"" + std::to_string(y + 15) +
           "\" text-anchor=\"end\">" + escape(short_label(bars[i].label)) + "</text>";
    svg += "<rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
           number(w, 1) + "\" height=\"" + std::to_string(row_height - 6) + "\"/>";
    svg += "<text x=\"" + number(label_width + w + 4, 1) + "\" y=\"" + std::to_string(y + 15) + "\">" +
           number(bars[i].value, digits) + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace roundtable::facilitator::report
