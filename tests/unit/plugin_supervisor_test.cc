// The supervisor in-process, against the real misbehaving test plugin: calls through the
// engine-facing comparator, deadlines, crashes, quarantine, start-up failures, the instance cap,
// and that a run leaves neither a process nor a file descriptor behind. Plus the response
// validator against hostile answers.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "daemon/engine/compare_context.h"
#include "daemon/plugin/host.h"
#include "daemon/plugin/reply.h"
#include "daemon/plugin/supervisor.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using ::deltascope::testing::BinPath;
using ::deltascope::testing::ReadFile;
using ::deltascope::testing::ScratchTree;
using std::chrono::milliseconds;

int OpenFds() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (struct dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n - 1;  // the directory stream itself
}

// Live (non-zombie) processes whose environment holds `marker`.
int ProcessesWith(const std::string& marker) {
  int count = 0;
  DIR* proc = ::opendir("/proc");
  while (struct dirent* e = ::readdir(proc)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    if (stat.find(") Z ") != std::string::npos) continue;
    count += ReadFile(absl::StrCat("/proc/", pid, "/environ")).find(marker) != std::string::npos;
  }
  ::closedir(proc);
  return count;
}

// One test plugin in a given mode, with the pair data.bad (changed) to compare.
class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.Write("a/data.bad", "one\n");
    t_.Write("b/data.bad", "two\n");
    pair_.path = "data.bad";
    pair_.left = *Item::FromPath(t_ / "a/data.bad");
    pair_.right = *Item::FromPath(t_ / "b/data.bad");
    options_.runtime_dir = t_ / "run";
    std::filesystem::create_directories(options_.runtime_dir);
    options_.sandbox = SandboxMode::kOff;
    options_.shutdown_grace = milliseconds(500);
  }

  // A short deadline only where it is meant to fire; healthy plugins get generous ones.
  static std::string DefaultLimits(const std::string& mode) {
    const char* startup = mode == "no-socket" ? "300ms" : "60s";
    const char* call = mode == "hang" ? "300ms" : "60s";
    return absl::StrCat("limits: {startup_timeout: ", startup, ", call_timeout: ", call,
                        ", max_instances: 1}\n");
  }

  std::shared_ptr<PluginSupervisor> Start(const std::string& mode, const std::string& extra = "",
                                          const std::string& env = "") {
    std::string text = absl::StrCat(
        "name: bad-", mode, "\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
        "\nenv: {BAD_MODE: ", mode, ", BAD_MARKER: ", marker_, env,
        "}\ncomparators:\n  - name: bad\n    extensions: [.bad]\n", extra,
        extra.find("limits") != std::string::npos ? "" : DefaultLimits(mode));
    absl::StatusOr<Manifest> m = ParseManifest(text, t_ / "bad.plugin.yaml");
    EXPECT_TRUE(m.ok()) << m.status();
    return std::make_shared<PluginSupervisor>(*m, options_);
  }

  // A clock the test moves (HostOptions::clock), so no test waits for a period to pass.
  void UseTestClock() {
    options_.clock = [now = now_] {
      return std::chrono::steady_clock::time_point(
          std::chrono::steady_clock::duration(now->load()));
    };
  }
  void Advance(std::chrono::milliseconds by) {
    *now_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(by).count();
  }

  absl::StatusOr<CompareResult> Compare(const std::shared_ptr<PluginSupervisor>& supervisor) {
    std::shared_ptr<Comparator> comparator =
        MakePluginComparator(supervisor, supervisor->manifest().comparators[0], {});
    return comparator->Compare(pair_, context_);
  }

  std::shared_ptr<std::atomic<std::chrono::steady_clock::rep>> now_ =
      std::make_shared<std::atomic<std::chrono::steady_clock::rep>>(
          std::chrono::steady_clock::now().time_since_epoch().count());
  ScratchTree t_;
  const std::string marker_ = absl::StrCat("unit-marker-", ::getpid());
  ItemPair pair_;
  HostOptions options_;
  DiffOptions diff_options_;
  CompareContext context_{diff_options_, t_.root()};
};

