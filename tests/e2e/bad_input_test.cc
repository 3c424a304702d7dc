// The bad-input corpus: malformed manifests and configs, broken archives, pathological CSVs,
// very deep trees, symlink loops, special files, files that change under the diff, permission
// denied. Every case runs the real binary under the harness's timeout (a hang is a SIGKILL,
// which fails the no-signal check) and asserts the exact exit status, a one-line message naming
// the file and the reason, and that every changed path is still in the JSON output. Big or odd
// inputs are generated here, at run time, in a scratch folder.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "daemon/util/fd.h"
#include "tests/support/changeset_json.h"
#include "tests/support/checked_run.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Plugin manifests: the plugin is disabled with one line naming the manifest and the reason,
// the diff goes on, and the file it would have claimed is described by a built-in comparator.

struct BadManifest {
  std::string name;      // test name
  std::string manifest;  // text; $PLUGIN is the test plugin's path
  std::string expected;  // in the message; $FILE is the manifest's path
  // Found only when the plugin is first started (plugins start lazily): then the message is a
  // plugin-unavailable diagnostic on the item the plugin claimed, not a line on stderr.
  bool at_start = false;
};

class BadManifestTest : public ::testing::TestWithParam<BadManifest> {};

TEST_P(BadManifestTest, PluginIsDisabledWithOneClearMessageAndTheDiffGoesOn) {
  const BadManifest& c = GetParam();
  ScratchTree t;
  const std::string file = (t / "plugins/broken.plugin.yaml").string();
  t.Write("plugins/broken.plugin.yaml",
          absl::StrReplaceAll(c.manifest, {{"$PLUGIN", BinPath("deltascope-test-plugin")}}));
  t.Write("plugins/not-executable", "#!/bin/sh\n");
  t.Write("a/x.bad", "one\n");
  t.Write("b/x.bad", "two\n");
  ProcessResult raw;
  Json cs = DiffJson(t, 1, {"--plugin-dir", (t / "plugins").string()}, {}, &raw);
  const std::string expected = absl::StrReplaceAll(c.expected, {{"$FILE", file}});
  if (c.at_start) {
    EXPECT_EQ(raw.err, "");
    ExpectDiagnostic(cs, "plugin-unavailable", "x.bad", expected);
  } else {
    ExpectErrorLine(
        raw.err,
        absl::StrCat(" disabled: ", c.expected[0] == '$' ? "invalid manifest: " : "", expected));
  }
  ExpectReported(cs, {"x.bad"});
  EXPECT_EQ(NodesByPath(cs)["x.bad"]["comparator"], "text");  // the built-in fallback

  ProcessResult check = RunChecked({"plugins", "check", "--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find(expected), std::string::npos) << check.out << check.err;
}

constexpr char kComparators[] = "comparators:\n  - name: bad\n    extensions: [.bad]\n";

std::string Manifest(const std::string& head, const std::string& tail = kComparators) {
  return absl::StrCat("name: broken\nversion: 1.0\n", head, tail);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BadManifestTest,
    ::testing::Values(
        BadManifest{"YamlSyntaxError", "name: broken\nversion: [1.0\ncommand: x\n",
                    "$FILE:3: malformed YAML"},
        BadManifest{"ListWhereAStringBelongs", Manifest("command: [$PLUGIN]\n"),
                    "$FILE:3: 'command' must be a string"},
        BadManifest{
            "StringWhereAListBelongs",
            Manifest("command: $PLUGIN\n", "comparators:\n  - name: bad\n    extensions: .bad\n"),
            "$FILE:6: 'extensions' must be a list"},
        BadManifest{"MapWhereANumberBelongs", Manifest("command: $PLUGIN\nprotocol: {v: 1}\n"),
                    "$FILE:4: 'protocol' must be a whole number"},
        BadManifest{"NotABoolean",
                    Manifest("command: $PLUGIN\n",
                             "comparators:\n  - name: bad\n    handles_identical: maybe\n"),
                    "$FILE:6: 'handles_identical' must be true or false"},
        BadManifest{"MissingCommand", Manifest(""), "$FILE:1: missing required key 'command'"},
        BadManifest{"DeepNesting",
                    absl::StrCat("name: broken\nversion: ", std::string(50000, '['),
                                 std::string(50000, ']'), "\n"),
                    "$FILE:"},
        BadManifest{"UnknownProtocolVersion", Manifest("command: $PLUGIN\nprotocol: 99\n"),
                    "incompatible protocol version 99 in the manifest (this host speaks 1)"},
        BadManifest{"CommandMissingOnDisk", Manifest("command: /nonexistent/deltascope-plugin\n"),
                    "executable /nonexistent/deltascope-plugin is missing", true},
        BadManifest{"CommandNotExecutable", Manifest("command: ./not-executable\n"),
                    "plugins/not-executable is not executable", true},
        BadManifest{
            "Sha256Mismatch",
            Manifest(absl::StrCat("command: $PLUGIN\nsha256: ", std::string(64, '0'), "\n")),
            "checksum mismatch for ", true},
        BadManifest{"EmptyFile", "", "$FILE:1: the manifest must be a mapping"},
        BadManifest{"BinaryGarbage",
                    std::string("\x7f"
                                "ELF\x02\x01\x01\0\0\0\xff\xfe",
                                12),  // the literal's 12 bytes, NULs included
                    "$FILE:"},
        BadManifest{"NotAMapping", "- just\n- a list\n",
                    "$FILE:1: the manifest must be a mapping"}),
    [](const ::testing::TestParamInfo<BadManifest>& info) { return info.param.name; });

TEST(BadManifestTest, ManifestThatIsAFolder) {
  ScratchTree t;
  t.Mkdir("plugins/folder.plugin.yaml");
  t.Write("a/x.bad", "one\n");
  t.Write("b/x.bad", "two\n");
  ProcessResult raw;
  Json cs = DiffJson(t, 1, {"--plugin-dir", (t / "plugins").string()}, {}, &raw);
  ExpectErrorLine(raw.err, absl::StrCat((t / "plugins/folder.plugin.yaml").string(),
                                        ": not a regular file (a folder)"));
  ExpectReported(cs, {"x.bad"});
}

// The checksum is the one of the file execve() runs: a command reached through a link (say
// /usr/bin/python3 -> python3.11) used to be refused ("Too many levels of symbolic links").
TEST(BadManifestTest, Sha256OfALinkedCommandIsTheChecksumOfItsTarget) {
  ScratchTree t;
  ProcessResult sum = RunProcess({"/usr/bin/sha256sum", BinPath("deltascope-test-plugin")});
  ASSERT_EQ(sum.exit_code, 0) << sum.err;
  ASSERT_EQ(::symlink(BinPath("deltascope-test-plugin").c_str(), (t / "linked-plugin").c_str()), 0);
  t.Write("plugins/linked.plugin.yaml",
          Manifest(absl::StrCat("command: ", (t / "linked-plugin").string(),
                                "\nsha256: ", sum.out.substr(0, 64), "\nsandbox: off\n")));
  t.Write("a/x.bad", "one\n");
  t.Write("b/x.bad", "two\n");
  Json cs = DiffJson(t, 1, {"--plugin-dir", (t / "plugins").string()});
  EXPECT_EQ(NodesByPath(cs)["x.bad"]["comparator"], "bad") << cs.dump(1);
}

// ---------------------------------------------------------------------------------------------
// Config files: exit 2, nothing on stdout, one line "deltascope: FILE[:LINE]: reason".

struct BadConfig {
  std::string name;
  std::string text;
  std::string expected;  // in the message, after "deltascope: FILE:"
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, OneLineNamingTheFileExitTwo) {
  const BadConfig& c = GetParam();
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  t.Write("b/x.txt", "2\n");
  t.Write("c.yaml", c.text);
  ProcessResult r = RunChecked(
      {"diff", (t / "a").string(), (t / "b").string(), "--config", (t / "c.yaml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind(absl::StrCat("deltascope: ", (t / "c.yaml").string(), ":"), 0), 0u)
      << r.err;
  EXPECT_NE(r.err.find(c.expected), std::string::npos) << "expected: " << c.expected << "\n"
                                                       << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BadConfigTest,
    ::testing::Values(
        BadConfig{"UnclosedFlowList", "comparators: [text, csv\nmoves: true\n",
                  ":2: malformed YAML: end of sequence flow not found"},
        BadConfig{"TabIndentation", "output:\n\tformat: json\n", ":2: malformed YAML"},
        BadConfig{"WrongTypeList", "moves: [true]\n", ":1: 'moves' must be true or false"},
        BadConfig{"WrongTypeMap", "tables: {path: x, key: id}\n", ":1: 'tables' must be"},
        BadConfig{"NumberOutOfRange", "archives:\n  max_depth: 100000000000000000000\n",
                  ":2: 'max_depth'"},
        BadConfig{"NotAMapping", "- a\n- b\n", ":1: "},
        BadConfig{"BinaryGarbage", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 18), ": "},
        BadConfig{"DeepNesting", std::string(100000, '[') + std::string(100000, ']') + "\n",
                  "malformed YAML: nested more than "}),
    [](const ::testing::TestParamInfo<BadConfig>& info) { return info.param.name; });

TEST(BadConfigTest, ConfigThatIsAFolder) {
  ScratchTree t;
  t.Write("a/x.txt", "1\n");
  t.Write("b/x.txt", "2\n");
  t.Mkdir("c.yaml");
  ProcessResult r = RunChecked(
      {"diff", (t / "a").string(), (t / "b").string(), "--config", (t / "c.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind(absl::StrCat("deltascope: ", (t / "c.yaml").string(),
                                     ": cannot read the config file: "),
                        0),
            0u)
      << r.err;
}

// ---------------------------------------------------------------------------------------------
// Archives that are not what their names say (tests/vectors/archive-corrupt and
// archive_safety_test.cc cover a corrupt deflate stream, a truncated tar.gz, bombs and nesting).
// Each is reported, compared as binary, with a diagnostic naming it and the reason.

constexpr char kMakeArchives[] = R"(
import io, sys, tarfile, zipfile
out = sys.argv[1]
def zip_of(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()
whole = zip_of([('m%d.txt' % i, ('member %d\n' % i) * 200) for i in range(20)])
open(out + '/a/cut.zip', 'wb').write(whole)
open(out + '/b/cut.zip', 'wb').write(whole[: len(whole) // 2])  # no central directory
open(out + '/b/headers-only.zip', 'wb').write(b'PK\x03\x04' + bytes(200))
# A tar whose link points out of the archive, then a member written "through" that link.
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as t:
    link = tarfile.TarInfo('etc-link'); link.type = tarfile.SYMTYPE; link.linkname = '/etc'
    t.addfile(link)
    up = tarfile.TarInfo('up-link'); up.type = tarfile.SYMTYPE; up.linkname = '../../../../..'
    t.addfile(up)
    data = b'pwned\n'
    through = tarfile.TarInfo('etc-link/deltascope-pwned'); through.size = len(data)
    t.addfile(through, io.BytesIO(data))
open(out + '/b/links.tar', 'wb').write(buf.getvalue())
)";

TEST(BadArchiveTest, CorruptTruncatedAndMislabelledArchivesAreReported) {
  ScratchTree t;
  t.Mkdir("a");
  t.Mkdir("b");
  Python(kMakeArchives, {t.root().string()});
  t.Write("a/empty.zip", "");
  t.Write("b/empty.zip", "x");
  t.Write("a/text.tar.gz", "just some text\n");
  t.Write("b/text.tar.gz", "just other text\n");
  t.Write("a/gzip-of-garbage.tgz", std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10) + "garbage");
  t.Write("b/gzip-of-garbage.tgz", std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10) + "rubbish!");
  ProcessResult raw;
  Json cs = DiffJson(t, 1, {}, {}, &raw);
  ExpectReported(cs,
                 {"cut.zip", "headers-only.zip", "empty.zip", "text.tar.gz", "gzip-of-garbage.tgz",
                  "links.tar", "links.tar/etc-link", "links.tar/up-link"});
  for (const char* path : {"cut.zip", "empty.zip", "text.tar.gz", "gzip-of-garbage.tgz"}) {
    SCOPED_TRACE(path);
    const std::string comparator = NodesByPath(cs)[path]["comparator"];
    EXPECT_TRUE(comparator == "binary" || comparator == "text") << comparator;  // a fallback
    ExpectDiagnostic(cs, "archive-corrupt", path, absl::StrCat("cannot read archive ", path));
  }
  // The links are reported as links, never followed: nothing was written or read through them.
  EXPECT_EQ(NodesByPath(cs)["links.tar/etc-link"]["item_type"], "symlink");
  EXPECT_FALSE(std::filesystem::exists("/etc/deltascope-pwned"));
  EXPECT_EQ(cs.dump().find("root:x:0"), std::string::npos);
  ExpectDiagnostic(cs, "archive-unsafe-member", "links.tar", "etc-link/deltascope-pwned");
}

// ---------------------------------------------------------------------------------------------
// Pathological CSVs: each is reported (as a table, or as text/binary when it is not one), in
// bounded time, without a crash.

TEST(BadCsvTest, PathologicalTablesAreReported) {
  ScratchTree t;
  // 10 MB on one line, no newline at all.
  std::string line;
  line.reserve(10u << 20);
  while (line.size() < (10u << 20)) line += "abcdefgh,";
  t.Write("a/one-line.csv", line);
  t.Write("a/one-field.csv", std::string(10u << 20, 'x'));
  t.Write("b/one-field.csv", std::string(10u << 20, 'y'));
  line.back() = 'X';
  t.Write("b/one-line.csv", line);
  // 100,000 columns.
  std::string header, row;
  for (int i = 0; i < 100000; ++i) {
    absl::StrAppend(&header, i ? "," : "", "c", i);
    absl::StrAppend(&row, i ? "," : "", i);
  }
  t.Write("a/wide.csv", absl::StrCat(header, "\n", row, "\n", row, "\n"));
  t.Write("b/wide.csv", absl::StrCat(header, "\n", row, "\n", row, ",extra\n"));
  t.Write("a/ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9,10\n\n,\n");
  t.Write("b/ragged.csv", "a,b,c\n1,2,3\n4\n6,7,8,9,10,11\n\n,,\n");
  t.Write("a/nul.csv", std::string("a,b\n1,\0\0\n2,x\0y\n", 15));
  t.Write("b/nul.csv", std::string("a,b\n1,\0\0\n2,x\0z\n", 15));
  t.Write("a/undecodable.csv", "name,city\n\xff\xfe\x80,\xc3\x28\n\xed\xa0\x80,ok\n");
  t.Write("b/undecodable.csv", "name,city\n\xff\xfe\x81,\xc3\x28\n\xed\xa0\x80,ok\n");
  t.Write("a/quote-never-closed.csv", "a,b\n1,\"open\n2,3\n");
  t.Write("b/quote-never-closed.csv", "a,b\n1,\"open\n2,4\n");
  Json cs = DiffJson(t, 1);
  ExpectReported(cs, {"one-line.csv", "one-field.csv", "wide.csv", "ragged.csv", "nul.csv",
                      "undecodable.csv", "quote-never-closed.csv"});
}

// ---------------------------------------------------------------------------------------------
// Trees: 1,000 levels deep, symlink loops and links out of the snapshot, special files.

TEST(BadTreeTest, ThousandLevelsDeepLocallyAndThroughTheDaemon) {
  ScratchTree t;
  const std::string changed = MakeDeep(t, "a", "d", 1000, "old\n");
  MakeDeep(t, "b", "d", 1000, "new\n");
  const std::string added = MakeDeep(t, "b", "n", 1000, "brand new\n");
  ProcessResult local;
  Json cs = DiffJson(t, 1, {}, {}, &local);
  ExpectReported(cs, {changed, added, "n"});
  t.Write("deep.json", local.out);
  ProcessResult markdown = RunChecked({"diff", (t / "a").string(), (t / "b").string()});
  EXPECT_EQ(markdown.exit_code, 1) << markdown.err;
  ProcessResult changelog = RunChecked({"changelog", (t / "deep.json").string()});
  EXPECT_EQ(changelog.out, markdown.out) << changelog.err;

  // Through the daemon: a tree deeper than a gRPC client can parse is one clear error (it used
  // to leave the client waiting forever); one a little shallower comes back byte-identical.
  TestDaemon daemon(t / "d.sock");
  ProcessResult deep =
      RunChecked({"diff", (t / "a").string(), (t / "b").string(), "--daemon", daemon.target()});
  EXPECT_EQ(deep.exit_code, 2);
  ExpectErrorLine(deep.err, "is nested more than 88 levels deep");
  ScratchTree shallow;
  MakeDeep(shallow, "a", "d", 80, "old\n");
  MakeDeep(shallow, "b", "d", 80, "new\n");
  ProcessResult here;
  DiffJson(shallow, 1, {}, {}, &here);
  ProcessResult remote;
  DiffJson(shallow, 1, {"--daemon", daemon.target()}, {}, &remote);
  EXPECT_EQ(remote.out, here.out);
}

// File names and link targets are bytes, not UTF-8: names are escaped (\xHH, docs/changeset.md)
// so two names differing only in invalid bytes stay distinct; link targets show U+FFFD. The
// daemon (whose protobuf strings must be UTF-8) used to leave its client waiting forever.
TEST(BadTreeTest, NamesThatAreNotUtf8LocallyAndThroughTheDaemon) {
  ScratchTree t;
  const std::string odd =
      "\xff"
      "bad\xfe.txt";
  t.Write("a/" + odd, "1\n");
  t.Write("b/" + odd, "2\n");
  t.Write("a/x\xfe.txt", "1\n");  // differ from "x\xff.txt" only in an invalid byte
  t.Write("b/x\xff.txt", "2\n");
  t.Write("a/cells.csv", "name,city\n\xff\xfe\x80,x\n");
  t.Write("b/cells.csv", "name,city\n\xff\xfe\x81,x\n");
  ASSERT_EQ(::symlink("/tmp/x", (t / "a/link").c_str()), 0);
  ASSERT_EQ(::symlink("/tmp/\xff\xfe", (t / "b/link").c_str()), 0);
  ProcessResult local;
  Json cs = DiffJson(t, 1, {}, {}, &local);
  ExpectReported(cs, {"\\xffbad\\xfe.txt", "x\\xfe.txt", "x\\xff.txt", "cells.csv", "link"});
  TestDaemon daemon(t / "d.sock");
  ProcessResult remote;
  DiffJson(t, 1, {"--daemon", daemon.target()}, {}, &remote);
  EXPECT_EQ(remote.out, local.out);
}

// Past PATH_MAX (4,096 bytes) entries cannot be lstat'ed by path, but they are walked relative
// to their open folder: the change at the bottom is reported, never "no change".
TEST(BadTreeTest, PathsLongerThanPathMaxAreStillCompared) {
  ScratchTree t;
  const std::string name(250, 'x');
  const std::string leaf = MakeDeep(t, "a", name, 20, "old\n");
  MakeDeep(t, "b", name, 20, "new\n");
  Json cs = DiffJson(t, 1);
  ExpectReported(cs, {leaf});
}

// A changeset over gRPC's default 4 MiB message cap (cheaply: 600 links with 4,000-byte
// targets) used to be refused by the client ("Received message larger than max").
TEST(BadTreeTest, ChangesetOverFourMebibytesThroughTheDaemon) {
  ScratchTree t;
  t.Mkdir("a");
  t.Mkdir("b");
  for (int i = 0; i < 600; ++i) {
    for (const char* side : {"a", "b"}) {
      const std::string target = absl::StrCat(side, "/", std::string(4000, 'x'));
      ASSERT_EQ(::symlink(target.c_str(), (t / side / absl::StrCat("link", i)).c_str()), 0);
    }
  }
  ProcessResult local;
  DiffJson(t, 1, {}, {}, &local);
  ASSERT_GT(local.out.size(), 8u << 20);
  TestDaemon daemon(t / "d.sock");
  ProcessResult remote;
  DiffJson(t, 1, {"--daemon", daemon.target()}, {}, &remote);
  EXPECT_TRUE(remote.out == local.out) << remote.err;
}

TEST(BadTreeTest, SymlinkLoopsAndLinksOutOfTheSnapshotAreNeverFollowed) {
  ScratchTree t;
  t.Write("outside/secret.txt", "TOP-SECRET\n");
  for (const char* side : {"a", "b"}) {
    t.Write(absl::StrCat(side, "/x.txt"), side);
    const std::filesystem::path dir = t / side;
    ASSERT_EQ(::symlink("loop2", (dir / "loop1").c_str()), 0);
    ASSERT_EQ(::symlink("loop1", (dir / "loop2").c_str()), 0);
    ASSERT_EQ(::symlink("self", (dir / "self").c_str()), 0);
    ASSERT_EQ(::symlink("..", (dir / "up").c_str()), 0);
    ASSERT_EQ(::symlink(".", (dir / "here").c_str()), 0);
    ASSERT_EQ(::symlink("/", (dir / "root").c_str()), 0);
  }
  ASSERT_EQ(::symlink("../outside/secret.txt", (t / "b/secret.txt").c_str()), 0);
  ASSERT_EQ(::symlink("../outside", (t / "b/outside.csv").c_str()), 0);
  ::unlink((t / "b/self").c_str());
  ASSERT_EQ(::symlink("self-again", (t / "b/self").c_str()), 0);
  Json cs = DiffJson(t, 1);
  ExpectReported(cs, {"x.txt", "self", "secret.txt", "outside.csv"});
  EXPECT_EQ(NodesByPath(cs)["secret.txt"]["item_type"], "symlink");
  EXPECT_EQ(NodesByPath(cs)["outside.csv"]["item_type"], "symlink");
  for (const char* unchanged : {"loop1", "loop2", "up", "here", "root"}) {
    EXPECT_EQ(NodesByPath(cs).count(unchanged), 0u) << unchanged;
  }
  EXPECT_EQ(cs.dump().find("TOP-SECRET"), std::string::npos);

  // A snapshot named through a link loop is one clear line.
  ProcessResult r = RunChecked({"diff", (t / "a/loop1").string(), (t / "b").string()});
  EXPECT_EQ(r.exit_code, 2);
  ExpectErrorLine(r.err, absl::StrCat("snapshot ", (t / "a/loop1").string(), ": "));
  ExpectErrorLine(r.err, "Too many levels of symbolic links");
}

TEST(BadTreeTest, FifosAndSocketsAreComparedByKindNeverOpened) {
  ScratchTree t;
  t.Mkdir("a");
  t.Mkdir("b");
  for (const char* p : {"a/pipe", "b/pipe", "a/pipe-to-file.csv", "b/file-to-pipe.txt"}) {
    ASSERT_EQ(::mkfifo((t / p).c_str(), 0644), 0) << p;
  }
  t.Write("b/pipe-to-file.csv", "a,b\n1,2\n");
  t.Write("a/file-to-pipe.txt", "text\n");
  Json cs = DiffJson(t, 1);
  ExpectReported(cs, {"pipe-to-file.csv", "file-to-pipe.txt"});
  EXPECT_EQ(NodesByPath(cs).count("pipe"), 0u);
}

// ---------------------------------------------------------------------------------------------
// Files that vanish or change while the diff runs. Deterministic: with --jobs 1 the entries of a
// folder are compared in name order, and the first one ("0.bad") is claimed by a test plugin
// that runs a script changing the rest of the right snapshot, after it was listed and before it
// is read.

constexpr char kMutate[] = R"(
set -e
cd "$B"
rm vanish.txt                                    # listed, then gone before it is hashed
rm fifo.txt && mkfifo fifo.txt                   # a file that becomes a FIFO: must not block
rm dir-now.txt && mkdir dir-now.txt              # becomes a folder
rm link-now.txt && ln -s /etc/passwd link-now.txt  # becomes a link out: must not be read
printf 'grown, longer content\n' > grow.txt      # changes content and size
rm -r gone                                       # a whole folder vanishes
rm moved.txt                                     # the added side of a move vanishes
)";

TEST(BadTreeTest, FilesThatVanishOrChangeDuringTheDiff) {
  ScratchTree t;
  t.Write("plugins/script.plugin.yaml",
          absl::StrCat("name: script\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
                       "\nenv: {BAD_MODE: script, B: ", (t / "b").string(),
                       "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\nsandbox: off\n"));
  t.Write("plugins/mutate.sh", kMutate);
  t.Write("a/0.bad", "one\n");
  t.Write("b/0.bad", "two\n");
  for (const char* name : {"vanish.txt", "fifo.txt", "dir-now.txt", "link-now.txt"}) {
    t.Write(absl::StrCat("a/", name), "left\n");
    t.Write(absl::StrCat("b/", name), "rite\n");  // equal size: both sides are hashed
  }
  t.Write("a/grow.txt", "short\n");
  t.Write("b/grow.txt", "longer\n");
  t.Write("a/gone/inner.txt", "1\n");
  t.Write("b/gone/inner.txt", "2\n");
  t.Write("a/moving.txt", "moving content\n");
  t.Write("b/moved.txt", "moving content\n");
  RunOptions env;
  env.extra_env = {absl::StrCat("BAD_SCRIPT=/bin/sh ", (t / "plugins/mutate.sh").string())};
  Json cs = DiffJson(t, 2, {"--plugin-dir", (t / "plugins").string(), "--jobs", "1"}, env);
  ExpectReported(cs, {"0.bad", "grow.txt", "moving.txt"});
  EXPECT_EQ(NodesByPath(cs)["0.bad"]["comparator"], "bad");  // the script did run
  // What could not be read is named, with the reason, in a diagnostic on its path.
  ExpectDiagnostic(cs, "unreadable", "vanish.txt", "No such file or directory");
  ExpectDiagnostic(cs, "unreadable", "fifo.txt", "not a regular file");
  ExpectDiagnostic(cs, "unreadable", "dir-now.txt", "not a regular file");
  ExpectDiagnostic(cs, "unreadable", "link-now.txt", "not a regular file");
  ExpectDiagnostic(cs, "unreadable", "gone", "cannot list");
  EXPECT_EQ(cs.dump().find("root:x:0"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Permission denied. Root reads anything: then the CLI runs as nobody (RunOptions::as_nobody).

TEST(BadTreeTest, PermissionDeniedIsNamedAndTheRestIsReported) {
  ScratchTree t;
  t.Write("a/open.txt", "1\n");
  t.Write("b/open.txt", "2\n");
  t.Write("a/locked/inner.txt", "1\n");
  t.Write("b/locked/inner.txt", "2\n");
  t.Write("a/table.csv", "a\n1\n");
  t.Write("b/table.csv", "a\n1\n2\n");  // different sizes: goes to the csv comparator
  t.Write("b/added-secret.txt", "new\n");
  t.Write("a/data.zip", "PK");
  t.Write("b/data.zip", "PK\x03");
  for (const char* p : {"a", "b", "a/locked", "a/locked/inner.txt", "a/open.txt", "b/open.txt",
                        "b/locked/inner.txt", "a/table.csv", "a/data.zip"}) {
    std::filesystem::permissions(t / p, std::filesystem::perms::all);
  }
  for (const char* p : {"b/locked", "b/table.csv", "b/added-secret.txt", "b/data.zip"}) {
    std::filesystem::permissions(t / p, std::filesystem::perms::none);
  }
  RunOptions options;
  options.as_nobody = true;  // only takes effect when running as root
  options.cwd = "/";
  Json cs = DiffJson(t, 2, {}, options);
  ExpectReported(cs, {"open.txt", "table.csv", "added-secret.txt", "data.zip"});
  ExpectDiagnostic(cs, "unreadable", "locked", "Permission denied");
  ExpectDiagnostic(cs, "unreadable", "locked", (t / "b/locked").string());

  // An unreadable snapshot root is fatal: the error alone, exit 2, no changelog beside it.
  std::filesystem::permissions(t / "b", std::filesystem::perms::none);
  ProcessResult root = RunDeltascope({"diff", (t / "a").string(), (t / "b").string()}, options);
  std::filesystem::permissions(t / "b", std::filesystem::perms::all);
  EXPECT_EQ(root.exit_code, 2) << root.err;
  EXPECT_EQ(root.out, "");
  EXPECT_TRUE(absl::StrContains(
      root.err, absl::StrCat("cannot list ", (t / "b").string(), ": Permission denied")))
      << root.err;
}

}  // namespace
}  // namespace deltascope::testing
