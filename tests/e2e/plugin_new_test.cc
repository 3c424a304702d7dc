// `deltascope plugins new`: what it refuses (a name that is not one, a built-in's name, a folder
// with something in it) and what it writes. Building and checking the generated projects is the
// job of the scaffold_* ctests (tests/scaffold/run.sh).
#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

TEST(PluginNewTest, RefusesBadNamesBuiltinNamesAndFoldersInUse) {
  ScratchTree t;
  t.Write("used/keep.txt", "mine\n");
  const std::string dir = (t / "p").string();
  ProcessResult bad = RunDeltascope({"plugins", "new", "My Plugin", "--lang", "go", "--dir", dir});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("plugin name 'My Plugin': use a lower-case letter"), std::string::npos)
      << bad.err;
  ProcessResult builtin = RunDeltascope({"plugins", "new", "json", "--lang", "go", "--dir", dir});
  EXPECT_EQ(builtin.exit_code, 2);
  EXPECT_EQ(builtin.err,
            "deltascope: plugin name 'json' is a built-in comparator's; choose another\n");
  ProcessResult used =
      RunDeltascope({"plugins", "new", "ok-name", "--lang", "cpp", "--dir", (t / "used").string()});
  EXPECT_EQ(used.exit_code, 2);
  EXPECT_EQ(ReadFile(t / "used/keep.txt"), "mine\n");
  EXPECT_FALSE(std::filesystem::exists(t / "p"));
  ProcessResult lang = RunDeltascope({"plugins", "new", "ok-name", "--lang", "rust", "--dir", dir});
  EXPECT_NE(lang.exit_code, 0);
}

TEST(PluginNewTest, FillsEveryPlaceholderInNamesAndContents) {
  ScratchTree t;
  for (const char* lang : {"python", "cpp", "go"}) {
    const std::filesystem::path dir = t / lang;
    ProcessResult r =
        RunDeltascope({"plugins", "new", "my-fmt", "--lang", lang, "--dir", dir.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    int files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      ++files;
      const std::string rel = std::filesystem::relative(e.path(), dir).string();
      EXPECT_EQ(rel.find('@'), std::string::npos) << lang << ": " << rel;
      const std::string text = ReadFile(e.path());
      for (const char* placeholder : {"@NAME@", "@IDENT@", "@CLASS@", "@EXT@"}) {
        EXPECT_EQ(text.find(placeholder), std::string::npos) << lang << ": " << rel;
      }
    }
    EXPECT_GE(files, 4) << lang;
    EXPECT_TRUE(std::filesystem::exists(dir / "README.md")) << lang;
  }
  EXPECT_TRUE(std::filesystem::exists(t / "python/src/my_fmt/__init__.py"));
  EXPECT_NE(ReadFile(t / "python/pyproject.toml").find("my-fmt = \"my_fmt:MyFmt\""),
            std::string::npos);
  EXPECT_NE(ReadFile(t / "cpp/my-fmt.plugin.yaml").find("extensions: [.my-fmt]"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(t / "go/proto/deltascope/plugin/v1/comparator.proto"));
}

}  // namespace
}  // namespace deltascope::testing
