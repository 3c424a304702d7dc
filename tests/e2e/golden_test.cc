// Golden vectors: every folder tests/vectors/<case>/ holds snapshot-a/, snapshot-b/ and the
// expected output of `deltascope diff snapshot-a snapshot-b` as expected.json and expected.md.
// Optional files: `args` (extra arguments, one per line) and `exit` (expected exit status,
// default 1). A vector whose file names git cannot hold portably (bytes that are not UTF-8)
// keeps both snapshots in `snapshots.tar` (written by make_archives.py), unpacked for the run. Run
// with DELTASCOPE_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change (then
// review the diff).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

std::filesystem::path VectorsDir() {
  return std::filesystem::path(DELTASCOPE_SOURCE_DIR) / "tests" / "vectors";
}

std::vector<std::string> VectorNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(VectorsDir(), ec)) {
    if (entry.is_directory() && (std::filesystem::exists(entry.path() / "snapshot-a") ||
                                 std::filesystem::exists(entry.path() / "snapshots.tar"))) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ReadArgs(const std::filesystem::path& dir) {
  std::vector<std::string> args;
  std::ifstream in(dir / "args");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') args.push_back(line);
  }
  return args;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedOutput) {
  const std::filesystem::path dir = VectorsDir() / GetParam();
  const bool update = std::getenv("DELTASCOPE_UPDATE_GOLDEN") != nullptr;
  int expected_exit = 1;
  if (std::filesystem::exists(dir / "exit")) expected_exit = std::stoi(ReadFile(dir / "exit"));
  std::filesystem::path snapshots = dir;
  ScratchTree unpacked;
  if (std::filesystem::exists(dir / "snapshots.tar")) {
    ProcessResult tar = RunProcess(
        {"/bin/sh", "-c", "exec tar -xf \"$0\" -C \"$1\"", dir / "snapshots.tar", unpacked.root()});
    ASSERT_EQ(tar.exit_code, 0) << tar.err;
    snapshots = unpacked.root();
  }
  for (const char* format : {"json", "markdown"}) {
    std::vector<std::string> args = {"diff", "snapshot-a", "snapshot-b", "--format",
                                     format, "--jobs",     "2"};
    for (const std::string& a : ReadArgs(dir)) args.push_back(a);
    RunOptions options;
    options.cwd = snapshots;
    ProcessResult r = RunDeltascope(args, options);
    const std::filesystem::path expected_file =
        dir / (std::string("expected.") + (std::string(format) == "json" ? "json" : "md"));
    if (update) {
      std::ofstream(expected_file, std::ios::binary) << r.out;
      std::ofstream(dir / "exit") << r.exit_code << "\n";
      continue;
    }
    EXPECT_EQ(r.exit_code, expected_exit) << format << " stderr: " << r.err;
    EXPECT_EQ(r.out, ReadFile(expected_file)) << "format " << format << " of vector " << GetParam();
  }
  if (update) return;
  // The saved JSON holds everything the Markdown shows: re-rendering it gives the same text.
  std::vector<std::string> args = {"changelog", "expected.json"};
  for (const std::string& a : ReadArgs(dir)) {
    if (a == "--group") args.push_back(a);  // the only render flag a vector uses
  }
  RunOptions options;
  options.cwd = dir;
  ProcessResult r = RunDeltascope(args, options);
  EXPECT_EQ(r.out, ReadFile(dir / "expected.md")) << "changelog of vector " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Vectors, GoldenTest, ::testing::ValuesIn(VectorNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

}  // namespace
}  // namespace deltascope::testing
