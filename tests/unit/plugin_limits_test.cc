// The plugin limits module: one parser for every duration and size, the user's ceiling parsed
// from the command line, the environment and the config, and min(manifest, ceiling) merging.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "daemon/plugin/limits.h"

namespace deltascope {
namespace {

using std::chrono::milliseconds;

TEST(PluginLimitsTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("10s"), milliseconds(10000));
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*ParseDuration("2m"), milliseconds(120000));
  EXPECT_EQ(*ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(*ParseDuration("7"), milliseconds(7000));  // a bare number is seconds
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("inf").ok());
  EXPECT_FALSE(ParseDuration("nan").ok());
  EXPECT_FALSE(ParseDuration("soon").ok());
  EXPECT_EQ(*ParseByteSize("512MiB"), 512ull << 20);
  EXPECT_EQ(*ParseByteSize("1G"), 1ull << 30);
  EXPECT_EQ(*ParseByteSize("1GiB"), 1ull << 30);
  EXPECT_EQ(*ParseByteSize("2 TiB"), 2ull << 40);
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_FALSE(ParseByteSize("lots").ok());
  EXPECT_FALSE(ParseByteSize("1.5G").ok());
}

// Found while fuzzing the manifest parser: these threw out of the parser (stod/stoull) or
// overflowed.
TEST(PluginLimitsTest, HugeDurationsAndSizesAreErrors) {
  EXPECT_FALSE(ParseDuration(std::string(400, '9') + "s").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999999s").ok());
  EXPECT_FALSE(ParseDuration("400000000s").ok());  // past a year
  EXPECT_FALSE(ParseByteSize("99999999999999999999999").ok());
  EXPECT_FALSE(ParseByteSize("17179869184G").ok());  // 2^34 GiB = 2^64 bytes
  EXPECT_EQ(*ParseByteSize("17179869183G"), 17179869183ull << 30);
}

TEST(PluginLimitsTest, CeilingParsesEveryKeyAndNamesTheSourceInErrors) {
  absl::StatusOr<LimitCeiling> c = ParseLimitCeiling(
      "startup_timeout=5s, call_timeout=30s,max_instances=2,memory=1GiB,cpu=10m,open_files=256,"
      "file_size=64MiB,processes=1,reply_size=1MiB,reply_nodes=500,summary_size=1KiB,"
      "details_size=2MiB",
      "--plugin-limits");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->keys.size(), PluginLimitKeys().size());
  EXPECT_EQ(c->values.call_timeout, milliseconds(30000));
  EXPECT_EQ(c->values.max_instances, 2);
  EXPECT_EQ(c->values.memory_bytes, 1ull << 30);
  EXPECT_EQ(c->values.cpu_seconds, 600u);
  EXPECT_EQ(c->values.reply_nodes, 500u);
  EXPECT_TRUE(ParseLimitCeiling("", "--plugin-limits")->keys.empty());

  EXPECT_EQ(ParseLimitCeiling("memry=1G", "--plugin-limits").status().message(),
            "--plugin-limits: unknown limit 'memry' (known: startup_timeout, call_timeout, "
            "max_instances, memory, cpu, open_files, file_size, processes, reply_size, "
            "reply_nodes, summary_size, details_size)");
  EXPECT_EQ(ParseLimitCeiling("memory=lots", "--plugin-limits").status().message(),
            "--plugin-limits: memory: 'lots' is not a size like 512MiB, 1GiB or 4096");
  EXPECT_EQ(ParseLimitCeiling("call_timeout=1s,call_timeout=2s", "X").status().message(),
            "X: limit 'call_timeout' given twice");
  EXPECT_EQ(ParseLimitCeiling("reply_size=32MiB", "X").status().message(),
            "X: reply_size is above 16777216 bytes, the most the host receives");
  EXPECT_FALSE(ParseLimitCeiling("max_instances=0", "X").ok());
}

