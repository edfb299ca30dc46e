// Giving the kernel back heap pages that malloc holds free: after a wave of thousands of
// joins, the handshakes' buffers are freed between the connections' long-lived blocks, so
// the heap cannot shrink from its top and the pages stay resident unless trimmed.
#pragma once

#include <cstddef>

namespace roundtable::facilitator {

/// Trims the heap (malloc_trim) when at least `threshold` bytes lie free inside it; true if
/// it trimmed. Costs a walk over malloc's free lists: call it every few seconds, not per request.
bool release_free_heap(std::size_t threshold);

}  // namespace roundtable::facilitator
