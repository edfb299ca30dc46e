#include "heap.hpp"

#include <malloc.h>

namespace roundtable::facilitator {

bool release_free_heap(std::size_t threshold) {
  // Under a sanitizer mallinfo2 reports nothing free, and nothing is trimmed.
  const struct mallinfo2 info = mallinfo2();
  if (info.fordblks < threshold) return false;
  malloc_trim(0);
  return true;
}

}  // namespace roundtable::facilitator
