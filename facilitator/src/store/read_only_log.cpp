#include "store/read_only_log.hpp"

#include <stdexcept>
#include <system_error>

#include "store/sqlite.hpp"

namespace roundtable::store {

std::optional<std::vector<std::string>> read_session_events(const std::filesystem::path& file,
                                                            const std::string& code) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw std::runtime_error("no database at " + file.string());
  try {
    auto db = sqlite::db::open_read_only(file, 5000);
    sqlite::statement known(db, "SELECT 1 FROM sessions WHERE code = ?1");
    known.bind_text(1, code);
    if (!known.step()) return std::nullopt;
    sqlite::statement query(db, "SELECT payload FROM events WHERE session = ?1 ORDER BY seq");
    query.bind_text(1, code);
    std::vector<std::string> payloads;
    while (query.step()) payloads.push_back(query.column_text(0));
    return payloads;
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot read the event store " + file.string() + ": " + e.what());
  }
}

}  // namespace roundtable::store