TEST_F(SupervisorTest, WellBehavedPluginAnswersAndStopsCleanly) {
  std::shared_ptr<PluginSupervisor> s = Start("ok");
  EXPECT_EQ(s->state(), PluginState::kAvailable);  // lazy: nothing runs yet
  EXPECT_EQ(ProcessesWith(marker_), 0);
  absl::StatusOr<CompareResult> r = Compare(s);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, CompareResult::Kind::kLeaf);
  EXPECT_EQ(r->node.summary(), "plugin ok");
  EXPECT_EQ(s->state(), PluginState::kRunning);
  EXPECT_EQ(ProcessesWith(marker_), 1);
  EXPECT_EQ(*s->Health(), "SERVING");
  EXPECT_EQ(s->counters().calls, 1u);
  s->Shutdown();
  EXPECT_EQ(ProcessesWith(marker_), 0);
}

TEST_F(SupervisorTest, HungCallIsKilledAtItsDeadline) {
  std::shared_ptr<PluginSupervisor> s = Start("hang");
  absl::StatusOr<CompareResult> r = Compare(s);  // a deadline that never fired would hang here
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(DiagnosticCodeOf(r.status(), ""), "plugin-timeout");
  EXPECT_EQ(r.status().message(), "plugin bad-hang timed out after 300 ms on data.bad");
  EXPECT_EQ(ProcessesWith(marker_), 0);  // killed at once, not at shutdown
  EXPECT_EQ(s->counters().timeouts, 1u);
}

// A comparator's own error is the plugin's answer, not a crash: the instance stays, nothing is
// counted against the budget, and no restart follows.
TEST_F(SupervisorTest, PluginErrorKeepsTheInstanceAndSpendsNoBudget) {
  options_.crash_budget = 2;
  std::shared_ptr<PluginSupervisor> s = Start("error");
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<CompareResult> r = Compare(s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(DiagnosticCodeOf(r.status(), ""), "plugin-error") << r.status();
    EXPECT_NE(r.status().message().find("no sense in it"), std::string::npos) << r.status();
  }
  EXPECT_EQ(s->state(), PluginState::kRunning);
  EXPECT_EQ(s->counters().crashes, 0u);
  EXPECT_EQ(s->counters().restarts, 0u);
  EXPECT_EQ(ProcessesWith(marker_), 1);
}

TEST_F(SupervisorTest, CrashesSpendTheBudgetThenQuarantineFailsFast) {
  options_.crash_budget = 3;
  std::shared_ptr<PluginSupervisor> s = Start("segv");
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<CompareResult> r = Compare(s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(DiagnosticCodeOf(r.status(), ""), "plugin-crash") << r.status();
    EXPECT_NE(r.status().message().find("killed by signal SIGSEGV"), std::string::npos)
        << r.status();
  }
  EXPECT_EQ(s->state(), PluginState::kQuarantined);
  absl::StatusOr<CompareResult> r = Compare(s);  // fails fast: no start, no call
  EXPECT_EQ(DiagnosticCodeOf(r.status(), ""), "plugin-quarantined");
  EXPECT_NE(r.status().message().find("3 of 3 calls failed within 60 s"), std::string::npos)
      << r.status();
  EXPECT_EQ(s->counters().calls, 3u);  // the quarantined attempt reached no process
  EXPECT_EQ(s->counters().crashes, 3u);
  EXPECT_EQ(s->counters().restarts, 2u);
  EXPECT_EQ(ProcessesWith(marker_), 0);
}

