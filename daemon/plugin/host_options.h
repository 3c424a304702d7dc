// How the plugin host runs plugins: runtime folder, sandbox floor, content roots, event sink and
// counters, circuit breaker, quarantine and the user's ceiling on limits. No gRPC here: the front
// ends build these.
#ifndef DELTASCOPE_DAEMON_PLUGIN_HOST_OPTIONS_H_
#define DELTASCOPE_DAEMON_PLUGIN_HOST_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/plugin/limits.h"
#include "daemon/plugin/process.h"
#include "daemon/sandbox/sandbox.h"

namespace deltascope {

// Something an operator wants to know about a plugin, told as it happens (HostOptions::events).
struct PluginEvent {
  std::string plugin;
  // crash, timeout, connection-lost, unreachable (an attached plugin went away), restart,
  // quarantine (the breaker opened), recovery (it closed), disabled (it cannot start).
  std::string kind;
  std::string detail;  // in words; item paths in it come from snapshots: untrusted text
};
using PluginEventSink = std::function<void(const PluginEvent&)>;

struct PluginCounters {
  uint64_t calls = 0, failures = 0, timeouts = 0, crashes = 0, restarts = 0;
  uint64_t piped = 0;  // of the calls, those made on a ComparePipe
  int instances = 0;
  std::vector<double> latencies_ms;  // bounded reservoir of recent call latencies
};

// Call counters by plugin name, shared by every supervisor of that name, so that a long-lived
// host's counters survive reloads (new supervisors of the same plugins).
class PluginCounterStore {
 public:
  struct Entry {
    std::mutex mu;
    PluginCounters counters;  // `instances` unused: each supervisor knows its own
  };
  std::shared_ptr<Entry> For(const std::string& plugin);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

struct HostOptions {
  std::filesystem::path runtime_dir;             // private (0700); one socket per instance
  SandboxMode sandbox = SandboxMode::kStandard;  // for plugins not marked trusted
  // The user chose `sandbox` (--sandbox, DELTASCOPE_SANDBOX): a manifest may make it stricter,
  // never looser. Otherwise a manifest's mode (or trusted: true) replaces the default.
  bool sandbox_is_floor = false;
  std::vector<std::filesystem::path> content_roots;  // visible read-only in standard mode
  PluginLogSink log;
  // Crashes, timeouts, restarts, quarantines...: called outside the supervisor's lock, from the
  // thread of the call concerned. May be empty (the CLI's).
  PluginEventSink events;
  // Where the supervisors count; null: each counts alone (a CLI run).
  std::shared_ptr<PluginCounterStore> counters;
  // The circuit breaker (breaker.h): quarantined when, within crash_window, at least
  // crash_budget crashes, timeouts or lost connections are at least failure_rate of the calls.
  int crash_budget = 3;
  std::chrono::seconds crash_window{60};
  double failure_rate = 0.25;
  // What the supervisor reads the time from for its crash window, backoff, quarantine and
  // reconnection periods; tests pass a clock they advance, so no test waits for a period to pass.
  std::function<std::chrono::steady_clock::time_point()> clock = &std::chrono::steady_clock::now;
  // How long a quarantine lasts; 0 = for the host's lifetime (one CLI run). Attached plugins,
  // which the host cannot restart, always use crash_window. When it ends one trial call at a time
  // goes through: a success ends the quarantine, a failure starts another, twice as long (up to
  // 16x).
  std::chrono::seconds quarantine_period{0};
  std::chrono::milliseconds shutdown_grace{2000};
  // Path-mode calls go down ComparePipe to plugins that serve it (docs/plugin-protocol.md);
  // false: every call is a Compare RPC (the bench and the parity tests compare the two).
  bool compare_pipe = true;
  // The user's ceiling on every limit (--plugin-limits, DELTASCOPE_PLUGIN_LIMITS, the config's
  // plugins.limits): no manifest gets more (ResolveLimits).
  LimitCeiling limit_ceiling;
};

// Sets `options.sandbox` and `sandbox_is_floor` from a --sandbox value: "" (not chosen) is
// standard, and manifests may say otherwise; a named mode is a floor.
absl::Status SetSandboxChoice(const std::string& choice, HostOptions& options);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_HOST_OPTIONS_H_
