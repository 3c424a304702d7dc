// ComparePipe against the real test plugin: negotiated by Describe (an old-style plugin, and a
// host that turns it off, keep Compare), many calls on one instance, and a hang or a crash in
// the middle of a pipeline: every item is answered or fails with the right diagnostic.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/engine/compare_context.h"
#include "daemon/plugin/host.h"
#include "daemon/plugin/supervisor.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using ::deltascope::testing::BinPath;
using ::deltascope::testing::ProcessesWithEnv;
using ::deltascope::testing::ReadFile;
using ::deltascope::testing::ScratchTree;

class PipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.runtime_dir = t_ / "run";
    std::filesystem::create_directories(options_.runtime_dir);
    options_.sandbox = SandboxMode::kOff;
    options_.shutdown_grace = std::chrono::milliseconds(500);
  }

  std::shared_ptr<PluginSupervisor> Start(const std::string& mode, const std::string& call_timeout,
                                          const std::string& env = "") {
    const std::string text = absl::StrCat(
        "name: bad-", mode, "\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
        "\nenv: {BAD_MODE: ", mode, ", BAD_MARKER: ", marker_,
        ", BAD_FAULT_LOG: ", (t_ / "faults.log").string(), env,
        "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n",
        "limits: {startup_timeout: 60s, call_timeout: ", call_timeout, ", max_instances: 1}\n");
    absl::StatusOr<Manifest> m = ParseManifest(text, t_ / "bad.plugin.yaml");
    EXPECT_TRUE(m.ok()) << m.status();
    supervisor_ = std::make_shared<PluginSupervisor>(*m, options_);
    comparator_ = MakePluginComparator(supervisor_, supervisor_->manifest().comparators[0], {});
    return supervisor_;
  }

  // One call on a changed pair named `name`: "ok", or the diagnostic code and message.
  std::string Compare(const std::string& name) {
    ItemPair pair;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pairs_.count(name)) {
        t_.Write("a/" + name, "one\n");
        t_.Write("b/" + name, "two\n");
        pairs_[name] = {*Item::FromPath(t_ / "a" / name), *Item::FromPath(t_ / "b" / name)};
      }
      pair.left = pairs_[name].first;
      pair.right = pairs_[name].second;
    }
    pair.path = name;
    DiffOptions options;
    CompareContext context(options, t_.root());
    absl::StatusOr<CompareResult> r = comparator_->Compare(pair, context);
    if (r.ok()) return r->kind == CompareResult::Kind::kLeaf ? "ok" : "not a leaf";
    return absl::StrCat(DiagnosticCodeOf(r.status(), ""), ": ", r.status().message());
  }

  // `threads` callers, each making calls on its own items until `stop()`, then `tail` more.
  std::vector<std::string> Hammer(int threads, const std::function<bool()>& stop, int tail) {
    std::vector<std::string> results;
    std::mutex mu;
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([&, i] {
        int left = tail;
        for (int n = 0; left > 0; ++n) {
          if (stop()) --left;
          std::string r = Compare(absl::StrCat("f", i, "-", n % 16, ".bad"));
          std::lock_guard<std::mutex> lock(mu);
          results.push_back(std::move(r));
        }
      });
    }
    for (auto& w : workers) w.join();
    return results;
  }

  bool HangLogged() { return absl::StrContains(ReadFile(t_ / "faults.log"), "hang hang.bad\n"); }

  ScratchTree t_;
  const std::string marker_ = absl::StrCat("pipe-marker-", ::getpid());
  HostOptions options_;
  std::shared_ptr<PluginSupervisor> supervisor_;
  std::shared_ptr<Comparator> comparator_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::shared_ptr<Item>, std::shared_ptr<Item>>> pairs_;
};

bool ServesPipe(const pluginpb::DescribeResponse& d) {
  for (int c : d.capabilities()) {
    if (c == pluginpb::CAPABILITY_COMPARE_PIPE) return true;
  }
  return false;
}

TEST_F(PipeTest, APluginThatServesThePipeSharesOneInstanceByIt) {
  std::shared_ptr<PluginSupervisor> s = Start("ok", "60s");
  absl::StatusOr<pluginpb::DescribeResponse> d = s->Describe();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(ServesPipe(*d));
  std::atomic<int> calls{0};
  std::vector<std::string> results = Hammer(
      8, [&] { return ++calls > 0; }, 25);
  ASSERT_EQ(results.size(), 200u);
  for (const std::string& r : results) EXPECT_EQ(r, "ok");
  EXPECT_EQ(s->counters().calls, 200u);
  // A call alone on the instance goes by Compare on its channel; with 8 callers most are not.
  EXPECT_GT(s->counters().piped, 0u);
  EXPECT_EQ(s->counters().instances, 1);
  EXPECT_EQ(ProcessesWithEnv(marker_).size(), 1u);
  EXPECT_EQ(*s->Health(), "SERVING");  // shared with the calls, not waiting for them
  s->Shutdown();
  EXPECT_TRUE(ProcessesWithEnv(marker_).empty());
}

TEST_F(PipeTest, AnOldStylePluginIsCalledByCompare) {
  std::shared_ptr<PluginSupervisor> s = Start("ok", "60s", ", BAD_NO_PIPE: 1");
  absl::StatusOr<pluginpb::DescribeResponse> d = s->Describe();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(ServesPipe(*d));
  std::vector<std::string> results = Hammer(
      4, [] { return true; }, 10);
  ASSERT_EQ(results.size(), 40u);
  for (const std::string& r : results) EXPECT_EQ(r, "ok");
  EXPECT_EQ(s->counters().calls, 40u);
  EXPECT_EQ(s->counters().piped, 0u);
}

