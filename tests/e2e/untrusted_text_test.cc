// What a plugin says reaches the user escaped (docs/security.md, "Untrusted text"): a real plugin
// process (tests/plugins/echo_plugin.cc) puts fake Markdown structure, clear-screen, window
// title (OSC 0), clipboard (OSC 52), C1 and bidi controls in its summary, its error message,
// its stderr before a crash and its stdout/stderr lines. The Markdown changelog gets no
// injected line and no control character, nor does the terminal (stderr with --plugin-logs,
// `plugins` output), nor the daemon's log, whose lines stay one JSON object each; the JSON
// changeset keeps the exact strings. Sandboxed (standard, strict) and not (off: the control
// that the attack really reaches the output).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

const std::string kAttack =
    "ok\n# Fake heading\n- fake item\n\x1b[2J\x1b]0;pwned title\x07\x1b]52;c;cHduZWQ=\x07"
    "\xe2\x80\xae"
    "evil\xe2\x81\xa6 \xc2\x9b"
    "31m end";
// The attack's last line as the escaper shows it.
const std::string kShownLastLine =
    "\\x1b[2J\\x1b]0;pwned title\\x07\\x1b]52;c;cHduZWQ=\\x07\\u202eevil\\u2066 \\u009b31m end";

// A raw ESC, C1 control or bidi override: what must never reach a terminal or the Markdown.
bool HasRawControl(const std::string& s) {
  return absl::StrContains(s, "\x1b") || absl::StrContains(s, "\x07") ||
         absl::StrContains(s, "\xc2\x9b") || absl::StrContains(s, "\xe2\x80\xae") ||
         absl::StrContains(s, "\xe2\x81\xa6");
}

// Every line of `markdown` is one the renderer writes: no heading or list item was injected.
// A text's changed lines sit in a fenced diff block under their bullet ("  ```diff" ... "  ```"),
// each "  @@", "  -" or "  +".
void ExpectOnlyRendererLines(const std::string& markdown) {
  std::string fence;  // the open fence, "" outside one
  for (absl::string_view line : absl::StrSplit(markdown, '\n')) {
    if (fence.empty() && absl::StartsWith(line, "  ```") && absl::EndsWith(line, "diff")) {
      fence = std::string(line.substr(0, line.size() - 4));
      continue;
    }
    if (!fence.empty()) {
      if (line == fence) {
        fence.clear();
      } else {
        EXPECT_TRUE(absl::StartsWith(line, "  @@ ") || absl::StartsWith(line, "  -") ||
                    absl::StartsWith(line, "  +"))
            << "injected line in a diff block: " << line;
      }
      continue;
    }
    EXPECT_TRUE(line.empty() || absl::StartsWith(line, "# Changelog: ") ||
                absl::StartsWith(line, "  (excerpt cut") || absl::StartsWith(line, "## ") ||
                absl::StartsWith(line, "- **") || absl::StartsWith(line, "- warning (") ||
                absl::StartsWith(line, "- error ("))
        << "injected line: " << line;
  }
  EXPECT_EQ(fence, "") << "a diff block was left open";
}

// A manifest for the echo plugin saying `mode`, in t/plugins/.
void WriteManifest(const ScratchTree& t, const std::string& name, const std::string& mode,
                   const std::string& extra = "") {
  t.Write(absl::StrCat("plugins/", name, ".plugin.yaml"),
          absl::StrCat("name: ", name, "\nversion: 1.0\nprotocol: 1\ncommand: ",
                       BinPath("deltascope-echo-plugin"), "\nenv: {ECHO_MODE: ", mode, extra,
                       "}\ncomparators:\n  - name: echo\n    extensions: [.echo]\n",
                       "limits: {startup_timeout: 10s, call_timeout: 10s, max_instances: 1}\n"));
}

const Json* FindChild(const Json& changeset, const std::string& path) {
  if (!changeset.contains("root") || !changeset["root"].contains("children")) return nullptr;
  for (const Json& child : changeset["root"]["children"]) {
    if (child["path"] == path) return &child;
  }
  return nullptr;
}

