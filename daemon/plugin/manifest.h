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
#include "daemon/plugin/limits.h"
#include "daemon/sandbox/sandbox.h"

namespace deltascope {

struct ComparatorClaim {
  ComparatorDescriptor descriptor;
  // Pipeline position: just before / after a named comparator, else kOrderPlugin.
  std::string before;
  std::string after;
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
  PluginLimits limits;  // as the manifest sets them (ResolveLimits applies the user's ceiling)
  ContentDelivery content = ContentDelivery::kPath;
  // Sandbox: unset means the host-wide default; `trusted: true` means off.
  std::optional<SandboxMode> sandbox;
  bool trusted = false;
  std::vector<std::filesystem::path> sandbox_read_only;  // extra read-only paths it needs
  // Where the plugin came from: "manifest" or "entry-point (dist 1.0)".
  std::string source = "manifest";

  bool attached() const { return !endpoint.empty(); }
};

// What the sandbox shows a process of this plugin read-only, besides the system's folders: the
// manifest's `sandbox.read_only`, the executable's own files (ExecutableOwnPaths) and the
// manifest's folder (when ShowableFolder).
std::vector<std::filesystem::path> SandboxReadOnlyPaths(const Manifest& manifest);

// Checks an `endpoint` value: "unix:///absolute/path" or "dns:///host:port".
absl::Status ValidateEndpoint(const std::string& endpoint);

// Parses a manifest file. Errors read "FILE:LINE: reason".
absl::StatusOr<Manifest> ParseManifestFile(const std::filesystem::path& file);
// Parses manifest text; `file` names it in errors and anchors relative commands.
absl::StatusOr<Manifest> ParseManifest(const std::string& text, const std::filesystem::path& file);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_MANIFEST_H_