TEST_F(SupervisorTest, QuarantineEndsAfterItsPeriodAndDoublesOnAFailureOnProbation) {
  options_.crash_budget = 2;
  options_.quarantine_period = std::chrono::seconds(1);  // the daemon's --quarantine-seconds
  UseTestClock();
  const auto advance = [this](std::chrono::milliseconds by) { Advance(by); };
  std::shared_ptr<PluginSupervisor> s = Start("segv");
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(Compare(s).ok());
  ASSERT_EQ(s->state(), PluginState::kQuarantined);
  EXPECT_NE(s->reason().find("tried again in 1 s"), std::string::npos) << s->reason();
  EXPECT_EQ(DiagnosticCodeOf(Compare(s).status(), ""), "plugin-quarantined");
  EXPECT_EQ(s->counters().crashes, 2u);

  advance(milliseconds(999));  // not yet
  EXPECT_EQ(DiagnosticCodeOf(Compare(s).status(), ""), "plugin-quarantined");
  EXPECT_EQ(s->counters().crashes, 2u);
  advance(milliseconds(1));  // the period has passed: on probation
  absl::StatusOr<CompareResult> r = Compare(s);
  EXPECT_EQ(DiagnosticCodeOf(r.status(), ""), "plugin-crash") << r.status();  // it was called
  EXPECT_EQ(s->counters().crashes, 3u);
  // One failure on probation is enough, and the next quarantine lasts twice as long.
  ASSERT_EQ(s->state(), PluginState::kQuarantined);
  EXPECT_NE(s->reason().find("failed its trial call after a quarantine"), std::string::npos)
      << s->reason();
  EXPECT_NE(s->reason().find("tried again in 2 s"), std::string::npos) << s->reason();
  EXPECT_EQ(DiagnosticCodeOf(Compare(s).status(), ""), "plugin-quarantined");
  advance(milliseconds(1999));  // twice as long this time
  EXPECT_EQ(DiagnosticCodeOf(Compare(s).status(), ""), "plugin-quarantined");
  EXPECT_EQ(s->counters().crashes, 3u);
  EXPECT_EQ(ProcessesWith(marker_), 0);
}

TEST_F(SupervisorTest, StartFailuresDisableThePluginWithAPreciseReason) {
  struct Case {
    std::string mode, extra, reason;
  };
  const std::string wrong_sum(64, '0');
  for (const Case& c : {
           Case{"ok", absl::StrCat("sha256: ", wrong_sum, "\n"), "checksum mismatch for "},
           Case{"wrong-protocol", "", "incompatible protocol version"},
           Case{"no-socket", "limits: {startup_timeout: 300ms}\n",  // meant to fire
                "start-up timeout: no handshake within 300 ms"},
       }) {
    std::shared_ptr<PluginSupervisor> s = Start(c.mode, c.extra);
    absl::StatusOr<CompareResult> r = Compare(s);
    ASSERT_FALSE(r.ok()) << c.mode;
    EXPECT_EQ(DiagnosticCodeOf(r.status(), ""), "plugin-unavailable");
    EXPECT_EQ(s->state(), PluginState::kDisabled);
    EXPECT_NE(s->reason().find(c.reason), std::string::npos) << s->reason();
    EXPECT_EQ(ProcessesWith(marker_), 0) << c.mode;
  }
}

TEST_F(SupervisorTest, ComparatorDeclaredButNotServed) {
  std::string text = absl::StrCat(
      "name: liar\nversion: 1\ncommand: ", BinPath("deltascope-test-plugin"),
      "\nenv: {BAD_MARKER: ", marker_, "}\ncomparators:\n  - name: bad\n  - name: yaml\n");
  absl::StatusOr<Manifest> m = ParseManifest(text, t_ / "liar.plugin.yaml");
  ASSERT_TRUE(m.ok()) << m.status();
  PluginSupervisor s(*m, options_);
  EXPECT_FALSE(s.Describe().ok());
  EXPECT_EQ(s.reason(), "plugin liar: comparator yaml declared in the manifest but not served");
  EXPECT_EQ(ProcessesWith(marker_), 0);
}

TEST_F(SupervisorTest, MissingExecutable) {
  absl::StatusOr<Manifest> m = ParseManifest(
      "name: gone\nversion: 1\ncommand: /nonexistent/plugin\ncomparators:\n  - name: g\n",
      t_ / "gone.plugin.yaml");
  ASSERT_TRUE(m.ok());
  PluginSupervisor s(*m, options_);
  EXPECT_FALSE(s.Describe().ok());
  EXPECT_EQ(s.reason(), "plugin gone: executable /nonexistent/plugin is missing");
}

TEST_F(SupervisorTest, ConcurrentCallsShareAtMostMaxInstances) {
  std::shared_ptr<PluginSupervisor> s =
      Start("ok", "limits: {startup_timeout: 60s, call_timeout: 60s, max_instances: 2}\n");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::atomic<int> most{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 3; ++j) {
        ok += Compare(s).ok();
        int live = ProcessesWith(marker_);
        most = std::max(most.load(), live);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 18);
  EXPECT_EQ(s->counters().calls, 18u);
  EXPECT_LE(s->counters().instances, 2);
  EXPECT_LE(most, 2);
  s->Shutdown();
  EXPECT_EQ(ProcessesWith(marker_), 0);
}

