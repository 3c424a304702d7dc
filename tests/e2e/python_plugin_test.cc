// A Python plugin found through its entry point (pip-installed into the project's .venv by
// scripts/install-deps.sh), run out of process by the real CLI: the SQLite comparator.
#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

std::string VenvPython() { return std::string(DELTASCOPE_SOURCE_DIR) + "/.venv/bin/python"; }

TEST(PythonPluginTest, EntryPointPluginDescribesSqliteChangesSandboxed) {
  ASSERT_TRUE(std::filesystem::exists(VenvPython())) << "run scripts/install-deps.sh";
  RunOptions in_examples;
  in_examples.cwd = std::filesystem::path(DELTASCOPE_SOURCE_DIR) / "examples/snapshots";
  for (const char* sandbox : {"standard", "strict", "off"}) {
    ProcessResult r = RunDeltascope(
        {"diff", "2024-01", "2024-06", "--python", VenvPython(), "--sandbox", sandbox},
        in_examples);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("- **data/budget.sqlite/allocations**: table allocations: 3 rows added"),
              std::string::npos)
        << sandbox << "\n"
        << r.out << r.err;
    EXPECT_EQ(r.out.find("Diagnostics"), std::string::npos) << sandbox << "\n" << r.out;
  }
}

TEST(PythonPluginTest, PluginsListShowsTheDistribution) {
  ProcessResult r = RunDeltascope({"plugins", "list", "--python", VenvPython()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sqlite-python 0.1.0 [available]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("entry-point (deltascope-sqlite 0.1.0)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace deltascope::testing
