#include "scenario_library.hpp"

#include <algorithm>
#include <set>

#include "roundtable/protocol.hpp"
#include "store/scenario_store.hpp"
#include "wall_clock.hpp"

namespace roundtable::facilitator {

using nlohmann::json;

namespace {

template <class T>
case_result<T> refuse(error_code code, std::string message, std::vector<scenario_error> details = {}) {
  case_result<T> out;
  out.refusal = {{code, std::move(message)}, std::move(details)};
  return out;
}

template <class T>
case_result<T> accept(T value) {
  case_result<T> out;
  out.value = std::move(value);
  return out;
}

std::string quoted(const std::string& s) {
  return protocol::dump(json(s));
}

bool in_scope(const owner_scope& scope, const std::string& owner) {
  return !scope || *scope == owner;
}

case_result<std::string> folder_refusal(const std::string& id) {
  return refuse<std::string>(
      error_code::read_only_scenario,
      "the case " + quoted(id) + " comes from the scenarios folder and is read-only; save a copy under another id");
}

}  // namespace

std::string_view to_string(case_source s) {
  return s == case_source::saved ? "saved" : "folder";
}

scenario_library::scenario_library(scenario_folder& folder, store::scenario_store& saved, case_limits limits)
    : folder_(folder), saved_(saved), limits_(limits) {}

bool scenario_library::in_folder(const std::string& id) {
  const auto cases = folder_.scenarios();
  return std::any_of(cases->begin(), cases->end(), [&](const scenario& s) { return s.id == id; });
}

std::vector<listed_case> scenario_library::list(const owner_scope& scope) {
  std::vector<listed_case> out;
  std::set<std::string> ids;
  for (const auto& s : *folder_.scenarios()) {
    out.push_back({s.id, s.title, s.summary, case_source::folder});
    ids.insert(s.id);
  }
  // A file added to the folder later under a saved case's id shadows it: one id, one case.
  for (auto& row : saved_.list())
    if (!ids.count(row.id) && in_scope(scope, row.owner))
      out.push_back({std::move(row.id), std::move(row.title), std::move(row.summary), case_source::saved});
  return out;
}

std::optional<scenario> scenario_library::find(const std::string& id, const owner_scope& scope) {
  for (const auto& s : *folder_.scenarios())
    if (s.id == id) return s;
  const auto row = saved_.find(id);
  if (!row || !in_scope(scope, row->owner)) return std::nullopt;
  auto parsed = parse_scenario(row->json, "saved case " + id);
  return parsed.value;
}

case_result<scenario> scenario_library::check(const json& doc) const {
  const auto bytes = protocol::dump(doc).size();
  if (bytes > limits_.max_bytes) {
    const auto rule = "the case is " + std::to_string(bytes) + " bytes of JSON, at most " +
                      std::to_string(limits_.max_bytes) + " allowed";
    return refuse<scenario>(error_code::invalid_scenario, rule, {{"", "", rule}});
  }
  auto parsed = validate_scenario(doc, "");
  if (parsed.value) return accept(std::move(*parsed.value));
  // The message is built before the errors move into the details (arguments have no order).
  const auto& first = parsed.errors.front();
  const auto n = parsed.errors.size();
  auto message = "the case would not load: " + std::to_string(n) + (n == 1 ? " error" : " errors") + ", first " +
                 (first.path.empty() ? "" : first.path + ": ") + first.rule;
  return refuse<scenario>(error_code::invalid_scenario, std::move(message), std::move(parsed.errors));
}

case_result<saved_version> scenario_library::save(const json& doc, const std::string& owner) {
  auto checked = check(doc);
  if (!checked)
    return refuse<saved_version>(checked.refusal.err.code, checked.refusal.err.message,
                                 std::move(checked.refusal.details));
  const auto& s = *checked.value;
  if (in_folder(s.id)) {
    auto r = folder_refusal(s.id);
    return refuse<saved_version>(r.refusal.err.code, r.refusal.err.message);
  }
  const store::saved_scenario row{s.id, owner, 0, s.title, s.summary, protocol::dump(to_json(s)), 0, 0};
  const auto outcome = saved_.save(row, wall_ms(), limits_.max_saved);
  switch (outcome.result) {
    case store::save_outcome::kind::saved:
      return accept(saved_version{s.id, outcome.version});
    case store::save_outcome::kind::taken:
      return refuse<saved_version>(error_code::read_only_scenario,
                                   "the id " + quoted(s.id) + " is taken; choose another id");
    case store::save_outcome::kind::full:
      break;
  }
  return refuse<saved_version>(error_code::too_large, "at most " + std::to_string(limits_.max_saved) +
                                                          " saved cases; delete one before saving a new one");
}

case_result<case_file> scenario_library::get(const std::string& id, const owner_scope& scope) {
  for (const auto& s : *folder_.scenarios())
    if (s.id == id) return accept(case_file{to_json(s), case_source::folder, 0});
  const auto row = saved_.find(id);
  if (!row || !in_scope(scope, row->owner))
    return refuse<case_file>(error_code::unknown_scenario, "no case has the id " + quoted(id));
  return accept(case_file{json::parse(row->json), case_source::saved, row->version});
}

case_result<std::string> scenario_library::remove(const std::string& id, const owner_scope& scope) {
  // A saved case shadowed by a folder file of the same id can still be deleted.
  const auto row = saved_.find(id);
  if (row && in_scope(scope, row->owner) && saved_.remove(id, row->owner)) return accept(id);
  if (in_folder(id)) return folder_refusal(id);
  return refuse<std::string>(error_code::unknown_scenario, "no saved case has the id " + quoted(id));
}

}  // namespace roundtable::facilitator
