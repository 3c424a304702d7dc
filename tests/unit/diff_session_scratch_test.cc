// Scratch folders belong to each diff: made and removed by its Engine::Diff call, never shared
// between sessions; what diffs of killed processes left is swept by the next session.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "daemon/session/comparator_source.h"
#include "daemon/session/diff_session.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

namespace fs = std::filesystem;
using ::deltascope::testing::ScratchTree;

// $TMPDIR for the test's duration.
class TmpDirFor {
 public:
  explicit TmpDirFor(const fs::path& dir) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~TmpDirFor() {
    if (old_.empty()) {
      ::unsetenv("TMPDIR");
    } else {
      ::setenv("TMPDIR", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

TEST(DiffSessionScratchTest, EachDiffOwnsItsScratchAndSessionsSweepDeadOnes) {
  ScratchTree t;
  t.Write("a/x.txt", "one\n");
  t.Write("b/x.txt", "two\n");
  // A killed run's scratch (unlocked, old) and one that may still be between creation and its
  // lock (young): only the first is swept.
  t.Write("tmp/deltascope-scratch-dead01/left.txt", "x\n");
  fs::last_write_time(t / "tmp/deltascope-scratch-dead01",
                      fs::file_time_type::clock::now() - std::chrono::minutes(2));
  t.Mkdir("tmp/deltascope-scratch-young1");
  const TmpDirFor tmpdir(t / "tmp");

  auto source = std::make_shared<StdlibComparatorSource>();
  const std::vector<Snapshot> snapshots = {{(t / "a").string(), "a"}, {(t / "b").string(), "b"}};
  // Sessions diffing at once: each diff makes and removes its own scratch folder.
  std::vector<std::thread> diffs;
  for (int i = 0; i < 4; ++i) {
    diffs.emplace_back([&] {
      SessionOptions options;
      options.comparators = source;
      options.jobs = 2;
      absl::StatusOr<std::unique_ptr<DiffSession>> session = DiffSession::Open(std::move(options));
      ASSERT_TRUE(session.ok()) << session.status();
      absl::StatusOr<DiffOutcome> outcome = (*session)->Diff(snapshots, nullptr);
      ASSERT_TRUE(outcome.ok()) << outcome.status();
      EXPECT_EQ(outcome->exit_status, kExitChanges);
    });
  }
  for (std::thread& d : diffs) d.join();
  EXPECT_EQ(Names(t / "tmp"), std::vector<std::string>{"deltascope-scratch-young1"});
}

}  // namespace
}  // namespace deltascope