// The host's own descriptors: pipes, sockets and reader threads are all released per instance.
TEST_F(SupervisorTest, NoFileDescriptorLeaks) {
  auto run = [&](const std::string& mode) {
    std::shared_ptr<PluginSupervisor> s = Start(mode);
    (void)Compare(s);
    s->Shutdown();
  };
  run("ok");  // warm up gRPC's process-wide pollers
  int before = OpenFds();
  for (const char* mode : {"ok", "segv", "hang", "exit3", "flood-stderr", "no-socket"}) run(mode);
  int after = OpenFds();
  // gRPC closes some sockets asynchronously: wait for them, as long as a slow machine needs.
  ::deltascope::testing::WaitUntil([&] { return (after = OpenFds()) <= before; });
  EXPECT_EQ(after, before);
  EXPECT_EQ(ProcessesWith(marker_), 0);
}

// Hostile responses are refused, never trusted.
pluginpb::CompareResponse Leaf(const std::string& action) {
  pluginpb::CompareResponse r;
  r.set_outcome(pluginpb::CompareResponse::OUTCOME_LEAF);
  r.mutable_node()->set_action(action);
  return r;
}

TEST(ValidateResponseTest, RefusesHostileAnswers) {
  pluginpb::CompareRequest req;
  req.set_path("dir/x.json");
  req.set_output_dir("/tmp/out");
  EXPECT_TRUE(ValidateResponse(Leaf("modify"), req).ok());

  pluginpb::CompareResponse unset;
  EXPECT_EQ(ValidateResponse(unset, req).message(), "outcome not set");
  EXPECT_EQ(ValidateResponse(Leaf("explode"), req).message(), "invalid action 'explode'");

  pluginpb::CompareResponse escape = Leaf("modify");
  escape.mutable_node()->add_children()->set_path("/etc/passwd");
  EXPECT_EQ(ValidateResponse(escape, req).message(),
            "child path '/etc/passwd' is not below 'dir/x.json'");
  pluginpb::CompareResponse sibling = Leaf("modify");
  sibling.mutable_node()->add_children()->set_path("dir/x.jsonl");  // a prefix, not a parent
  EXPECT_FALSE(ValidateResponse(sibling, req).ok());

  pluginpb::CompareResponse deep = Leaf("modify");
  changeset::v1::DiffNode* node = deep.mutable_node();
  for (int i = 0; i < 70; ++i) {
    node = node->add_children();
    node->set_path(absl::StrCat("dir/x.json/", i));
  }
  EXPECT_EQ(ValidateResponse(deep, req).message(), "nodes nested deeper than 64");

  pluginpb::CompareResponse expand = Leaf("modify");
  expand.set_outcome(pluginpb::CompareResponse::OUTCOME_EXPAND);
  pluginpb::ChildPair* child = expand.add_children();
  child->set_name("a");
  child->set_left_path("sub/a");
  EXPECT_TRUE(ValidateResponse(expand, req).ok());
  child->set_right_path("../../etc/shadow");
  EXPECT_EQ(ValidateResponse(expand, req).message(),
            "child file '../../etc/shadow' is outside output_dir");
  child->set_right_path("");
  child->set_name("..");
  EXPECT_EQ(ValidateResponse(expand, req).message(), "invalid child name '..'");
  child->set_name("a");
  req.clear_output_dir();
  EXPECT_EQ(ValidateResponse(expand, req).message(),
            "EXPAND children but no output_dir was offered");

  pluginpb::CompareResponse no_node;
  no_node.set_outcome(pluginpb::CompareResponse::OUTCOME_LEAF);
  EXPECT_FALSE(ValidateResponse(no_node, req).ok());
}

