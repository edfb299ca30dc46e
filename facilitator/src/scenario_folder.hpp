// The --scenarios folder as serve sees it: read again whenever its files change, so a case added,
// edited or removed there is served without a restart.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "roundtable/scenario.hpp"

namespace roundtable::facilitator {

class scenario_folder {
public:
  using catalog = std::shared_ptr<const std::vector<scenario>>;

  /// Reads the folder now (empty is fine); errors() holds what is wrong with it.
  explicit scenario_folder(std::filesystem::path dir);

  /// The errors of the first reading: serve refuses to start on any, as before.
  const std::vector<scenario_error>& errors() const { return first_errors_; }

  /// The folder's cases, read again first when a file was added, removed or changed since the last
  /// look (names, sizes and modification times: a directory listing, no file read). A folder
  /// changed into one with errors keeps the last good cases and names the errors on stderr once.
  catalog scenarios();

private:
  /// The folder's *.json files with their sizes and modification times, as one string.
  std::string signature() const;

  std::filesystem::path dir_;
  std::vector<scenario_error> first_errors_;
  std::mutex mutex_;
  std::string signature_;
  catalog scenarios_;
};

}  // namespace roundtable::facilitator