// Only this test's plugins: none of the machine's user plugins.
RunOptions Isolated(const ScratchTree& t) {
  RunOptions options;
  options.extra_env = {absl::StrCat("XDG_CONFIG_HOME=", (t / "xdg").string()),
                       "DELTASCOPE_PLUGIN_PATH="};
  return options;
}

class UntrustedTextTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(UntrustedTextTest, MarkdownAndTerminalGetEscapesJsonGetsTheExactString) {
  const auto& [mode, sandbox] = GetParam();
  ScratchTree t;
  const std::string name = absl::StrCat("echo-", mode);
  WriteManifest(t, name, mode);
  t.Write("a/x.echo", "old\n");
  t.Write("b/x.echo", kAttack);
  const std::string json_file = (t / "out.json").string();
  ProcessResult r = RunDeltascope(
      {"diff", (t / "a").string(), (t / "b").string(), "--plugin-dir", (t / "plugins").string(),
       "--sandbox", sandbox, "--plugin-logs", "--jobs", "1", "-o", "json:" + json_file, "-o", "-"},
      Isolated(t));
  ASSERT_EQ(r.exit_code, 1) << r.err;

  // JSON: the exact string, wherever the plugin put it.
  Json cs = Json::parse(ReadFile(json_file));
  const Json* item = FindChild(cs, "x.echo");
  ASSERT_NE(item, nullptr) << cs.dump();
  if (mode == "summary") {
    ASSERT_EQ((*item)["comparator"], "echo") << cs.dump();
    EXPECT_EQ((*item)["summary"], kAttack);
    EXPECT_EQ((*item)["details"]["text"], kAttack);
  } else {
    ASSERT_TRUE(cs.contains("diagnostics")) << cs.dump();
    const Json& d = cs["diagnostics"][0];
    EXPECT_EQ(d["code"], mode == "crash" ? "plugin-crash" : "plugin-error") << d.dump();
    const std::string message = d["message"];
    if (mode == "error") {
      EXPECT_TRUE(absl::StrContains(message, kAttack)) << d.dump();
    } else {  // stderr is quoted line by line
      EXPECT_TRUE(absl::StrContains(message, "# Fake heading | - fake item | \x1b[2J")) << d.dump();
      EXPECT_TRUE(absl::StrContains(message, "\x1b]52;c;cHduZWQ=\x07")) << d.dump();
    }
  }

  // Markdown on stdout: the attack is there, shown, and inert.
  SCOPED_TRACE(r.out);
  EXPECT_FALSE(HasRawControl(r.out));
  ExpectOnlyRendererLines(r.out);
  EXPECT_TRUE(
      absl::StrContains(r.out, "\\x1b\\[2J\\x1b\\]0;pwned title\\x07\\x1b\\]52;c;cHduZWQ=\\x07"));
  EXPECT_TRUE(absl::StrContains(r.out, "\\u202eevil\\u2066 \\u009b31m end"));

  // Standard error: what the plugin printed, shown line by line, escaped.
  SCOPED_TRACE(r.err);
  EXPECT_FALSE(HasRawControl(r.err));
  if (mode == "error") return;  // it printed nothing
  const std::string prefix = absl::StrCat("[", name, "#0 stderr] ");
  EXPECT_TRUE(absl::StrContains(r.err, prefix + "# Fake heading\n"));
  EXPECT_TRUE(absl::StrContains(r.err, prefix + kShownLastLine + "\n"));
  if (mode == "summary") {
    EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("[", name, "#0 stdout] ", kShownLastLine)));
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, UntrustedTextTest,
                         ::testing::Combine(::testing::Values("summary", "error", "crash"),
                                            ::testing::Values("off", "standard", "strict")),
                         [](const auto& info) {
                           return absl::StrCat(std::get<0>(info.param), "_",
                                               std::get<1>(info.param));
                         });

