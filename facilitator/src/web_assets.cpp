#include "web_assets.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace roundtable::facilitator {

namespace embedded {
extern const std::pair<std::string_view, std::string_view> assets[];
extern const std::size_t asset_count;
}  // namespace embedded

namespace {

// FNV-1a, 64 bits: enough to tell two versions of a file apart for caching (not a security check).
std::string etag_of(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

web_asset make_asset(std::string_view name, std::string body) {
  web_asset a;
  a.etag = etag_of(body);
  a.content_type = content_type_for(name);
  a.body = std::move(body);
  return a;
}

}  // namespace

std::string content_type_for(std::string_view name) {
  const auto dot = name.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "json") return "application/json";
  if (ext == "ico") return "image/x-icon";
  return "application/octet-stream";
}

bool is_asset_name(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

web_assets web_assets::embedded() {
  web_assets w;
  for (std::size_t i = 0; i < embedded::asset_count; ++i) {
    const auto& [name, bytes] = embedded::assets[i];
    w.files_.emplace(std::string(name), make_asset(name, std::string(bytes)));
  }
  return w;
}

web_assets web_assets::from_dir(std::string dir) {
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error("--web-root " + dir + " is not a folder");
  web_assets w;
  w.dir_ = std::move(dir);
  return w;
}

std::optional<web_asset> web_assets::get(std::string_view name) const {
  if (!is_asset_name(name)) return std::nullopt;
  if (dir_.empty()) {
    const auto it = files_.find(name);
    if (it == files_.end()) return std::nullopt;
    return it->second;
  }
  const auto path = std::filesystem::path(dir_) / std::string(name);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  return make_asset(name, std::move(body).str());
}

}  // namespace roundtable::facilitator
