// End-to-end tests of `deltascope diff` and `deltascope changelog`: the real binary on real trees.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// Finds the node at `path` in a JSON changeset (depth-first), or null.
const Json* FindNode(const Json& node, const std::string& path) {
  if (node.is_null()) return nullptr;
  if (node.value("path", "") == path) return &node;
  if (node.contains("children")) {
    for (const Json& child : node["children"]) {
      if (const Json* found = FindNode(child, path)) return found;
    }
  }
  return nullptr;
}

Json DiffJson(const ScratchTree& t, std::vector<std::string> extra = {}, int* exit_code = nullptr) {
  std::vector<std::string> args = {"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = RunDeltascope(args);
  if (exit_code) *exit_code = r.exit_code;
  EXPECT_TRUE(r.exit_code >= 0 && r.exit_code <= 2) << r.err;
  return Json::parse(r.out);
}

TEST(CliTest, IdenticalTreesExitZeroWithoutRoot) {
  ScratchTree t;
  for (const char* side : {"a", "b"}) {
    t.Write(absl::StrCat(side, "/x.txt"), "same\n");
    t.Write(absl::StrCat(side, "/sub/y.bin"), std::string("\0\1\2", 3));
  }
  int exit_code = -1;
  Json cs = DiffJson(t, {}, &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_TRUE(cs["root"].is_null());
  ProcessResult md = RunDeltascope({"diff", (t / "a").string(), (t / "b").string()});
  EXPECT_NE(md.out.find("No changes detected."), std::string::npos) << md.out;
}

TEST(CliTest, AddedRemovedModifiedNested) {
  ScratchTree t;
  t.Write("a/keep.txt", "one\ntwo\nthree\n");
  t.Write("b/keep.txt", "one\n2\nthree\nfour\n");
  t.Write("a/deep/er/gone.txt", "bye\n");
  t.Write("b/deep/er/new.txt", "hello\nworld\n");
  t.Write("a/img.bin", std::string(2048, '\xff'));
  t.Write("b/img.bin", std::string(3072, '\xfe'));
  int exit_code = -1;
  Json cs = DiffJson(t, {}, &exit_code);
  EXPECT_EQ(exit_code, 1);
  const Json& root = cs["root"];
  const Json* keep = FindNode(root, "keep.txt");
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ((*keep)["summary"], "2 lines added, 1 removed");
  EXPECT_EQ((*keep)["comparator"], "text");
  const Json* gone = FindNode(root, "deep/er/gone.txt");
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ((*gone)["action"], "remove");
  const Json* added = FindNode(root, "deep/er/new.txt");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ((*added)["summary"], "New file (2 lines)");
  const Json* img = FindNode(root, "img.bin");
  ASSERT_NE(img, nullptr);
  EXPECT_EQ((*img)["summary"], "Content changed (2.0 KB → 3.0 KB)");
  EXPECT_EQ((*img)["comparator"], "binary");
}

TEST(CliTest, WhitespaceOnlyIsClerical) {
  ScratchTree t;
  t.Write("a/notes.txt", "alpha beta\ngamma\n");
  t.Write("b/notes.txt", "alpha   beta  \r\n\ngamma\r\n");
  Json cs = DiffJson(t);
  const Json* n = FindNode(cs["root"], "notes.txt");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ((*n)["tags"], Json::array({"whitespace-change"}));
  ProcessResult md = RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--group"});
  EXPECT_NE(md.out.find("## Clerical changes"), std::string::npos) << md.out;
}

TEST(CliTest, NonUtf8TextFallsBackToBinary) {
  ScratchTree t;
  t.Write("a/latin1.txt", "caf\xe9\n");
  t.Write("b/latin1.txt", "caf\xe9s\n");
  Json cs = DiffJson(t);
  const Json* n = FindNode(cs["root"], "latin1.txt");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ((*n)["comparator"], "binary");
}

TEST(CliTest, EmptyFiles) {
  ScratchTree t;
  t.Write("a/empty.txt", "");
  t.Write("b/empty.txt", "now\n");
  t.Write("b/also-empty.txt", "");
  Json cs = DiffJson(t);
  const Json* n = FindNode(cs["root"], "empty.txt");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ((*n)["summary"], "1 line added, 0 removed");
  const Json* e = FindNode(cs["root"], "also-empty.txt");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["action"], "add");
}

TEST(CliTest, OddFileNames) {
  ScratchTree t;
  const std::vector<std::string> names = {
      "with space.txt", "new\nline.txt", "-leading-dash.txt", "ünïcödé-名前.txt", "--",
      "#hash*star_.md"};
  for (const std::string& name : names) t.Write("b/" + name, "x\n");
  t.Mkdir("a");
  Json cs = DiffJson(t);
  for (const std::string& name : names) {
    EXPECT_NE(FindNode(cs["root"], name), nullptr) << name;
  }
  // A snapshot named with a leading dash is still a path after "--".
  ProcessResult md = RunDeltascope({"diff", "--", (t / "a").string(), (t / "b").string()});
  EXPECT_EQ(md.exit_code, 1) << md.err;
  EXPECT_NE(md.out.find("new\\nline.txt"), std::string::npos) << md.out;
}

TEST(CliTest, SymlinksAreReportedNotFollowed) {
  ScratchTree t;
  t.Write("outside/secret.txt", "secret\n");
  t.Write("a/data.txt", "1\n");
  t.Write("b/data.txt", "1\n");
  ASSERT_EQ(::symlink("../outside/secret.txt", (t / "a/escape").c_str()), 0);
  ASSERT_EQ(::symlink("../outside", (t / "b/escape").c_str()), 0);
  ASSERT_EQ(::symlink("/etc", (t / "b/etc").c_str()), 0);
  Json cs = DiffJson(t);
  const Json* escape = FindNode(cs["root"], "escape");
  ASSERT_NE(escape, nullptr);
  EXPECT_EQ((*escape)["item_type"], "symlink");
  EXPECT_EQ((*escape)["summary"], "Link target changed: ../outside/secret.txt → ../outside");
  const Json* etc = FindNode(cs["root"], "etc");
  ASSERT_NE(etc, nullptr);
  EXPECT_FALSE(etc->contains("children"));  // /etc was not walked
  EXPECT_EQ(cs.dump().find("passwd"), std::string::npos);
}

TEST(CliTest, UnreadableFileGivesDiagnosticAndTheRestCompletes) {
  ScratchTree t;
  t.Write("a/locked.txt", "aaaa\n");
  t.Write("b/locked.txt", "bbbb\n");
  t.Write("a/fine.txt", "1\n");
  t.Write("b/fine.txt", "2\n");
  for (const char* p : {"a", "b", "a/fine.txt", "b/fine.txt"}) ::chmod((t / p).c_str(), 0755);
  ::chmod((t / "a/locked.txt").c_str(), 0);
  ::chmod((t / "b/locked.txt").c_str(), 0);
  RunOptions as_nobody;
  as_nobody.as_nobody = true;  // root reads anything: drop privileges to test permissions
  as_nobody.cwd = "/";
  ProcessResult r = RunDeltascope(
      {"diff", (t / "a").string(), (t / "b").string(), "--format", "json"}, as_nobody);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  Json cs = Json::parse(r.out);
  EXPECT_NE(FindNode(cs["root"], "fine.txt"), nullptr);
  ASSERT_TRUE(cs.contains("diagnostics"));
  EXPECT_EQ(cs["diagnostics"][0]["code"], "unreadable");
  EXPECT_EQ(cs["diagnostics"][0]["path"], "locked.txt");
  EXPECT_NE(cs["diagnostics"][0]["message"].get<std::string>().find("Permission denied"),
            std::string::npos);
}

TEST(CliTest, MissingSnapshotIsOneClearLine) {
  ScratchTree t;
  t.Mkdir("a");
  ProcessResult r = RunDeltascope({"diff", (t / "a").string(), (t / "nope").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, absl::StrCat("deltascope: snapshot ", (t / "nope").string(),
                                ": No such file or directory\n"));
}

TEST(CliTest, BadArgumentsExitTwo) {
  EXPECT_EQ(RunDeltascope({"diff", "only-one"}).exit_code, 2);
  EXPECT_EQ(RunDeltascope({"frobnicate"}).exit_code, 2);
  ScratchTree t;
  t.Mkdir("a");
  t.Mkdir("b");
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), "--comparators", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown comparator 'nope'"), std::string::npos) << r.err;
  ProcessResult help = RunDeltascope({"diff", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  ProcessResult version = RunDeltascope({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("deltascope "), std::string::npos);
}

TEST(CliTest, ComparatorSelectionKeepsFallbacks) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  t.Write("b/x.txt", "2\n");
  Json cs = DiffJson(t, {"--comparators", "binary"});
  const Json* n = FindNode(cs["root"], "x.txt");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ((*n)["comparator"], "binary");
}

TEST(CliTest, OutputsAndChangelogRoundTrip) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  t.Write("b/x.txt", "2\n");
  t.Write("c/x.txt", "3\n");
  const std::string json = (t / "out.json").string();
  const std::string md = (t / "out.md").string();
  const std::string forced = (t / "forced.txt").string();
  ProcessResult r =
      RunDeltascope({"diff", (t / "a").string(), (t / "b").string(), (t / "c").string(), "-o", json,
                     "-o", md, "-o", "json:" + forced});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");  // -o replaces standard output
  Json both = Json::parse(ReadFile(json));
  ASSERT_TRUE(both.is_array());
  EXPECT_EQ(both.size(), 2u);
  EXPECT_EQ(ReadFile(forced), ReadFile(json));
  std::string markdown = ReadFile(md);
  EXPECT_NE(markdown.find("# Changelog: " + (t / "a").string() + " → " + (t / "b").string()),
            std::string::npos);
  EXPECT_NE(markdown.find("# Changelog: " + (t / "b").string() + " → " + (t / "c").string()),
            std::string::npos);
  ProcessResult again = RunDeltascope({"changelog", json});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, markdown);
  ProcessResult rejson = RunDeltascope({"changelog", json, "--format", "json"});
  EXPECT_EQ(rejson.out, ReadFile(json));
  t.Write("bad.json", "{not json");
  ProcessResult bad = RunDeltascope({"changelog", (t / "bad.json").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.json: not valid JSON"), std::string::npos) << bad.err;
}

// A 10,000-file tree: identical trees give exit 0 and no root; any thread count gives the same
// bytes.
TEST(CliTest, TenThousandFilesDeterministicAcrossJobs) {
  ScratchTree t;
  for (int i = 0; i < 10000; ++i) {
    std::string rel = absl::StrCat("d", i % 37, "/e", i % 11, "/f", i, ".txt");
    std::string content = absl::StrCat("row ", i, "\n");
    t.Write("a/" + rel, content);
    t.Write("b/" + rel, i % 97 == 0 ? content + "extra\n" : content);
    if (i % 5 == 0) t.Write("same/" + rel, content);
  }
  for (int i = 0; i < 10000; i += 5) {
    t.Write(absl::StrCat("same2/d", i % 37, "/e", i % 11, "/f", i, ".txt"),
            absl::StrCat("row ", i, "\n"));
  }
  std::string reference;
  for (const char* jobs : {"1", "2", "8"}) {
    ProcessResult r = RunDeltascope(
        {"diff", (t / "a").string(), (t / "b").string(), "--format", "json", "--jobs", jobs});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    if (reference.empty()) {
      reference = r.out;
      EXPECT_GT(reference.size(), 1000u);
    } else {
      EXPECT_EQ(r.out, reference) << "jobs " << jobs;
    }
  }
  ProcessResult same =
      RunDeltascope({"diff", (t / "same").string(), (t / "same2").string(), "--format", "json"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_TRUE(Json::parse(same.out)["root"].is_null());
}

}  // namespace
}  // namespace deltascope::testing
