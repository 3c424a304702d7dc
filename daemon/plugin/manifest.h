// Plugin manifests (`*.plugin.yaml`): who a plugin is, how to start it, what it claims, its
// limits and sandbox policy. Parsing errors name the file and line.
#ifndef DELTASCOPE_DAEMON_PLUGIN_MANIFEST_H_
#define DELTASCOPE_DAEMON_PLUGIN_MANIFEST_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/comparator.h"
#include "daemon/sandbox/sandbox.h"

namespace deltascope {

struct ComparatorClaim {
  ComparatorDescriptor descriptor;
  // Pipeline position: just before / after a named comparator, else kOrderPlugin.
  std::string before;
  std::string after;
};

struct PluginLimits {
  std::chrono::milliseconds startup_timeout{10000};
  std::chrono::milliseconds call_timeout{10000};
  int max_instances = 0;  // 0: one per core
  // Resource limits of each process; unset means the sandbox mode's default (see
  // EffectiveResourceLimits), 0 means unlimited.
  std::optional<uint64_t> memory_bytes;     // address space
  std::optional<uint64_t> cpu_seconds;      // CPU time over the process's life
  std::optional<uint64_t> open_files;       // descriptors
  std::optional<uint64_t> file_size_bytes;  // largest file it may write
  std::optional<uint64_t> processes;        // 1: no child processes (threads only)
  // What one reply may cost the host (ReplyLimits, daemon/plugin/reply.h); a manifest may lower
  // the host's values, never raise them.
  std::optional<uint64_t> reply_bytes;    // reply_size
  std::optional<uint64_t> reply_nodes;    // reply_nodes
  std::optional<uint64_t> summary_bytes;  // summary_size
  std::optional<uint64_t> details_bytes;  // details_size
};

enum class ContentDelivery { kPath, kStream };

struct Manifest {
  std::filesystem::path file;  // where it was read from
  // What relative paths in it (command, sandbox.read_only) resolve against, and the plugin's
  // working directory: the manifest's folder, or its `root:` (which `plugins register` writes).
  std::filesystem::path root;
  std::string name;
  std::string version;
  int protocol = 1;
  // Absolute executable (resolved against the manifest's folder or PATH); empty when attached.
  std::filesystem::path command;
  // An attached plugin's address ("unix:///path" or "dns:///host:port"): it is already running
  // and is connected to, never started. Empty for plugins deltascope spawns.
  std::string endpoint;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string sha256;  // optional, lower-case hex
  std::vector<ComparatorClaim> comparators;
  PluginLimits limits;
  ContentDelivery content = ContentDelivery::kPath;
  // Sandbox: unset means the host-wide default; `trusted: true` means off.
  std::optional<SandboxMode> sandbox;
  bool trusted = false;
  std::vector<std::filesystem::path> sandbox_read_only;  // extra read-only paths it needs
  // Where the plugin came from: "manifest" or "entry-point (dist 1.0)".
  std::string source = "manifest";

  bool attached() const { return !endpoint.empty(); }
};

// The resource limits a process of this plugin runs under in `mode`: the manifest's, else the
// mode's defaults (DefaultResourceLimits).
ResourceLimits EffectiveResourceLimits(const PluginLimits& limits, SandboxMode mode);

// What the sandbox shows a process of this plugin read-only, besides the system's folders: the
// manifest's `sandbox.read_only`, the executable's own files (ExecutableOwnPaths) and the
// manifest's folder (when ShowableFolder).
std::vector<std::filesystem::path> SandboxReadOnlyPaths(const Manifest& manifest);

// Parses limits given as in a manifest's `limits:` block (key → text, e.g. "call_timeout" →
// "2s") into `out`, keeping what is not given. Errors name `where`.
absl::Status ParsePluginLimits(const std::map<std::string, std::string>& limits,
                               const std::string& where, PluginLimits& out);

// Checks an `endpoint` value: "unix:///absolute/path" or "dns:///host:port".
absl::Status ValidateEndpoint(const std::string& endpoint);

// Parses a manifest file. Errors read "FILE:LINE: reason".
absl::StatusOr<Manifest> ParseManifestFile(const std::filesystem::path& file);
// Parses manifest text; `file` names it in errors and anchors relative commands.
absl::StatusOr<Manifest> ParseManifest(const std::string& text, const std::filesystem::path& file);

// "10s", "500ms", "2m" → duration.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text);
// "512MiB", "1G", "1048576" → bytes.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_MANIFEST_H_
