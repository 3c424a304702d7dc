// The csv comparator streams: diffing two large tables costs a few bytes per row of peak memory,
// not the files' size. Runs the real binary and reads its peak RSS from wait4().
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

void WriteTable(const std::filesystem::path& path, int rows, bool edited) {
  std::ofstream out(path, std::ios::binary);
  out << "id,name,city,score,comment\n";
  for (int i = 0; i < rows; ++i) {
    if (edited && i % 10007 == 0) continue;  // removed
    out << i << (edited && i % 5003 == 0 ? ",NAME" : ",name") << i % 1000 << ",city" << i % 313
        << "," << i * 7 % 1000 << ",\"a comment, with text " << i << "\"\n";
  }
}

TEST(CsvMemoryTest, PeakMemoryGrowsByAFewBytesPerRow) {
  ScratchTree tree;
  constexpr int kRows = 1'000'000;  // ~60 MB per side
  tree.Mkdir("small/a");
  tree.Mkdir("small/b");
  WriteTable(tree / "small/a/t.csv", 1000, false);
  WriteTable(tree / "small/b/t.csv", 1000, true);
  tree.Mkdir("big/a");
  tree.Mkdir("big/b");
  WriteTable(tree / "big/a/t.csv", kRows, false);
  WriteTable(tree / "big/b/t.csv", kRows, true);

  auto diff = [&](const std::string& which) {
    return RunDeltascopeMeasured(
        {"diff", (tree / which / "a").string(), (tree / which / "b").string(), "--format",
         "markdown", "--jobs", "2"},
        tree / (which + ".md"));
  };
  MeasuredRun small = diff("small");
  MeasuredRun big = diff("big");
  ASSERT_EQ(small.exit_code, 1) << small.out;
  ASSERT_EQ(big.exit_code, 1) << big.out;
  EXPECT_NE(big.out.find("t.csv**: 100 rows removed; 199 cells changed"), std::string::npos)
      << big.out;
#ifdef DELTASCOPE_SANITIZED
  // ASan keeps freed memory in quarantine and pads every allocation, so RSS says nothing about
  // the comparator's own footprint there; the normal build asserts the budget.
  GTEST_SKIP() << "peak RSS is not measurable under sanitizers (" << big.max_rss_kb << " KB)";
#endif
  // Both files together hold 2M rows: allow 32 bytes a row over the small run's baseline.
  const long budget_kb = 2L * kRows * 32 / 1024;
  EXPECT_LT(big.max_rss_kb - small.max_rss_kb, budget_kb)
      << "peak RSS " << big.max_rss_kb << " KB vs baseline " << small.max_rss_kb << " KB";
}

}  // namespace
}  // namespace deltascope::testing
