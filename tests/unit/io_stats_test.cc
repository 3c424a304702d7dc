// Progress measures (daemon/util/io_stats.h) on real files.
#include "daemon/util/io_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "daemon/util/fd.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

TEST(IoStatsTest, BytesReadGrowByWhatIsRead) {
  testing::ScratchTree t;
  t.Write("big.bin", std::string(1 << 20, 'x'));
  const uint64_t before = ProcessBytesRead();
  ASSERT_GT(before, 0u);  // /proc/self/io exists on every Linux this runs on
  absl::StatusOr<std::string> content = ReadFileToString(t / "big.bin");
  ASSERT_TRUE(content.ok());
  EXPECT_GE(ProcessBytesRead() - before, uint64_t{1} << 20);
}

TEST(IoStatsTest, TreeBytesCountsRegularFilesOnce) {
  testing::ScratchTree t;
  t.Write("a/one.txt", std::string(100, 'a'));
  t.Write("a/sub/two.txt", std::string(23, 'b'));
  std::filesystem::create_symlink(t / "a" / "one.txt", t / "a" / "link.txt");
  std::filesystem::create_directory_symlink(t / "a" / "sub", t / "a" / "sublink");
  std::atomic<bool> stop{false};
  EXPECT_EQ(TreeBytes(t / "a", stop), 123u);
  EXPECT_EQ(TreeBytes(t / "a" / "one.txt", stop), 100u);
  EXPECT_EQ(TreeBytes(t / "missing", stop), 0u);
  stop = true;
  EXPECT_EQ(TreeBytes(t / "a", stop), 0u);
}

}  // namespace
}  // namespace deltascope
