// The web pages' files (HTML, CSS, JavaScript modules): embedded in the program at build time, or read
// from a folder while developing (--web-root).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace roundtable::facilitator {

/// One file as served: its bytes, its Content-Type and a strong ETag of its bytes.
struct web_asset {
  std::string body;
  std::string content_type;
  std::string etag;
};

class web_assets {
public:
  /// The files compiled into the program (facilitator/web/ at build time).
  static web_assets embedded();
  /// Files read from `dir` at each request (edit, reload); throws if `dir` is not a folder.
  static web_assets from_dir(std::string dir);

  /// The file called `name` (a plain file name such as "app.css", no folders), or nothing.
  std::optional<web_asset> get(std::string_view name) const;
  /// True when serving from a folder rather than from the program.
  bool from_disk() const { return !dir_.empty(); }

private:
  web_assets() = default;
  std::string dir_;                                      // from_dir: the folder; embedded: empty
  std::map<std::string, web_asset, std::less<>> files_;  // embedded only
};

/// The Content-Type for a file name, by its extension (application/octet-stream when unknown).
std::string content_type_for(std::string_view name);

/// True for a name that may be served: letters, digits, '-', '_' and '.', not starting with '.'.
bool is_asset_name(std::string_view name);

}  // namespace roundtable::facilitator