TEST(UntrustedTextDaemonTest, LogLinesStayOneJsonObjectEach) {
  ScratchTree t;
  WriteManifest(t, "echo-summary", "summary");
  t.Write("a/x.echo", "old\n");
  t.Write("b/x.echo", kAttack);
  TestDaemon daemon(t / "d.sock", {"--plugin-dir", (t / "plugins").string()}, Isolated(t));
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  ProcessResult r = RunDeltascope(
      {"diff", (t / "a").string(), (t / "b").string(), "--daemon", daemon.target()}, Isolated(t));
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_FALSE(HasRawControl(r.out)) << r.out;
  ExpectOnlyRendererLines(r.out);

  // The plugin's lines are logged as they are read; wait for its last one.
  const std::string last_line = kAttack.substr(kAttack.rfind('\n') + 1);
  auto logged_lines = [&] {
    std::vector<Json> lines;
    for (absl::string_view line : absl::StrSplit(daemon.process().Stderr(), '\n')) {
      if (line.empty()) continue;
      Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      EXPECT_FALSE(j.is_discarded()) << "not one JSON object: " << line;
      if (!j.is_discarded()) lines.push_back(std::move(j));
    }
    return lines;
  };
  auto count_attack_lines = [&](const std::vector<Json>& lines) {
    int n = 0;
    for (const Json& j : lines) n += j.value("msg", "") == last_line ? 1 : 0;
    return n;
  };
  std::vector<Json> lines;
  WaitUntil([&] {  // stdout and stderr
    lines = logged_lines();
    return count_attack_lines(lines) >= 2;
  });
  EXPECT_EQ(count_attack_lines(lines), 2) << daemon.process().Stderr();
  EXPECT_FALSE(HasRawControl(daemon.process().Stderr())) << daemon.process().Stderr();
}

TEST(UntrustedTextCliTest, PluginsListInspectAndCheckShowEscapes) {
  ScratchTree t;
  // A manifest whose version is an attack; a plugin whose error message is one.
  WriteManifest(t, "echo-hex", "error",
                absl::StrCat(", ECHO_TEXT_HEX: \"", absl::BytesToHexString(kAttack), "\""));
  std::string manifest = ReadFile(t / "plugins/echo-hex.plugin.yaml");
  absl::StrReplaceAll({{"version: 1.0", "version: \"1.0\\e]0;pwned\\a\\n# Fake heading\\u202E\""}},
                      &manifest);
  t.Write("plugins/echo-hex.plugin.yaml", manifest);
  const std::string shown_version = "1.0\\x1b]0;pwned\\x07\\n# Fake heading\\u202e";
  const std::string dir = (t / "plugins").string();

  ProcessResult list = RunDeltascope({"plugins", "list", "--plugin-dir", dir}, Isolated(t));
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_FALSE(HasRawControl(list.out + list.err)) << list.out;
  EXPECT_TRUE(absl::StrContains(list.out, "echo-hex " + shown_version + " [")) << list.out;

  ProcessResult inspect =
      RunDeltascope({"plugins", "inspect", "echo-hex", "--plugin-dir", dir}, Isolated(t));
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_FALSE(HasRawControl(inspect.out + inspect.err)) << inspect.out;
  EXPECT_TRUE(absl::StrContains(inspect.out, "\nversion: " + shown_version + "\n")) << inspect.out;

  ProcessResult check =
      RunDeltascope({"plugins", "check", "echo-hex", "--plugin-dir", dir}, Isolated(t));
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_FALSE(HasRawControl(check.out + check.err)) << check.out;
  EXPECT_TRUE(absl::StrContains(check.out, "FAIL echo-hex: probe compare (echo): ")) << check.out;
  EXPECT_TRUE(absl::StrContains(check.out, "ok\\n# Fake heading\\n- fake item\\n" + kShownLastLine))
      << check.out;
  for (const std::string& out : {list.out, inspect.out, check.out}) {
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      EXPECT_FALSE(absl::StartsWith(line, "# Fake") || absl::StartsWith(line, "- fake")) << line;
    }
  }
}

}  // namespace
}  // namespace deltascope::testing
