// Every case a facilitator can start: the --scenarios folder's (read-only) and the saved ones
// (written in the console, kept in the store), with the rules for saving, reading and deleting them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "roundtable/error.hpp"
#include "roundtable/scenario.hpp"
#include "scenario_folder.hpp"

namespace roundtable::store {
class scenario_store;
}

namespace roundtable::facilitator {

/// The owner of the saved cases of the server's own (admin) key; a facilitator key's cases are owned by its name.
inline constexpr std::string_view admin_owner = "admin";

/// Bounds on a saved or inline case, beyond the format's own (1 to 100 stages, 1 to 50 paragraphs
/// of at most 4000 characters, titles of 200, ids of 40): what one key may make the server keep.
struct case_limits {
  std::size_t max_bytes = 48 * 1024;  // the case's JSON as sent, compact: well inside a 64 KiB frame
  std::size_t max_saved = 200;        // saved cases per owner
};

enum class case_source { folder, saved };
/// "folder" or "saved", as `hosting` spells it.
std::string_view to_string(case_source s);

/// One row of `hosting.scenarios`.
struct listed_case {
  std::string id;
  std::string title;
  std::string summary;
  case_source source = case_source::folder;
};

/// Why a case was refused: the protocol's error, and for invalid_scenario every broken rule.
struct case_refusal {
  error err;
  std::vector<scenario_error> details;
};

/// A value, or the refusal.
template <class T>
struct case_result {
  std::optional<T> value;
  case_refusal refusal{{error_code::internal, ""}, {}};
  explicit operator bool() const { return value.has_value(); }
};

/// What scenario_get answers: the file's JSON, where it comes from, and a saved case's version.
struct case_file {
  nlohmann::json file;
  case_source source = case_source::folder;
  std::int64_t version = 0;
};

/// Whose saved cases a request may see: every owner's (nothing: the admin key), or one owner's.
using owner_scope = std::optional<std::string>;

/// A saved case's id and its new version.
struct saved_version {
  std::string id;
  std::int64_t version = 0;
};

class scenario_library {
public:
  scenario_library(scenario_folder& folder, store::scenario_store& saved, case_limits limits);

  /// Every case: the folder's, then the saved ones in scope the folder does not shadow; each sorted by id.
  std::vector<listed_case> list(const owner_scope& scope = std::nullopt);
  /// The case a `start` names (folder first, then a saved one in scope), as a session copies it.
  std::optional<scenario> find(const std::string& id, const owner_scope& scope = std::nullopt);
  /// A case sent whole (an inline `start`, a save): within the limits and valid, or every reason not.
  case_result<scenario> check(const nlohmann::json& doc) const;
  /// Saves a valid case for owner: a new id, or the next version of the owner's own; never a folder id.
  case_result<saved_version> save(const nlohmann::json& doc, const std::string& owner);
  /// The file JSON of a case (folder first); a saved case out of scope is answered as a missing one.
  case_result<case_file> get(const std::string& id, const owner_scope& scope = std::nullopt);
  /// Deletes a saved case in scope (the admin's: any); a folder case is refused, one out of scope is
  /// answered as a missing one.
  case_result<std::string> remove(const std::string& id, const owner_scope& scope);

private:
  bool in_folder(const std::string& id);

  scenario_folder& folder_;
  store::scenario_store& saved_;
  case_limits limits_;
};

}  // namespace roundtable::facilitator
