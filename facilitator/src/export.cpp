#include "export.hpp"

#include <sstream>

#include "event_log.hpp"
#include "roundtable/session.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

using nlohmann::json;

std::optional<session> replay_stored(const std::vector<std::string>& payloads) {
  const auto log = parse_log(payloads).events;
  if (log.empty()) return std::nullopt;
  auto s = session::replay(log);
  if (!s) return std::nullopt;
  return std::move(*s);
}

std::optional<session> stored_session(store::log_reader& store, const std::string& code) {
  if (!store.code_used(code)) return std::nullopt;
  return replay_stored(store.events(code));
}

std::optional<json> export_session(store::log_reader& store, const std::string& code) {
  auto s = stored_session(store, code);
  if (!s) return std::nullopt;
  return s->export_json();
}

namespace {

// True for a plain decimal number ("-3", "2.5"): a spreadsheet reads it as a number, never a formula.
bool plain_number(const std::string& s) {
  std::size_t i = s.starts_with('-') ? 1 : 0, digits = 0, dots = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && dots++ == 0) continue;
    if (s[i] < '0' || s[i] > '9') return false;
    ++digits;
  }
  return digits > 0 && !s.ends_with('.');
}

// One CSV cell (RFC 4180 quoting). A cell that a spreadsheet would run as a formula (it starts with
// = + - @, a tab or a carriage return: OWASP's CSV injection list) is neutralised with a leading '
// so a perspective or an answer cannot become a formula on the facilitator's machine.
std::string csv_field(const std::string& raw) {
  const bool formula = !raw.empty() && std::string_view("=+-@\t\r").find(raw.front()) != std::string_view::npos;
  const std::string s = formula && !plain_number(raw) ? "'" + raw : raw;
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A ballot in one cell: "refer", "a;b", "3", "autonomy=4;justice=6", "a>b>c", "guidelines=refer;...".
std::string answer(const json& b) {
  std::string out;
  const auto join = [&](const std::string& sep, const std::string& item) {
    if (!out.empty()) out += sep;
    out += item;
  };
  if (b.contains("choice")) return b["choice"].get<std::string>();
  if (b.contains("choices"))
    for (const auto& c : b["choices"]) join(";", c.get<std::string>());
  if (b.contains("value")) return std::to_string(b["value"].get<long long>());
  if (b.contains("points"))
    for (const auto& [k, v] : b["points"].items()) join(";", k + "=" + std::to_string(v.get<long long>()));
  if (b.contains("order"))
    for (const auto& c : b["order"]) join(">", c.get<std::string>());
  if (b.contains("outcomes"))
    for (const auto& [k, v] : b["outcomes"].items()) join(";", k + "=" + v.get<std::string>());
  return out;
}

}  // namespace

std::string export_csv(const json& e) {
  std::ostringstream out;
  out << "session,question,type,round,voter,answer,note\n";
  const std::string code = e["code"].get<std::string>();
  for (const auto& q : e["questions"]) {
    const std::string qid = q["id"].get<std::string>();
    const std::string type = q["type"].get<std::string>();
    for (const auto& r : q["rounds"]) {
      const auto round = std::to_string(r["round"].get<int>());
      if (r.value("suppressed", false)) {
        out << code << "," << csv_field(qid) << "," << type << "," << round << ",,,"
            << "suppressed: " << r["ballots"].get<long long>() << " ballots (below min_group)\n";
        continue;
      }
      if (!r.contains("votes")) continue;
      for (const auto& v : r["votes"])
        out << code << "," << csv_field(qid) << "," << type << "," << round << "," << v["voter"].get<std::string>()
            << "," << csv_field(answer(v["ballot"])) << ",\n";
    }
    for (const auto& p : q["perspectives"])
      out << code << "," << csv_field(qid) << ",perspective," << p["round"].get<int>() << ",,"
          << csv_field(p["text"].get<std::string>()) << "," << (p["shown"].get<bool>() ? "shown" : "hidden")
          << "; endorsements " << p["endorsements"].get<long long>() << "\n";
  }
  return out.str();
}

namespace {

// One row per number in a tally, named by its path ("counts.refer", "matrix.guidelines.refer").
void tally_rows(std::ostream& out, const std::string& prefix, const std::string& path, const json& value) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) tally_rows(out, prefix, path.empty() ? k : path + "." + k, v);
    return;
  }
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) tally_rows(out, prefix, path + "." + std::to_string(i), value[i]);
    return;
  }
  if (value.is_number()) out << prefix << csv_field(path) << "," << value.dump() << "\n";
}

}  // namespace

std::string export_summary_csv(const json& e) {
  std::ostringstream out;
  out << "session,question,type,round,ballots,measure,value\n";
  const std::string code = e["code"].get<std::string>();
  for (const auto& q : e["questions"]) {
    const std::string type = q["type"].get<std::string>();
    if (type == "text") continue;  // perspectives have no counts
    for (const auto& r : q["rounds"]) {
      const std::string prefix = code + "," + csv_field(q["id"].get<std::string>()) + "," + type + "," +
                                 std::to_string(r["round"].get<int>()) + "," + std::to_string(r.value("ballots", 0LL)) +
                                 ",";
      // Below min_group nothing but the count leaves the core, here as on every page.
      if (r.value("suppressed", false)) {
        out << prefix << "suppressed,\n";
        continue;
      }
      if (r.contains("tally")) tally_rows(out, prefix, "", r["tally"]);
    }
  }
  return out.str();
}

}  // namespace roundtable::facilitator
