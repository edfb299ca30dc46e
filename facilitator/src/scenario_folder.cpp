#include "scenario_folder.hpp"

#include <algorithm>
#include <iostream>
#include <system_error>

#include "scenario_files.hpp"

namespace roundtable::facilitator {

namespace fs = std::filesystem;

scenario_folder::scenario_folder(fs::path dir) : dir_(std::move(dir)) {
  signature_ = signature();
  auto loaded = load_catalog({dir_}, true);
  first_errors_ = std::move(loaded.errors);
  scenarios_ = std::make_shared<const std::vector<scenario>>(std::move(loaded.scenarios));
}

std::string scenario_folder::signature() const {
  std::error_code ec;
  std::vector<std::string> rows;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::error_code e1, e2;
    const auto size = entry.file_size(e1);
    const auto mtime = entry.last_write_time(e2).time_since_epoch().count();
    rows.push_back(entry.path().filename().string() + "\n" + std::to_string(e1 ? 0 : size) + "\n" +
                   std::to_string(e2 ? 0 : mtime));
  }
  if (ec) return "unreadable: " + ec.message();
  std::sort(rows.begin(), rows.end());
  std::string out;
  for (const auto& r : rows) out += r + "\n";
  return out;
}

scenario_folder::catalog scenario_folder::scenarios() {
  auto now = signature();
  std::lock_guard lock(mutex_);
  if (now == signature_) return scenarios_;
  signature_ = std::move(now);
  auto loaded = load_catalog({dir_}, true);
  if (!loaded.errors.empty()) {
    std::cerr << "warning: " << dir_.string() << " changed but has errors; still serving its last good cases:\n";
    for (const auto& e : loaded.errors) std::cerr << "  " << e.to_string() << "\n";
    return scenarios_;
  }
  scenarios_ = std::make_shared<const std::vector<scenario>>(std::move(loaded.scenarios));
  return scenarios_;
}

}  // namespace roundtable::facilitator
