// What the engine reads to tell identical files from changed ones: files listed by type only
// learn their size when hashed, yet of two large files of different sizes only the first one
// hashed is read (its size settles it); equal sizes are hashed on both sides.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/stdlib_diff.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using testing::ScratchTree;

// Bytes hashed by a diff of a/ against b/ (move detection off: it hashes for its own reasons).
uint64_t BytesHashed(const ScratchTree& tree) {
  DiffOptions options;
  options.jobs = 2;
  options.detect_moves = false;
  DiffProgress progress;
  absl::StatusOr<changeset::v1::Changeset> cs = testing::DiffWithStdlib(tree, options, &progress);
  EXPECT_TRUE(cs.ok()) << cs.status();
  return progress.bytes_hashed.load();
}

constexpr size_t kLarge = (2 << 20) + 7;  // past the engine's stat-first threshold (1 MiB)

TEST(EngineHashingTest, OfLargeFilesOfDifferentSizesOnlyTheLeftIsRead) {
  ScratchTree t;
  t.Write("a/big.bin", std::string(kLarge, 'x'));
  t.Write("b/big.bin", std::string(kLarge + 1, 'x'));
  EXPECT_EQ(BytesHashed(t), kLarge);
}

TEST(EngineHashingTest, EqualSizesAreHashedOnBothSides) {
  ScratchTree t;
  t.Write("a/big.bin", std::string(kLarge, 'x'));
  t.Write("b/big.bin", std::string(kLarge, 'y'));
  t.Write("a/small.txt", "same\n");
  t.Write("b/small.txt", "same\n");
  EXPECT_EQ(BytesHashed(t), 2 * kLarge + 2 * 5);
}

}  // namespace
}  // namespace deltascope
