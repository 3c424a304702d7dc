// Hostile archives through the real binary: a zip bomb is refused fast with little memory, a
// nest of archives deeper than the cap is compared as binary, and in both cases the rest of the
// diff is still reported. The bombs are generated here (python3's zipfile), not committed.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

// Runs a python3 snippet with `args` as sys.argv[1:]; fails the test when it fails.
void Python(const std::string& code, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/python3", "-c", code};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// One bzip2-compressed member of argv[2] MiB of zeros: 256 MiB take a few hundred bytes.
constexpr char kMakeBomb[] = R"(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', compression=zipfile.ZIP_BZIP2) as z:
    with z.open('zeros.bin', 'w', force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(int(sys.argv[2])): f.write(chunk)
)";

// A zip inside a zip inside ... 12 levels deep, a changed text file at the bottom.
constexpr char kMakeNest[] = R"(
import io, sys, zipfile
data = open(sys.argv[1] + '.txt', 'rb').read()
name = 'deep.txt'
for level in range(12):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    data, name = buf.getvalue(), 'level%d.zip' % level
open(sys.argv[1], 'wb').write(data)
)";

long ChildrenMaxRssKb() {
  struct rusage usage {};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}

TEST(ArchiveSafetyTest, ZipBombIsRefusedQuicklyAndTheRestIsReported) {
  ScratchTree tree;
  tree.Write("a/notes.txt", "before\n");
  tree.Write("b/notes.txt", "after\n");
  Python(kMakeBomb, {(tree / "a/payload.zip").string(), "1"});
  Python(kMakeBomb, {(tree / "b/payload.zip").string(), "256"});
  ASSERT_LT(std::filesystem::file_size(tree / "b/payload.zip"), 10u * 1024);

  const long rss_before = ChildrenMaxRssKb();
  ProcessResult r = RunDeltascope({"diff", (tree / "a").string(), (tree / "b").string(), "--format",
                                   "markdown", "--jobs", "2"});

  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("(archive-bomb)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("payload.zip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_ratio"), std::string::npos) << r.out;
  // The other change, and the archive itself (as binary), are still reported.
  EXPECT_NE(r.out.find("**notes.txt**"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("**payload.zip**"), std::string::npos) << r.out;
  // Far below the 256 MiB the member would take in memory (ru_maxrss is in KiB); only
  // meaningful when this run set the children's high-water mark.
  const long rss = ChildrenMaxRssKb();
  if (rss > rss_before) {
    EXPECT_LT(rss, 200 * 1024);
  }
}

TEST(ArchiveSafetyTest, NestingDeeperThanTheCapIsComparedAsBinary) {
  ScratchTree tree;
  tree.Write("a/nest.zip.txt", "old bottom\n");
  tree.Write("b/nest.zip.txt", "new bottom\n");
  Python(kMakeNest, {(tree / "a/nest.zip").string()});
  Python(kMakeNest, {(tree / "b/nest.zip").string()});

  ProcessResult r =
      RunDeltascope({"diff", (tree / "a").string(), (tree / "b").string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("\"archive-bomb\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_depth"), std::string::npos) << r.out;
  // Eight archives are expanded; the ninth is reported as a changed binary file.
  EXPECT_NE(r.out.find("nest.zip/level10.zip/level9.zip/level8.zip/level7.zip/level6.zip/"
                       "level5.zip/level4.zip/level3.zip\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"comparator\": \"binary\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("deep.txt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nest.zip.txt"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace deltascope::testing