TEST_F(PipeTest, TheHostMayKeepCompareWithAPluginThatServesThePipe) {
  options_.compare_pipe = false;
  std::shared_ptr<PluginSupervisor> s = Start("ok", "60s");
  std::vector<std::string> results = Hammer(
      4, [] { return true; }, 10);
  for (const std::string& r : results) EXPECT_EQ(r, "ok");
  EXPECT_EQ(s->counters().calls, 40u);
  EXPECT_EQ(s->counters().piped, 0u);
}

// The hung item times out and its instance is killed; the calls in flight with it on that
// instance are not at fault and are made again: only the hung item fails.
TEST_F(PipeTest, AHangInAPipelineFailsOnlyItsOwnItem) {
  std::shared_ptr<PluginSupervisor> s = Start("by-name", "2s");
  std::atomic<bool> hang_done{false};
  std::string hang;
  std::thread hung([&] {
    hang = Compare("hang.bad");
    hang_done = true;
  });
  ASSERT_TRUE(testing::WaitUntil([&] { return HangLogged(); }));  // the call is in the plugin
  std::vector<std::string> results = Hammer(
      8, [&] { return hang_done.load(); }, 5);
  hung.join();
  EXPECT_EQ(hang, "plugin-timeout: plugin bad-by-name timed out after 2 s on hang.bad");
  for (const std::string& r : results) EXPECT_EQ(r, "ok");
  EXPECT_EQ(s->counters().timeouts, 1u);
  EXPECT_EQ(s->counters().crashes, 0u);
  EXPECT_EQ(s->state(), PluginState::kRunning);  // a new instance serves the rest
}

// A crash takes the calls in flight on that instance with it: which one crashed it is unknown,
// so each is made again alone. The culprit crashes a second process, alone, and fails with
// plugin-crash (the engine falls back); every other call is answered.
TEST_F(PipeTest, ACrashInAPipelineLosesNothing) {
  std::shared_ptr<PluginSupervisor> s = Start("by-name", "60s");
  std::atomic<int> calls{0};
  std::string crash;
  std::thread crasher;
  std::once_flag once;
  std::vector<std::string> results = Hammer(
      8,
      [&] {
        if (++calls == 100) {
          std::call_once(once,
                         [&] { crasher = std::thread([&] { crash = Compare("crash.bad"); }); });
        }
        return calls > 400;
      },
      5);
  crasher.join();
  EXPECT_TRUE(absl::StartsWith(crash, "plugin-crash: plugin bad-by-name crashed (")) << crash;
  EXPECT_TRUE(absl::StrContains(crash, ") on crash.bad")) << crash;
  for (const std::string& r : results) EXPECT_EQ(r, "ok");
  // Two when others were in flight with it (almost always), one when it was alone.
  EXPECT_GE(s->counters().crashes, 1u);
  EXPECT_LE(s->counters().crashes, 2u);
  EXPECT_GE(s->counters().calls, results.size() + 1);
  EXPECT_EQ(Compare("after.bad"), "ok");
  s->Shutdown();
  EXPECT_TRUE(ProcessesWithEnv(marker_).empty());
}

// A lone call (by Compare on the pipe's channel: it was alone when it started) and a stream call
// share a process that dies: which one crashed it is unknown, so both are made again alone, and
// only the culprit reports a crash. Which of the two judges the death is a race; with the two
// guards of ComparePiped removed (leases counted as in flight; only the blamed call reports) the
// gated call reported the crash too in about 1 run in 10, as the soak once saw.
TEST_F(PipeTest, ALoneCallAndAStreamCallSharingADyingProcessReportOneCrash) {
  const std::filesystem::path gate = t_ / "gate";
  std::shared_ptr<PluginSupervisor> s =
      Start("by-name", "60s", absl::StrCat(", BAD_GATE: ", gate.string()));
  ASSERT_TRUE(s->Describe().ok());  // the pipe is known: the first call leases it
  std::string waited;
  std::thread lone([&] { waited = Compare("wait.bad"); });
  ASSERT_TRUE(testing::WaitUntil([&] {  // in the plugin, by Compare, until the gate opens
    return absl::StrContains(ReadFile(t_ / "faults.log"), "wait wait.bad\n");
  }));
  std::string crash;
  std::thread streamed([&] { crash = Compare("crash.bad"); });  // the second lease: the stream
  ASSERT_TRUE(testing::WaitUntil([&] { return s->counters().crashes >= 1; }));
  t_.Write("gate", "open\n");  // wait.bad, made again alone, now answers
  lone.join();
  streamed.join();
  EXPECT_EQ(waited, "ok");
  EXPECT_TRUE(absl::StartsWith(crash, "plugin-crash: plugin bad-by-name crashed (")) << crash;
  EXPECT_TRUE(absl::StrContains(crash, ") on crash.bad")) << crash;
  EXPECT_EQ(s->counters().crashes, 2u);  // the shared process, then crash.bad's own, alone
  EXPECT_EQ(s->counters().piped, 1u);
  s->Shutdown();
  EXPECT_TRUE(ProcessesWithEnv(marker_).empty());
}

}  // namespace
}  // namespace deltascope
