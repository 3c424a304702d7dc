// Plugin manifests and the config read YAML through one schema toolkit (daemon/util/yaml_schema):
// each rule is checked here on both files, which must refuse the same mistake with the same words
// and name the file and line.
#include "daemon/util/yaml_schema.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "daemon/plugin/manifest.h"

namespace deltascope {
namespace {

// A valid manifest's first five lines; a case's own lines follow from line 6.
constexpr char kManifestHead[] =
    "name: p\nversion: 1\ncommand: /bin/true\ncomparators:\n  - name: p\n";
// Five comment lines, so that a config's own lines also start at line 6.
constexpr char kConfigHead[] = "#\n#\n#\n#\n#\n";

std::string ManifestError(const std::string& tail) {
  absl::StatusOr<Manifest> m = ParseManifest(absl::StrCat(kManifestHead, tail), "/p/m.plugin.yaml");
  return m.ok() ? "(accepted)" : std::string(m.status().message());
}

std::string ConfigError(const std::string& tail) {
  absl::StatusOr<Config> c = ParseConfig(absl::StrCat(kConfigHead, tail), "c.yaml");
  return c.ok() ? "(accepted)" : std::string(c.status().message());
}

struct SameRule {
  const char* name;
  std::string manifest_tail, manifest_error;  // the error after "/p/m.plugin.yaml:"
  std::string config_tail, config_error;      // the error after "c.yaml:"
};

class SameRuleTest : public ::testing::TestWithParam<SameRule> {};

TEST_P(SameRuleTest, ManifestAndConfigAgree) {
  const SameRule& r = GetParam();
  const std::string manifest = ManifestError(r.manifest_tail);
  const std::string config = ConfigError(r.config_tail);
  EXPECT_EQ(manifest.rfind(absl::StrCat("/p/m.plugin.yaml:", r.manifest_error), 0), 0u) << manifest;
  EXPECT_EQ(config.rfind(absl::StrCat("c.yaml:", r.config_error), 0), 0u) << config;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, SameRuleTest,
    ::testing::Values(
        SameRule{"RepeatedKey", "content: path\ncontent: stream\n",
                 "7: key 'content' repeated in the manifest", "moves: true\nmoves: false\n",
                 "7: key 'moves' repeated at the top level"},
        SameRule{"RepeatedKeyInANestedMapping", "sandbox:\n  mode: strict\n  mode: off\n",
                 "8: key 'mode' repeated under 'sandbox'",
                 "output:\n  format: json\n  format: markdown\n",
                 "8: key 'format' repeated under 'output'"},
        SameRule{"RepeatedLimit", "limits:\n  memory: 1GiB\n  memory: 2GiB\n",
                 "8: key 'memory' repeated in 'limits'",
                 "plugins:\n  limits:\n    memory: 1GiB\n    memory: 2GiB\n",
                 "9: key 'memory' repeated in 'limits'"},
        SameRule{"UnknownKey", "colour: red\n", "6: unknown key 'colour' in the manifest (known: ",
                 "colour: red\n", "6: unknown key 'colour' at the top level (known: "},
        SameRule{"KeyThatIsNotAName", "[a, b]: c\n", "6: keys in the manifest must be names",
                 "[a, b]: c\n", "6: keys at the top level must be names"},
        SameRule{"ListWhereOneValueBelongs", "content: [path]\n", "6: 'content' must be a string",
                 "output:\n  format: [json]\n", "7: 'format' must be a string"},
        SameRule{"MappingWhereAListBelongs", "args: {a: b}\n",
                 "6: 'args' must be a list of strings", "comparators: {a: b}\n",
                 "6: 'comparators' must be a list of strings"},
        SameRule{"ListOfListsWhereAListBelongs", "args:\n  - [a]\n",
                 "7: 'args' must be a list of strings", "comparators:\n  - [a]\n",
                 "7: 'comparators' must be a list of strings"},
        SameRule{"NotABoolean", "sandbox: {trusted: maybe}\n", "6: 'trusted' must be true or false",
                 "moves: maybe\n", "6: 'moves' must be true or false"},
        SameRule{"NotAWholeNumber", "protocol: one\n",
                 "6: 'protocol' must be a whole number of at least 0",
                 "archives: {max_depth: one}\n",
                 "6: 'max_depth' must be a whole number of at least 0"},
        SameRule{"LimitValueNotOneValue", "limits:\n  memory: [1GiB]\n",
                 "7: 'limits' entries must be 'key: value'",
                 "plugins:\n  limits:\n    memory: [1GiB]\n",
                 "8: 'limits' entries must be 'key: value'"},
        SameRule{"MalformedYaml", "args: [a\n", "7: malformed YAML: ", "comparators: [a\n",
                 "7: malformed YAML: "},
        SameRule{"DeepNesting", absl::StrCat("args: ", std::string(50000, '['), "\n"),
                 "7: malformed YAML: nested more than ",
                 absl::StrCat("comparators: ", std::string(50000, '['), "\n"),
                 "7: malformed YAML: nested more than "}),
    [](const ::testing::TestParamInfo<SameRule>& info) { return info.param.name; });

// The toolkit itself: the two list shapes, and booleans as YAML writes them.
TEST(YamlSchemaTest, ListAndOneOrList) {
  const yaml::Errors errors("f.yaml");
  absl::StatusOr<YAML::Node> one = yaml::Load("x: a\n", errors);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(yaml::List((*one)["x"], "x", errors).status().message(),
            "f.yaml:1: 'x' must be a list of strings");
  EXPECT_EQ(*yaml::OneOrList((*one)["x"], "x", errors), std::vector<std::string>{"a"});
  absl::StatusOr<YAML::Node> two = yaml::Load("x: [a, b]\n", errors);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(*yaml::List((*two)["x"], "x", errors), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*yaml::OneOrList((*two)["x"], "x", errors), (std::vector<std::string>{"a", "b"}));
}

TEST(YamlSchemaTest, BooleansInAnyCase) {
  const yaml::Errors errors("f.yaml");
  for (const char* yes : {"true", "True", "YES", "on"}) {
    absl::StatusOr<YAML::Node> n = yaml::Load(absl::StrCat("x: ", yes), errors);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(yaml::Bool((*n)["x"], "x", errors).value_or(false), true) << yes;
  }
  for (const char* no : {"false", "No", "OFF"}) {
    absl::StatusOr<YAML::Node> n = yaml::Load(absl::StrCat("x: ", no), errors);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(yaml::Bool((*n)["x"], "x", errors).value_or(true), false) << no;
  }
}

}  // namespace
}  // namespace deltascope
