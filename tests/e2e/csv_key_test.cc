// `deltascope diff --key [GLOB:]COL[,COL]`: the real binary, locally and through the real daemon.
// A --key wins over the config's tables and over the inferred key; bad specs are one-line errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/changeset_json.h"
#include "tests/support/checked_run.h"
#include "tests/support/daemon.h"
#include "tests/support/tree.h"

namespace deltascope::testing {
namespace {

using Json = nlohmann::json;

// Staff renumbered (id) and one moved team: by the inferred `id` every row is new; by email it
// is two edited rows. Readings have no single-column key at all.
void MakeTables(const ScratchTree& t) {
  t.Write("a/hr/staff.csv", "id,email,team\n1,ada@example.org,core\n2,bo@example.org,docs\n");
  t.Write("b/hr/staff.csv", "id,email,team\n7,ada@example.org,core\n8,bo@example.org,web\n");
  t.Write("a/readings.csv", "station,date,temp\nKEF,d1,-2\nKEF,d2,-1\nOSL,d1,-8\n");
  t.Write("b/readings.csv", "station,date,temp\nOSL,d1,-9\nKEF,d2,-1\nKEF,d1,-2\n");
}

std::string Summary(const Json& cs, const std::string& path) {
  auto nodes = NodesByPath(cs);
  return nodes.count(path) ? nodes[path].value("summary", "") : "";
}

TEST(CsvKeyOptionE2eTest, KeyWinsOverInferenceAndConfig) {
  ScratchTree t;
  MakeTables(t);
  Json inferred = DiffJson(t, 1);
  EXPECT_EQ(Summary(inferred, "hr/staff.csv"),
            "2 rows added; 2 rows removed; rows matched by id (inferred)");
  EXPECT_EQ(Summary(inferred, "readings.csv"), "1 row added; 1 row removed");
  ASSERT_TRUE(inferred.contains("diagnostics"));
  EXPECT_EQ(inferred["diagnostics"][0].value("code", ""), "table-key-not-found");

  Json keyed = DiffJson(t, 1, {"--key", "staff.csv:email", "--key", "*.csv:station,date"});
  EXPECT_EQ(Summary(keyed, "hr/staff.csv"), "3 cells changed");
  EXPECT_EQ(NodesByPath(keyed)["hr/staff.csv"]["details"]["key"], Json::array({"email"}));
  EXPECT_EQ(Summary(keyed, "readings.csv"), "1 cell changed");
  EXPECT_FALSE(keyed.contains("diagnostics")) << keyed.dump();

  // The config names `id` for every table; --key still wins where it matches.
  t.Write("cfg.yaml", "tables:\n  - path: '.*'\n    key: [id]\n");
  Json both = DiffJson(t, 1, {"--config", (t / "cfg.yaml").string(), "--key", "hr/*.csv:email"});
  EXPECT_EQ(Summary(both, "hr/staff.csv"), "3 cells changed");
  ASSERT_TRUE(both.contains("diagnostics"));  // readings.csv has no `id`: the config's key
  EXPECT_EQ(both["diagnostics"][0].value("code", ""), "table-key-missing");
}

TEST(CsvKeyOptionE2eTest, BadKeysAreOneLineErrors) {
  ScratchTree t;
  MakeTables(t);
  for (const auto& [spec, message] : std::vector<std::pair<std::string, std::string>>{
           {"staff.csv:", "--key 'staff.csv:': expected [GLOB:]COLUMN[,COLUMN...]"},
           {"[x:id", "--key '[x:id': unterminated '[' in the pattern"}}) {
    ProcessResult r = RunChecked({"diff", (t / "a").string(), (t / "b").string(), "--key", spec});
    EXPECT_EQ(r.exit_code, 2) << spec;
    EXPECT_TRUE(r.out.empty()) << r.out;
    ExpectErrorLine(r.err, message);
  }
}

// The daemon gets the keys inside the config text it already reads: the same bytes as locally.
TEST(CsvKeyOptionE2eTest, KeysReachTheDaemon) {
  ScratchTree t;
  MakeTables(t);
  t.Write("cfg.yaml", "# a comment\nmoves: true\ntables:\n  - path: '.*'\n    key: [id]\n");
  TestDaemon daemon(t / "d.sock");
  ASSERT_TRUE(daemon.ready());
  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {"--key", "staff.csv:email"},
           {"--key", "staff.csv:email", "--config", (t / "cfg.yaml").string()}}) {
    ProcessResult local, remote;
    DiffJson(t, 1, extra, {}, &local);
    std::vector<std::string> via = extra;
    via.insert(via.end(), {"--daemon", daemon.target()});
    DiffJson(t, 1, via, {}, &remote);
    EXPECT_EQ(remote.out, local.out) << remote.err;
    EXPECT_NE(local.out.find("\"email\""), std::string::npos) << local.out;
  }
}

}  // namespace
}  // namespace deltascope::testing
