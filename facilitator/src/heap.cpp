#include "heap.hpp"

#include <malloc.h>

namespace roundtable::facilitator {

bool heap_trimmer::maybe_trim() {
  // Under a sanitizer mallinfo2 reports nothing free, and nothing is trimmed.
  const std::size_t free_bytes = mallinfo2().fordblks;
  if (free_bytes < baseline_) baseline_ = free_bytes;  // reused since: count growth from here
  if (free_bytes < baseline_ + threshold_) return false;
  malloc_trim(0);
  baseline_ = mallinfo2().fordblks;
  return true;
}

}  // namespace roundtable::facilitator
