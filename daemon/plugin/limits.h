// Plugin limits: what a manifest's `limits:` block sets, the user's ceiling on them
// (--plugin-limits, DELTASCOPE_PLUGIN_LIMITS, the config's `plugins.limits`) and the limits a
// plugin finally runs under. One parser for every duration and byte size of both.
#ifndef DELTASCOPE_DAEMON_PLUGIN_LIMITS_H_
#define DELTASCOPE_DAEMON_PLUGIN_LIMITS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/sandbox/sandbox.h"
#include "deltascope/plugin/v1/comparator.pb.h"

namespace deltascope {

// Largest reply gRPC receives from a plugin (the channels' receive limit): the ceiling of
// ReplyLimits::bytes.
inline constexpr int kMaxPluginResponseBytes =
    ::deltascope::plugin::v1::REPLY_BOUND_MAX_REPLY_BYTES;

// What one Compare reply may cost the host. Past `bytes` or the nesting limits the reply is
// refused; past the others it is cut, and the cut is reported.
struct ReplyLimits {
  uint64_t bytes = kMaxPluginResponseBytes;  // the encoded reply
  uint64_t nodes = 10000;                    // DiffNodes, the top one included; EXPAND children
  uint64_t summary_bytes = 4096;             // each node's summary
  uint64_t details_bytes = 1 << 20;          // the encoded details of all nodes together
};

// Limits by manifest key (docs/plugins.md, "Limits").
struct PluginLimits {
  std::chrono::milliseconds startup_timeout{10000};
  std::chrono::milliseconds call_timeout{10000};
  int max_instances = 0;  // 0: one per core
  // Resource limits of each process; unset means the sandbox mode's default
  // (DefaultResourceLimits), 0 means unlimited.
  std::optional<uint64_t> memory_bytes;     // memory: address space
  std::optional<uint64_t> cpu_seconds;      // cpu: CPU time over the process's life
  std::optional<uint64_t> open_files;       // open_files: descriptors
  std::optional<uint64_t> file_size_bytes;  // file_size: largest file it may write
  std::optional<uint64_t> processes;        // processes: 1 = no child processes (threads only)
  // What one reply may cost the host (ReplyLimits); unset means the user's value or the default.
  std::optional<uint64_t> reply_bytes;    // reply_size
  std::optional<uint64_t> reply_nodes;    // reply_nodes
  std::optional<uint64_t> summary_bytes;  // summary_size
  std::optional<uint64_t> details_bytes;  // details_size
};

// Every key, in documented order.
const std::vector<std::string>& PluginLimitKeys();

// Sets `key` of `out` from its text: durations ("10s", "500ms", "2m", "1h"; a bare number is
// seconds), byte sizes ("512MiB", "1GiB", "4096") or whole numbers. Errors read
// "KEY: reason" or "unknown limit 'KEY' (known: ...)".
absl::Status SetPluginLimit(const std::string& key, const std::string& value, PluginLimits& out);

// SetPluginLimit for each entry; errors are prefixed "WHERE: ".
absl::Status ParsePluginLimits(const std::map<std::string, std::string>& limits,
                               const std::string& where, PluginLimits& out);

// The user's ceiling: for each key it names, no manifest gets more.
struct LimitCeiling {
  PluginLimits values;         // meaningful for `keys` only
  std::set<std::string> keys;  // what the user set
  std::string source;          // where from, e.g. "--plugin-limits"
};

// Parses "call_timeout=30s,memory=1GiB" (keys as in a manifest). An empty text sets nothing.
// Errors are one line naming `source` and the key.
absl::StatusOr<LimitCeiling> ParseLimitCeiling(const std::string& text, const std::string& source);
// The same from a key → value map (the config's `plugins.limits`).
absl::StatusOr<LimitCeiling> LimitCeilingFromMap(const std::map<std::string, std::string>& limits,
                                                 const std::string& source);

// Where a user sets the ceiling, by precedence: the command line's --plugin-limits, then the
// DELTASCOPE_PLUGIN_LIMITS environment variable, then the config's `plugins.limits`. Each key is
// taken from the first place that names it. Errors name the key and the place.
inline constexpr char kPluginLimitsEnv[] = "DELTASCOPE_PLUGIN_LIMITS";
absl::StatusOr<LimitCeiling> UserLimitCeiling(const std::string& flag,
                                              const std::map<std::string, std::string>& config);

// What a plugin runs under: min(manifest or default, user's ceiling) for every limit; for reply
// limits the user's value replaces the default and a manifest may only lower it.
struct EffectiveLimits {
  std::chrono::milliseconds startup_timeout;
  std::chrono::milliseconds call_timeout;
  int max_instances;  // resolved: at least 1
  ResourceLimits resources;
  ReplyLimits reply;
  // The keys the user's ceiling lowered below what the manifest (or the default) gave.
  std::vector<std::string> lowered;
};
EffectiveLimits ResolveLimits(const PluginLimits& manifest, const LimitCeiling& ceiling,
                              SandboxMode mode);

// "10s", "500ms", "2m", "1.5h" (absl::ParseDuration), or a bare number of seconds.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text);
// A whole number of bytes, optionally with a 1024-based unit: B, KiB, MiB, GiB, TiB (K/KB, M/MB,
// G/GB, T/TB mean the same). "512MiB", "1G", "1048576".
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_LIMITS_H_
