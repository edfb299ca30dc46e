// The distinct participants connected to any of the servers that share a session (`serve --nats`): each
// server holds some voters (by their voter id, the join order every server folds alike), one voter may be
// connected to several, and the session's presence is the union.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "roundtable/ballot.hpp"

namespace roundtable::facilitator {

/// A union of voter-id sets from up to 255 sources, its size kept as they change.
class presence_union {
public:
  /// One more source holds the voter.
  void add(voter_id v);
  /// One source holding the voter no longer does (nothing if none did).
  void remove(voter_id v);
  /// A source's set went from `before` to `after` (both sorted, without repeats).
  void replace(const std::vector<voter_id>& before, const std::vector<voter_id>& after);
  /// Distinct voters held by any source.
  std::size_t size() const { return held_; }
  /// Those voters, in id order.
  std::vector<voter_id> ids() const;

private:
  std::vector<std::uint8_t> holders_;  // by voter id: how many sources hold them
  std::size_t held_ = 0;
};

/// Sorts ids and drops repeats (a source's set as replace() takes it).
void sort_unique(std::vector<voter_id>& ids);

}  // namespace roundtable::facilitator
