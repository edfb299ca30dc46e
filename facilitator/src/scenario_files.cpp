#include "scenario_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

namespace roundtable::facilitator {

namespace fs = std::filesystem;

namespace {

bool is_scenario_file(const fs::path& p) {
  const auto name = p.filename().string();
  constexpr std::string_view schema = ".schema.json";
  if (name.size() >= schema.size() && name.compare(name.size() - schema.size(), schema.size(), schema) == 0)
    return false;
  return p.extension() == ".json";
}

void read_one(const fs::path& p, scenario_files& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    out.errors.push_back({p.string(), "", "cannot be read"});
    return;
  }
  // Read one byte past the limit so the core can refuse an oversized file by its size.
  std::string text(max_scenario_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  out.sources.push_back({p.string(), std::move(text)});
}

}  // namespace

scenario_files read_scenario_files(const std::vector<fs::path>& paths, bool empty_ok) {
  scenario_files out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_regular_file() && is_scenario_file(entry.path())) files.push_back(entry.path());
      if (ec) {
        out.errors.push_back({p.string(), "", "cannot list the folder: " + ec.message()});
        continue;
      }
      std::sort(files.begin(), files.end());
      if (files.empty() && !empty_ok)
        out.errors.push_back({p.string(), "", "the folder holds no scenario (*.json) file"});
      for (const auto& f : files) read_one(f, out);
      continue;
    }
    if (!fs::exists(p, ec)) {
      out.errors.push_back({p.string(), "", "no such file or folder"});
      continue;
    }
    read_one(p, out);
  }
  return out;
}

catalog_parse load_catalog(const std::vector<fs::path>& paths, bool empty_ok) {
  auto files = read_scenario_files(paths, empty_ok);
  auto catalog = parse_catalog(files.sources);
  if (!files.errors.empty()) {
    catalog.errors.insert(catalog.errors.begin(), files.errors.begin(), files.errors.end());
    catalog.scenarios.clear();
  }
  return catalog;
}

}  // namespace roundtable::facilitator
