#include "report.hpp"

#include "report_charts.hpp"
#include "wall_clock.hpp"

namespace roundtable::facilitator {

using nlohmann::json;
using report::bar;
using report::bar_chart;
using report::escape;
using report::number;

namespace {

// Printable on A4: charts scale to the column and are never split across pages.
constexpr const char* style = R"css(
@page { size: A4; margin: 15mm; }
body { font: 11pt/1.4 system-ui, sans-serif; color: #111; max-width: 180mm; margin: 0 auto; padding: 0 4mm; }
h1 { font-size: 20pt; margin: 0 0 2mm; } h2 { font-size: 14pt; margin: 8mm 0 2mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
.meta, .note { color: #444; font-size: 9.5pt; }
.hidden { color: #444; font-style: italic; }
.question { border-top: 1px solid #bbb; }
figure { margin: 2mm 0; break-inside: avoid; page-break-inside: avoid; }
svg.chart { display: block; width: 100%; max-width: 170mm; height: auto; font-size: 13px; fill: #333; }
svg.chart rect { fill: #3a6ea5; }
table { border-collapse: collapse; margin: 2mm 0; break-inside: avoid; font-size: 9.5pt; }
th, td { border: 1px solid #ccc; padding: 1mm 2mm; text-align: left; vertical-align: top; }
blockquote { margin: 2mm 0; padding: 1mm 3mm; border-left: 3px solid #3a6ea5; break-inside: avoid; }
)css";

// The wording every held-back number is replaced with.
std::string fewer_than(int k, const char* what = "answers") {
  return "<p class=\"hidden\">fewer than " + std::to_string(k) + " " + what + "</p>";
}

// A label for an option id of the question (the id itself if the scenario lacks it).
std::string label_of(const std::vector<option>& options, const std::string& id) {
  for (const auto& o : options)
    if (o.id == id) return o.label;
  return id;
}

// Bars for a {id: number} object, in the scenario's order of options.
std::vector<bar> bars_of(const std::vector<option>& options, const json& values) {
  std::vector<bar> bars;
  for (const auto& o : options)
    if (values.contains(o.id)) bars.push_back({o.label, values[o.id].get<double>()});
  return bars;
}

std::string figure(const std::string& caption, const std::string& svg) {
  return "<figure>" + svg + "<figcaption class=\"note\">" + escape(caption) + "</figcaption></figure>";
}

std::string percent(double x) {
  return number(x * 100, 0) + "%";
}

// The per-model grid: a table of outcomes per model, and a chart of each shown model's agreement.
std::string model_grid(const scenario& s, const json& t, int k) {
  std::string html = "<table><tr><th>model</th>";
  for (const auto& o : s.outcomes) html += "<th>" + escape(o.label) + "</th>";
  html += "<th>agreement</th></tr>";
  std::vector<bar> agreement;
  for (const auto& m : s.models) {
    html += "<tr><th>" + escape(m.name) + "</th>";
    if (!t["matrix"].contains(m.id)) {
      html += "<td colspan=\"" + std::to_string(s.outcomes.size() + 1) + "\" class=\"hidden\">fewer than " +
              std::to_string(k) + " answers</td></tr>";
      continue;
    }
    for (const auto& o : s.outcomes) html += "<td>" + std::to_string(t["matrix"][m.id].value(o.id, 0)) + "</td>";
    const double c = t["consensus"].value(m.id, 0.0);
    html += "<td>" + percent(c) + "</td></tr>";
    agreement.push_back({m.name, c * 100});
  }
  html += "</table>";
  if (!agreement.empty()) html += figure("Agreement per model (%)", bar_chart("Agreement per model", agreement));
  return html;
}

// One round's final (or, while open, last shown) tally as charts and figures.
std::string tally_html(const scenario& s, const question& q, const json& t, int k) {
  switch (q.type) {
    case question_type::choice:
      return figure("Answers; agreement " + percent(t.value("consensus", 0.0)),
                    bar_chart("Answers", bars_of(q.options, t["counts"])));
    case question_type::scale: {
      std::vector<bar> bars;
      for (const auto& [v, n] : t["histogram"].items()) bars.push_back({v, n.get<double>()});
      if (q.labels && !bars.empty()) {
        bars.front().label += " " + q.labels->min;
        bars.back().label += " " + q.labels->max;
      }
      return figure("Mean " + number(t.value("mean", 0.0), 2) + ", median " + number(t.value("median", 0.0), 1) +
                        ", spread (sd) " + number(t.value("stdev", 0.0), 2),
                    bar_chart("Answers per value", bars));
    }
    case question_type::points:
      return figure("Mean points per option", bar_chart("Mean points", bars_of(q.options, t["mean"]), 2));
    case question_type::rank:
      return figure("Borda score (first place scores most)", bar_chart("Borda score", bars_of(q.options, t["borda"])));
    case question_type::model_outcome:
      return model_grid(s, t, k);
    case question_type::text:
      break;
  }
  return "";
}

// A shift's transitions {from: {to: n}} as a table of who moved where.
std::string transitions_html(const std::vector<option>& options, const json& transitions) {
  std::string html = "<table><tr><th>before</th><th>after</th><th>people</th></tr>";
  for (const auto& [from, row] : transitions.items())
    for (const auto& [to, n] : row.items())
      html += "<tr><td>" + escape(label_of(options, from)) + "</td><td>" + escape(label_of(options, to)) + "</td><td>" +
              std::to_string(n.get<int>()) + "</td></tr>";
  return html + "</table>";
}

// Before and after side by side for scale, points and rank: the summary numbers moved.
std::string summary_shift(const question& q, const json& before, const json& after) {
  std::string html = "<table><tr><th></th><th>before</th><th>after</th></tr>";
  const auto row = [&](const std::string& label, double b, double a, int digits) {
    html +=
        "<tr><td>" + escape(label) + "</td><td>" + number(b, digits) + "</td><td>" + number(a, digits) + "</td></tr>";
  };
  if (q.type == question_type::scale) {
    row("mean", before.value("mean", 0.0), after.value("mean", 0.0), 2);
    row("median", before.value("median", 0.0), after.value("median", 0.0), 1);
  }
  const char* key = q.type == question_type::points ? "mean" : "borda";
  if (q.type == question_type::points || q.type == question_type::rank)
    for (const auto& o : q.options)
      row(o.label, before[key].value(o.id, 0.0), after[key].value(o.id, 0.0), q.type == question_type::points ? 2 : 0);
  return html + "</table>";
}

// "m of n who answered both rounds changed their answer."
std::string changed_line(const json& sh) {
  return "<p>" + std::to_string(sh.value("changed", 0)) + " of " + std::to_string(sh.value("compared", 0)) +
         " who answered both rounds changed their answer.</p>";
}

// The shift of a multiple choice, scale, points or rank question: what those who answered both rounds moved.
std::string moved_html(const question& q, const json& sh) {
  std::string html = changed_line(sh);
  const auto per_option = [&](const std::string& head, const auto& cells) {
    std::string t = "<table><tr><th>option</th>" + head + "</tr>";
    for (const auto& o : q.options) t += "<tr><td>" + escape(o.label) + "</td>" + cells(o.id) + "</tr>";
    return t + "</table>";
  };
  const auto cell = [](const json& v) { return "<td>" + v.dump() + "</td>"; };
  if (sh.contains("added"))
    return html + per_option("<th>added</th><th>dropped</th>", [&](const std::string& id) {
             return cell(sh["added"].value(id, json(0))) + cell(sh["dropped"].value(id, json(0)));
           });
  if (sh.contains("delta"))
    return html +
           per_option("<th>change</th>", [&](const std::string& id) { return cell(sh["delta"].value(id, json(0))); });
  html += "<p>" + std::to_string(sh.value("up", 0)) + " moved up, " + std::to_string(sh.value("down", 0)) +
          " down; the mean moved by " + number(sh.value("mean_delta", 0.0), 2) + ".</p>";
  return html + transitions_html({}, sh.value("transitions", json::object()));
}

// How the group moved from the round before to this one, or why that is held back.
std::string shift_html(const scenario& s, const question& q, const json& before, const json& after, int k) {
  std::string html = "<h3>Shift from the round before</h3>";
  const bool single = q.type == question_type::choice && q.max_choices <= 1;
  if (!single && q.type != question_type::model_outcome) {
    if (q.type != question_type::choice) html += summary_shift(q, before, after);
    return html + (after.contains("shift") ? moved_html(q, after["shift"]) : fewer_than(k, "answers in both rounds"));
  }
  if (!after.contains("shift")) return html + fewer_than(k, "answers in both rounds");
  const json& sh = after["shift"];
  html += changed_line(sh);
  if (q.type == question_type::choice) return html + transitions_html(q.options, sh["transitions"]);
  for (const auto& m : s.models) {
    html += "<p>" + escape(m.name) + "</p>";
    html += sh["transitions"].contains(m.id) ? transitions_html(s.outcomes, sh["transitions"][m.id])
                                             : fewer_than(k, "answers in both rounds");
  }
  return html;
}

// One question: each round's tally, the shifts between rounds and the shown perspectives.
std::string question_html(const scenario& s, const json& qj, int k) {
  const stage* st = s.question_stage(qj["id"].get<std::string>());
  if (!st || !st->question) return "";
  const question& q = *st->question;
  std::string html = "<section class=\"question\"><h2>" + escape(q.prompt) + "</h2>";
  const json* shown_before = nullptr;
  for (const auto& r : qj["rounds"]) {
    if (q.type == question_type::text) break;  // a text question's rounds are its perspectives, below
    html += "<h3>Round " + std::to_string(r["round"].get<int>()) + (r.value("open", false) ? " (still open)" : "") +
            "</h3>";
    const bool shown = !r.value("suppressed", true) && r.contains("tally");
    if (!shown) {
      html += r.value("suppressed", true) ? fewer_than(k) : "<p class=\"hidden\">no tally yet</p>";
      shown_before = nullptr;
      continue;
    }
    html += "<p class=\"meta\">" + std::to_string(r["ballots"].get<int>()) + " answers</p>";
    html += tally_html(s, q, r["tally"], k);
    if (shown_before) html += shift_html(s, q, *shown_before, r["tally"], k);
    shown_before = &r["tally"];
  }
  if (qj["rounds"].empty()) html += "<p class=\"hidden\">never opened</p>";
  std::string quotes;
  for (const auto& p : qj["perspectives"])
    if (p.value("shown", false))
      quotes += "<blockquote>" + escape(p["text"].get<std::string>()) + "<div class=\"note\">" +
                std::to_string(p.value("endorsements", 0)) + " endorsements</div></blockquote>";
  if (!quotes.empty()) html += "<h3>Perspectives shown to the room</h3>" + quotes;
  return html + "</section>";
}

}  // namespace

std::string report_html(const scenario& s, const json& e) {
  const int k = e.value("min_group", 1);
  std::string html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(s.title) +
                     " - report</title><style>" + style + "</style></head><body>";
  html += "<h1>" + escape(s.title) + "</h1><p class=\"meta\">Session " + escape(e.value("code", "")) + ", started " +
          utc_minute(e.value("started_ms", std::int64_t{0})) +
          (e.value("ended", false) ? ", ended" : ", still running") + "; " +
          std::to_string(e.value("participants", 0)) + " participants. Numbers from fewer than " + std::to_string(k) +
          " answers are not shown.</p>";
  html += "<section><h2>The case</h2><p><strong>" + escape(s.summary) + "</strong></p>";
  for (const auto& para : s.case_text) html += "<p>" + escape(para) + "</p>";
  html += "</section>";
  for (const auto& q : e["questions"]) html += question_html(s, q, k);
  return html + "</body></html>\n";
}

std::string report_html(const session& s) {
  return report_html(s.scenario_copy(), s.export_json());
}

}  // namespace roundtable::facilitator
