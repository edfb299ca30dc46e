#include "client/render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "roundtable/text.hpp"

namespace roundtable::client {

using json = nlohmann::json;

std::vector<std::string> wrap(std::string_view text, std::size_t width, std::string_view indent) {
  std::vector<std::string> lines;
  const std::size_t room = width > indent.size() + 10 ? width - indent.size() : 10;
  std::string line;
  std::size_t line_cp = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text[j] != '\t') ++j;
    if (j == i) break;
    const auto word = text.substr(i, j - i);
    const auto cp = text::code_points(word);
    if (line_cp > 0 && line_cp + 1 + cp > room) {
      lines.push_back(std::string(indent) + line);
      line.clear();
      line_cp = 0;
    }
    if (line_cp > 0) {
      line += ' ';
      ++line_cp;
    }
    line += word;
    line_cp += cp;
    i = j;
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::string(indent) + line);
  return lines;
}

std::string bar(double value, double max, std::size_t width) {
  if (max <= 0 || value <= 0) return "";
  const auto cells = static_cast<std::size_t>(std::lround(std::min(1.0, value / max) * static_cast<double>(width)));
  return std::string(std::max<std::size_t>(cells, 1), '#');
}

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// label, bar and value on one line; labels cut to keep bars aligned.
void rows(std::vector<std::string>& out, const std::vector<std::pair<std::string, double>>& items, std::size_t width,
          bool integers) {
  double max = 0;
  for (const auto& [_, v] : items) max = std::max(max, v);
  const std::size_t label_w = std::min<std::size_t>(28, width / 3);
  const std::size_t bar_w = width > label_w + 16 ? width - label_w - 16 : 10;
  for (const auto& [label, v] : items) {
    std::string l = label;
    if (text::code_points(l) > label_w) {
      // Cut on a code point boundary.
      std::size_t cp = 0, i = 0;
      while (i < l.size() && cp + 1 < label_w) {
        ++i;
        while (i < l.size() && (static_cast<unsigned char>(l[i]) & 0xC0) == 0x80) ++i;
        ++cp;
      }
      l = l.substr(0, i) + "~";
    }
    const auto pad = label_w > text::code_points(l) ? label_w - text::code_points(l) : 0;
    out.push_back("  " + l + std::string(pad, ' ') + " " + (integers ? std::to_string(std::llround(v)) : num(v)) + " " +
                  bar(v, max, bar_w));
  }
}

std::vector<std::pair<std::string, double>> keyed(const json& obj, const std::vector<option>& opts) {
  std::vector<std::pair<std::string, double>> items;
  if (!obj.is_object()) return items;
  if (!opts.empty()) {
    for (const auto& o : opts)
      if (obj.contains(o.id) && obj[o.id].is_number()) items.emplace_back(o.label, obj[o.id].get<double>());
    return items;
  }
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (it->is_number()) items.emplace_back(it.key(), it->get<double>());
  return items;
}

}  // namespace

std::vector<std::string> render_results(const shown_question* q, const json& r, std::size_t width) {
  std::vector<std::string> out;
  const auto qid = r.value("question", std::string("?"));
  const auto ballots = r.value("ballots", 0);
  out.push_back("results " + qid + " round " + std::to_string(r.value("round", 0)) + ": " + std::to_string(ballots) +
                (ballots == 1 ? " ballot" : " ballots"));
  if (r.value("suppressed", false) || !r.contains("tally")) {
    out.push_back("  (held back until enough people have voted)");
    return out;
  }
  const auto& t = r["tally"];
  const std::vector<option> none;
  const auto& opts = q ? q->question.options : none;
  if (t.contains("counts")) {
    rows(out, keyed(t["counts"], opts), width, true);
  } else if (t.contains("histogram")) {
    std::vector<std::pair<std::string, double>> items;
    if (q) {
      for (int v = q->question.min; v <= q->question.max; ++v) {
        const auto k = std::to_string(v);
        items.emplace_back(k, t["histogram"].contains(k) ? t["histogram"][k].get<double>() : 0.0);
      }
    } else {
      items = keyed(t["histogram"], {});
    }
    rows(out, items, width, true);
    if (t.contains("mean") && t["mean"].is_number())
      out.push_back("  mean " + num(t["mean"].get<double>()) + ", median " + num(t.value("median", 0.0)) + ", stdev " +
                    num(t.value("stdev", 0.0)));
  } else if (t.contains("total")) {
    out.push_back("  points in total:");
    rows(out, keyed(t["total"], opts), width, true);
  } else if (t.contains("borda")) {
    out.push_back("  Borda score:");
    rows(out, keyed(t["borda"], opts), width, true);
    out.push_back("  ranked first:");
    rows(out, keyed(t["first"], opts), width, true);
  } else if (t.contains("matrix") && t["matrix"].is_object()) {
    const std::vector<option> outcomes = q ? q->scenario.outcomes : std::vector<option>{};
    for (auto it = t["matrix"].begin(); it != t["matrix"].end(); ++it) {
      std::string name = it.key();
      if (q)
        for (const auto& m : q->scenario.models)
          if (m.id == it.key()) name = m.name;
      out.push_back("  " + name + ":");
      rows(out, keyed(*it, outcomes), width, true);
    }
  }
  if (t.contains("consensus") && t["consensus"].is_number())
    out.push_back("  consensus " + num(t["consensus"].get<double>()));
  if (t.contains("abstained") && t["abstained"].is_number_integer())
    out.push_back("  not sure / pass: " + t["abstained"].dump() + " (not in the counts)");
  if (t.contains("shift") && t["shift"].is_object())
    out.push_back("  since the last round: " + std::to_string(t["shift"].value("changed", 0)) + " of " +
                  std::to_string(t["shift"].value("compared", 0)) + " changed their answer");
  return out;
}

}  // namespace roundtable::client
