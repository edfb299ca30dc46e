// `facilitator backup`: a consistent copy of a live event store, with SQLite's online backup API.
#pragma once

#include <cstdint>
#include <filesystem>

namespace roundtable::store {

/// Copies the database at from to the new file to as one consistent snapshot (a server may be writing
/// from meanwhile: what its write-ahead log holds is included, up to the moment the copy starts). from is
/// opened read-only; to is written beside itself and renamed into place only when complete and checked, and
/// an existing to is replaced only with overwrite. Returns the pages copied; throws std::runtime_error
/// saying what is wrong (no such file, not a Roundtable database, target exists, disk full, ...).
std::int64_t backup(const std::filesystem::path& from, const std::filesystem::path& to, bool overwrite);

}  // namespace roundtable::store