TEST(PluginLimitsTest, CommandLineBeatsEnvironmentBeatsConfigKeyByKey) {
  ::setenv(kPluginLimitsEnv, "call_timeout=20s,memory=2GiB", 1);
  absl::StatusOr<LimitCeiling> c = UserLimitCeiling(
      "call_timeout=5s", {{"call_timeout", "60s"}, {"memory", "4GiB"}, {"open_files", "64"}});
  ::unsetenv(kPluginLimitsEnv);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->values.call_timeout, milliseconds(5000));  // command line
  EXPECT_EQ(c->values.memory_bytes, 2ull << 30);          // environment
  EXPECT_EQ(c->values.open_files, 64u);                   // config
  EXPECT_EQ(c->keys.size(), 3u);

  ::setenv(kPluginLimitsEnv, "cpu=forever", 1);
  EXPECT_EQ(UserLimitCeiling("", {}).status().message(),
            "DELTASCOPE_PLUGIN_LIMITS: cpu: 'forever' is not a duration like 10s or 500ms");
  ::unsetenv(kPluginLimitsEnv);
  EXPECT_EQ(UserLimitCeiling("", {{"open_files", "3"}}).status().message(),
            "plugins.limits: open_files must be a number from 16 to 1048576");
}

TEST(PluginLimitsTest, AManifestGetsTheLowerOfItsOwnAndTheCeiling) {
  PluginLimits manifest;
  manifest.call_timeout = milliseconds(600000);
  manifest.startup_timeout = milliseconds(1000);
  manifest.max_instances = 8;
  manifest.memory_bytes = 8ull << 30;
  manifest.open_files = 64;
  manifest.file_size_bytes = 0;  // asks for unlimited
  absl::StatusOr<LimitCeiling> ceiling = ParseLimitCeiling(
      "call_timeout=2s,startup_timeout=5s,max_instances=2,memory=1GiB,open_files=256,"
      "file_size=64MiB,cpu=10m",
      "--plugin-limits");
  ASSERT_TRUE(ceiling.ok());
  const EffectiveLimits e = ResolveLimits(manifest, *ceiling, SandboxMode::kStandard);
  EXPECT_EQ(e.call_timeout, milliseconds(2000));
  EXPECT_EQ(e.startup_timeout, milliseconds(1000));  // the manifest's is lower: kept
  EXPECT_EQ(e.max_instances, 2);
  EXPECT_EQ(e.resources.memory_bytes, 1ull << 30);
  EXPECT_EQ(e.resources.open_files, 64u);
  EXPECT_EQ(e.resources.file_size_bytes, 64ull << 20);  // unlimited is not below a ceiling
  EXPECT_EQ(e.resources.cpu_seconds, 600u);             // the mode's default is unlimited
  EXPECT_EQ(e.lowered, (std::vector<std::string>{"call_timeout", "max_instances", "memory", "cpu",
                                                 "file_size"}));

  // No ceiling: the manifest's values and the mode's defaults, nothing lowered.
  const EffectiveLimits plain = ResolveLimits(manifest, LimitCeiling(), SandboxMode::kStrict);
  EXPECT_EQ(plain.call_timeout, milliseconds(600000));
  EXPECT_EQ(plain.resources.memory_bytes, 8ull << 30);
  EXPECT_EQ(plain.resources.processes, DefaultResourceLimits(SandboxMode::kStrict).processes);
  EXPECT_TRUE(plain.lowered.empty());
}

TEST(PluginLimitsTest, ReplyLimitsTheUsersValueReplacesTheDefaultAManifestMayOnlyLower) {
  PluginLimits manifest;
  manifest.reply_nodes = 100000;  // asks for more than the user allows
  manifest.summary_bytes = 100;   // asks for less
  absl::StatusOr<LimitCeiling> ceiling =
      ParseLimitCeiling("reply_nodes=500,details_size=4MiB", "--plugin-limits");
  ASSERT_TRUE(ceiling.ok());
  const EffectiveLimits e = ResolveLimits(manifest, *ceiling, SandboxMode::kStandard);
  EXPECT_EQ(e.reply.nodes, 500u);
  EXPECT_EQ(e.reply.summary_bytes, 100u);
  EXPECT_EQ(e.reply.details_bytes, 4u << 20);  // above the default: the user's value replaces it
  EXPECT_EQ(e.reply.bytes, static_cast<uint64_t>(kMaxPluginResponseBytes));
  EXPECT_EQ(e.lowered, std::vector<std::string>{"reply_nodes"});

  // Without a ceiling a manifest still cannot raise the defaults.
  const EffectiveLimits plain = ResolveLimits(manifest, LimitCeiling(), SandboxMode::kStandard);
  EXPECT_EQ(plain.reply.nodes, ReplyLimits().nodes);
}

}  // namespace
}  // namespace deltascope