// Every crash, restart and the quarantine are told to HostOptions::events as they happen (the
// daemon logs them), in order.
TEST_F(SupervisorTest, EventsTellCrashesRestartsAndTheQuarantine) {
  options_.crash_budget = 2;
  auto events = std::make_shared<std::vector<PluginEvent>>();
  auto mu = std::make_shared<std::mutex>();
  options_.events = [events, mu](const PluginEvent& e) {
    std::lock_guard<std::mutex> lock(*mu);
    events->push_back(e);
  };
  std::shared_ptr<PluginSupervisor> s = Start("segv");
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Compare(s).ok());
  std::lock_guard<std::mutex> lock(*mu);
  std::vector<std::string> kinds;
  for (const PluginEvent& e : *events) {
    EXPECT_EQ(e.plugin, "bad-segv");
    kinds.push_back(e.kind);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"crash", "restart", "crash", "quarantine"}));
  ASSERT_EQ(events->size(), 4u);
  EXPECT_NE((*events)[0].detail.find("on data.bad"), std::string::npos) << (*events)[0].detail;
  EXPECT_EQ((*events)[3].detail, s->reason());
}

// A quarantine's trial call that goes through closes the breaker: a recovery event.
TEST_F(SupervisorTest, ATrialCallThatGoesThroughIsARecovery) {
  options_.crash_budget = 1;
  options_.quarantine_period = std::chrono::seconds(1);
  UseTestClock();
  std::vector<std::string> kinds;
  std::mutex mu;
  options_.events = [&](const PluginEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    kinds.push_back(e.kind);
  };
  // Unsandboxed, the plugin inherits the environment (when it starts: at the first call).
  ::setenv("BAD_ONCE_FILE", (t_ / "once").c_str(), 1);
  std::shared_ptr<PluginSupervisor> s = Start("segv-once");
  EXPECT_EQ(DiagnosticCodeOf(Compare(s).status(), ""), "plugin-crash");
  ::unsetenv("BAD_ONCE_FILE");
  ASSERT_EQ(s->state(), PluginState::kQuarantined);
  Advance(milliseconds(1000));
  ASSERT_TRUE(Compare(s).ok());  // the trial call
  EXPECT_EQ(s->state(), PluginState::kRunning);
  s->Shutdown();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(kinds, (std::vector<std::string>{"crash", "quarantine", "restart", "recovery"}));
}

// A long-lived host shares a counter store: a new supervisor of the same plugin (a reload's)
// counts on from where the old one stopped.
TEST_F(SupervisorTest, CountersSurviveANewSupervisorOfTheSamePlugin) {
  options_.counters = std::make_shared<PluginCounterStore>();
  std::shared_ptr<PluginSupervisor> first = Start("ok");
  ASSERT_TRUE(Compare(first).ok());
  first->Shutdown();
  std::shared_ptr<PluginSupervisor> second = Start("ok");
  ASSERT_TRUE(Compare(second).ok());
  EXPECT_EQ(second->counters().calls, 2u);
  EXPECT_EQ(second->counters().instances, 1);  // its own, not the old one's
}

// The plugin's capacity is its instances: with its one instance hung, calls waiting for it give
// up after a call's deadline (plugin-busy) rather than queue behind hang after hang.
// A plugin served by Compare (one call per instance at a time); with ComparePipe the calls share
// the instance instead (plugin_pipe_test.cc).
TEST_F(SupervisorTest, CallsWaitingForABusyPluginFallBackAfterACallDeadline) {
  std::shared_ptr<PluginSupervisor> s =
      Start("hang", "limits: {call_timeout: 2s, max_instances: 1}\n", ", BAD_NO_PIPE: 1");
  std::vector<std::string> codes(3);
  std::vector<std::thread> calls;
  for (int i = 0; i < 3; ++i) {
    calls.emplace_back([&, i] { codes[i] = DiagnosticCodeOf(Compare(s).status(), ""); });
  }
  for (std::thread& c : calls) c.join();
  // One call got the instance and hung; the others waited at most a deadline each (one may get
  // the instance after the first one's timeout, then hang too): each item was answered.
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "plugin-busy") +
                std::count(codes.begin(), codes.end(), "plugin-timeout"),
            3)
      << codes[0] << " " << codes[1] << " " << codes[2];
  EXPECT_GE(std::count(codes.begin(), codes.end(), "plugin-busy"), 1);
  EXPECT_GE(std::count(codes.begin(), codes.end(), "plugin-timeout"), 1);
}

}  // namespace
}  // namespace deltascope
