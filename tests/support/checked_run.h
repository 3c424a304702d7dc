// Checked runs of the real CLI for bad-input tests: a crash or a hang (killed at the harness's
// timeout) fails the test, stderr must be one "deltascope: ..." message per line, and helpers
// say whether a changed path was reported.
#ifndef DELTASCOPE_TESTS_SUPPORT_CHECKED_RUN_H_
#define DELTASCOPE_TESTS_SUPPORT_CHECKED_RUN_H_

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/support/changeset_json.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {

// Runs deltascope; a crash or a hang (killed at the timeout) fails the test.
inline ProcessResult RunChecked(const std::vector<std::string>& args, RunOptions options = {}) {
#ifdef DELTASCOPE_SANITIZED
  options.timeout_seconds = 600;  // ASan's 2-5x slowdown, on a loaded CI machine
#else
  options.timeout_seconds = 120;
#endif
  ProcessResult r = RunDeltascope(args, options);
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal
                         << " (SIGKILL = the harness's timeout: a hang)\n"
                         << r.err.substr(0, 2000);
  return r;
}

// `deltascope diff a b --format json` in `t`, expecting `exit_code`; the parsed changeset.
inline nlohmann::json DiffJson(const ScratchTree& t, int exit_code,
                               const std::vector<std::string>& extra = {}, RunOptions options = {},
                               ProcessResult* raw = nullptr) {
  std::vector<std::string> args = {"diff", (t / "a").string(), (t / "b").string(), "--format",
                                   "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = RunChecked(args, options);
  EXPECT_EQ(r.exit_code, exit_code) << r.err.substr(0, 2000);
  if (raw) *raw = r;
  nlohmann::json cs = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(cs.is_discarded()) << "not JSON: " << r.out.substr(0, 500) << "\n" << r.err;
  return cs.is_discarded() ? nlohmann::json::object() : cs;
}

// Every line of stderr is one "deltascope: ..." message, and one of them contains `expected`.
inline void ExpectErrorLine(const std::string& err, const std::string& expected) {
  bool found = false;
  for (absl::string_view line : absl::StrSplit(err, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "deltascope: ")) << "stray stderr line: " << line;
    found = found || absl::StrContains(line, expected);
  }
  EXPECT_TRUE(found) << "no line with: " << expected << "\nstderr:\n" << err;
}

// Each path is reported: as a node of the tree.
inline void ExpectReported(const nlohmann::json& cs, const std::vector<std::string>& paths) {
  std::map<std::string, nlohmann::json> nodes = NodesByPath(cs);
  for (const std::string& p : paths) EXPECT_TRUE(nodes.count(p)) << p << " lost:\n" << cs.dump(1);
}

// The diagnostic with `code` on `path`, or null.
inline const nlohmann::json* FindDiagnostic(const nlohmann::json& cs, const std::string& code,
                                            const std::string& path) {
  if (!cs.contains("diagnostics")) return nullptr;
  for (const nlohmann::json& d : cs["diagnostics"]) {
    if (d.value("code", "") == code && d.value("path", "") == path) return &d;
  }
  return nullptr;
}

inline void ExpectDiagnostic(const nlohmann::json& cs, const std::string& code,
                             const std::string& path, const std::string& message_part) {
  const nlohmann::json* d = FindDiagnostic(cs, code, path);
  ASSERT_NE(d, nullptr) << code << " on " << path << " missing:\n" << cs.dump(1);
  EXPECT_NE((*d)["message"].get<std::string>().find(message_part), std::string::npos)
      << (*d).dump();
}

// Runs a python3 snippet with `args` as sys.argv[1:].
inline void Python(const std::string& code, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/python3", "-c", code};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_CHECKED_RUN_H_
