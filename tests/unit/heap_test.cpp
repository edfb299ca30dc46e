// heap_trimmer against the real allocator: resident memory, read from /proc.
#include <gtest/gtest.h>

#include <malloc.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <vector>

#include "heap.hpp"

namespace {

using roundtable::facilitator::heap_trimmer;

// Resident bytes of this process (/proc/self/statm, second field, in pages).
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * 4096;
}

// 2,000 blocks of 48 KiB (below malloc's mmap threshold, so inside the heap), touched.
std::vector<char*> allocate_blocks() {
  constexpr std::size_t block = 48 * 1024, count = 2000;
  std::vector<char*> blocks;
  for (std::size_t i = 0; i < count; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(block)));
    std::memset(blocks.back(), 1, block);
  }
  return blocks;
}

// Frees every other block from `first`: about 48 MB free in holes the heap cannot give back
// from its top.
void free_every_other(std::vector<char*>& blocks, std::size_t first) {
  for (std::size_t i = first; i < blocks.size(); i += 2) {
    std::free(blocks[i]);
    blocks[i] = nullptr;
  }
}

TEST(Heap, TrimsFreePagesBetweenLiveBlocksAndOnlyWhenMoreLieFree) {
  auto blocks = allocate_blocks();
  auto more = allocate_blocks();
  free_every_other(blocks, 0);
  // Under a sanitizer malloc is not glibc's and nothing is reported free: scripts/test leaves
  // this test out there.
  ASSERT_GT(mallinfo2().fordblks, 40u << 20) << "run this test in a build without a sanitizer";
  EXPECT_FALSE(heap_trimmer(1u << 30).maybe_trim()) << "trimmed below its threshold";

  heap_trimmer trimmer(16u << 20);
  const std::size_t before = resident_bytes();
  EXPECT_TRUE(trimmer.maybe_trim());
  const std::size_t after = resident_bytes();
  EXPECT_LT(after + (30u << 20), before) << "resident before " << before << ", after " << after;
  // The free chunks are still free (only their pages went back): no trim again for them.
  EXPECT_FALSE(trimmer.maybe_trim());
  // Another 48 MB freed: trimmed again.
  free_every_other(more, 0);
  EXPECT_TRUE(trimmer.maybe_trim());
  // The live blocks are untouched.
  for (std::size_t i = 1; i < blocks.size(); i += 2) ASSERT_EQ(blocks[i][48 * 1024 - 1], 1);
  for (char* b : blocks) std::free(b);
  for (char* b : more) std::free(b);
}

}  // namespace
