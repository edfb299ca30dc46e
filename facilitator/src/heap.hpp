// Giving the kernel back heap pages that malloc holds free: after a wave of thousands of
// joins, the handshakes' buffers are freed between the connections' long-lived blocks, so
// the heap cannot shrink from its top and the pages stay resident unless trimmed.
#pragma once

#include <cstddef>

namespace roundtable::facilitator {

/// Trims the heap (malloc_trim) once the bytes free inside it have grown by `threshold` since
/// the last trim. (Free chunks stay free after a trim, only their pages go back, so the free
/// count alone would ask for a trim every time.) Not thread-safe; call it every few seconds.
class heap_trimmer {
public:
  explicit heap_trimmer(std::size_t threshold) : threshold_(threshold) {}

  /// Trims if the free bytes grew enough; true if it trimmed.
  bool maybe_trim();

private:
  std::size_t threshold_;
  std::size_t baseline_ = 0;  // free bytes right after the last trim (or the least seen since)
};

}  // namespace roundtable::facilitator
