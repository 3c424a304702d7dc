// Plugin manifests and discovery: what a valid manifest means, that every error names its file
// and line, and the search path's order and duplicate rule.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>

#include "absl/strings/str_cat.h"
#include "daemon/plugin/host.h"
#include "daemon/plugin/manifest.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using ::deltascope::testing::ScratchTree;

constexpr char kFull[] = R"(name: json-cpp
version: 0.1.0
protocol: 1
command: ../bin/plugin
args: [--fast]
env: {A: b}
comparators:
  - name: json
    extensions: [.JSON, .jsonl]
    media_types: [application/json]
    scope: files
    position: {before: text}
  - name: ndjson
    position: {after: csv}
limits: {startup_timeout: 5s, call_timeout: 500ms, memory: 512MiB, max_instances: 2}
content: stream
)";

TEST(ManifestTest, ParsesEveryField) {
  absl::StatusOr<Manifest> m = ParseManifest(kFull, "/opt/plugins/conf/json.plugin.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->name, "json-cpp");
  EXPECT_EQ(m->version, "0.1.0");
  EXPECT_EQ(m->command, "/opt/plugins/bin/plugin");  // relative to the manifest's folder
  EXPECT_EQ(m->root, "/opt/plugins/conf");
  absl::StatusOr<Manifest> rooted =
      ParseManifest(absl::StrCat("root: /srv/p\n", kFull), "/home/u/.config/x.plugin.yaml");
  ASSERT_TRUE(rooted.ok()) << rooted.status();
  EXPECT_EQ(rooted->command, "/srv/bin/plugin");  // relative to the root instead
  EXPECT_EQ(rooted->root, "/srv/p");
  EXPECT_EQ(m->args, std::vector<std::string>{"--fast"});
  EXPECT_EQ(m->env.at("A"), "b");
  ASSERT_EQ(m->comparators.size(), 2u);
  const ComparatorDescriptor& json = m->comparators[0].descriptor;
  EXPECT_EQ(json.name, "json");
  EXPECT_EQ(json.extensions, (std::vector<std::string>{".json", ".jsonl"}));
  EXPECT_EQ(json.media_types, std::vector<std::string>{"application/json"});
  EXPECT_EQ(m->comparators[0].before, "text");
  EXPECT_EQ(m->comparators[1].after, "csv");
  EXPECT_EQ(m->limits.startup_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(m->limits.call_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(m->limits.memory_bytes, std::optional<uint64_t>(512ull << 20));
  EXPECT_EQ(m->limits.max_instances, 2);
  EXPECT_EQ(m->content, ContentDelivery::kStream);
}

TEST(ManifestTest, DefaultsWhenOptionalKeysAreOmitted) {
  absl::StatusOr<Manifest> m = ParseManifest(
      "name: p\nversion: 1\ncommand: /bin/true\ncomparators:\n  - name: p\n", "/x.plugin.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->protocol, 1);
  EXPECT_EQ(m->content, ContentDelivery::kPath);
  EXPECT_EQ(m->limits.call_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(m->limits.max_instances, 0);  // one per core
  EXPECT_TRUE(m->comparators[0].descriptor.catch_all());
}

TEST(ManifestTest, BareCommandIsFoundOnPath) {
  absl::StatusOr<Manifest> m = ParseManifest(
      "name: p\nversion: 1\ncommand: sh\ncomparators:\n  - name: p\n", "/x.plugin.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->command.is_absolute()) << m->command;
  EXPECT_EQ(m->command.filename(), "sh");
}

struct BadManifest {
  std::string text;
  std::string error;  // expected after "FILE:"
};

// gtest shows the expected error, not a byte dump of the struct.
void PrintTo(const BadManifest& bad, std::ostream* os) { *os << "error \"" << bad.error << '"'; }

// Test names from the expected error: "1: missing required key 'command'" ->
// "MissingRequiredKeyCommand".
std::string ErrorName(const ::testing::TestParamInfo<BadManifest>& info) {
  std::string name;
  bool upper = true;
  for (char c : info.param.error) {
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

class ManifestErrorTest : public ::testing::TestWithParam<BadManifest> {};

TEST_P(ManifestErrorTest, NamesFileAndLine) {
  absl::StatusOr<Manifest> m = ParseManifest(GetParam().text, "/d/p.plugin.yaml");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message().substr(0, 17), "/d/p.plugin.yaml:") << m.status();
  EXPECT_NE(m.status().message().find(GetParam().error), std::string::npos) << m.status();
}

constexpr char kHead[] = "name: p\nversion: 1\ncommand: /bin/true\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, ManifestErrorTest,
    ::testing::Values(
        BadManifest{"name: p\nversion: 1\ncomparators:\n  - name: p\n",
                    "1: missing required key 'command'"},
        BadManifest{absl::StrCat(kHead, "colour: red\ncomparators:\n  - name: p\n"),
                    "4: unknown key 'colour' in the manifest"},
        BadManifest{absl::StrCat(kHead, "comparators: []\n"),
                    "4: 'comparators' must be a non-empty list"},
        BadManifest{absl::StrCat(kHead, "comparators:\n  - name: p\n    scope: sideways\n"),
                    "6: scope 'sideways' is not one of files, containers, any"},
        BadManifest{absl::StrCat(kHead, "comparators:\n  - name: p\n    extensions: [json]\n"),
                    "6: extension 'json' must start with '.'"},
        BadManifest{absl::StrCat(kHead,
                                 "comparators:\n  - name: p\nlimits:\n  call_timeout: "
                                 "soon\n"),
                    "7: call_timeout: 'soon' is not a duration"},
        BadManifest{absl::StrCat(kHead, "comparators:\n  - name: p\nlimits: {max_instances: 0}\n"),
                    "6: max_instances must be a number from 1 to 256"},
        BadManifest{absl::StrCat(kHead, "sha256: abc\ncomparators:\n  - name: p\n"),
                    "4: sha256 must be 64 hex digits"},
        BadManifest{absl::StrCat(kHead, "content: telepathy\ncomparators:\n  - name: p\n"),
                    "4: content must be 'path' or 'stream'"},
        BadManifest{"name: Bad Name\nversion: 1\ncommand: x\ncomparators:\n  - name: p\n",
                    "1: name 'Bad Name' must be lower-case"},
        BadManifest{"name: p\nversion: [1\n", "malformed YAML"},
        BadManifest{absl::StrCat(kHead, "root: relative/dir\ncomparators:\n  - name: p\n"),
                    "4: 'root' must be an absolute path"}),
    ErrorName);

std::string ManifestText(const std::string& name, const std::string& version) {
  return absl::StrCat("name: ", name, "\nversion: ", version,
                      "\ncommand: /bin/true\ncomparators:\n  - name: ", name, "\n");
}

TEST(DiscoveryTest, SearchOrderDuplicatesAndInvalidManifests) {
  ScratchTree t;
  t.Write("first/a.plugin.yaml", ManifestText("alpha", "1"));
  t.Write("first/notes.yaml", ManifestText("ignored", "1"));  // not *.plugin.yaml
  t.Write("second/a.plugin.yaml", ManifestText("alpha", "2"));
  t.Write("second/b.plugin.yaml", ManifestText("beta", "1"));
  t.Write("second/broken.plugin.yaml", "name: broken\nversion: 1\ncommand: x\ncomparators: 7\n");
  ::setenv("DELTASCOPE_PLUGIN_PATH", (t / "second").c_str(), 1);
  PluginSearchOptions options;
  options.plugin_dirs = {t / "first"};
  options.use_user_dir = false;
  options.use_system_dir = false;
  std::vector<FoundPlugin> found = FindPlugins(options);
  ::unsetenv("DELTASCOPE_PLUGIN_PATH");

  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].manifest->version, "1");  // --plugin-dir comes first and wins
  EXPECT_TRUE(found[0].disabled_reason.empty());
  EXPECT_EQ(found[1].manifest->version, "2");
  EXPECT_EQ(found[1].disabled_reason, absl::StrCat("duplicate name 'alpha' (already provided by ",
                                                   (t / "first/a.plugin.yaml").string(), ")"));
  EXPECT_EQ(found[2].manifest->name, "beta");
  EXPECT_TRUE(found[2].disabled_reason.empty());
  EXPECT_FALSE(found[3].manifest.has_value());
  EXPECT_EQ(found[3].disabled_reason,
            absl::StrCat("invalid manifest: ", (t / "second/broken.plugin.yaml").string(),
                         ":4: 'comparators' must be a non-empty list"));
}

TEST(DiscoveryTest, UserDirFollowsXdgConfigHome) {
  ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(UserPluginDir(), "/tmp/xdg-test/deltascope/plugins.d");
  PluginSearchOptions options;
  options.plugin_dirs = {"/a"};
  options.use_environment = false;
  EXPECT_EQ(PluginSearchPath(options),
            (std::vector<std::filesystem::path>{"/a", "/tmp/xdg-test/deltascope/plugins.d",
                                                "/etc/deltascope/plugins.d"}));
  ::unsetenv("XDG_CONFIG_HOME");
}

}  // namespace
}  // namespace deltascope
