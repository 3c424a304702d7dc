#include "daemon/util/atomic_file.h"

#include <gtest/gtest.h>

#include "daemon/util/fd.h"
#include "daemon/util/temp_dir.h"

namespace deltascope {
namespace {

size_t Entries(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// A folder holding one file, `target`, that says "old".
class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir.ok());
    ASSERT_TRUE(WriteFileAtomically(target, "old").ok());
  }
  absl::StatusOr<TempDir> dir = TempDir::Create("atomic-file-test-");
  const std::filesystem::path target = dir->path() / "cache.json";
};

TEST_F(AtomicFileTest, CommitReplacesTheTarget) {
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(target);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->Write("new contents").ok());
  EXPECT_EQ(*ReadFileToString(target), "old");  // nothing visible before the commit
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(*ReadFileToString(target), "new contents");
  EXPECT_EQ(Entries(dir->path()), 1u);
  EXPECT_FALSE(file->Commit().ok());
}

TEST_F(AtomicFileTest, AnAbandonedWriteLeavesTheTargetAndNoTemporary) {
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Create(target);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->Write("half").ok());
    EXPECT_EQ(Entries(dir->path()), 2u);
  }
  EXPECT_EQ(*ReadFileToString(target), "old");
  EXPECT_EQ(Entries(dir->path()), 1u);
}

TEST_F(AtomicFileTest, AMissingFolderIsAnError) {
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-deltascope-dir/x", "data").ok());
}

}  // namespace
}  // namespace deltascope
