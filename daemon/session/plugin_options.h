// What the user chose about plugins, turned once into the plugin host's search and run options.
// Both front ends fill PluginOptions from their flags (and config); nothing else builds them.
#ifndef DELTASCOPE_DAEMON_SESSION_PLUGIN_OPTIONS_H_
#define DELTASCOPE_DAEMON_SESSION_PLUGIN_OPTIONS_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/plugin/host.h"
#include "daemon/plugin/host_options.h"
#include "daemon/session/comparator_source.h"

namespace deltascope {

struct PluginOptions {
  bool enabled = true;                   // false: built-in comparators only (--no-plugins)
  std::vector<std::string> plugin_dirs;  // --plugin-dir, searched first
  std::vector<std::string> python;       // --python; empty: $DELTASCOPE_PYTHON or the defaults
  bool no_python_plugins = false;        // --no-python-plugins
  std::string sandbox;                   // --sandbox; "": not chosen (manifests may choose)
  // The user's ceiling on plugin limits: --plugin-limits over $DELTASCOPE_PLUGIN_LIMITS over the
  // config's plugins.limits.
  std::string limits;
  std::map<std::string, std::string> config_limits;
  std::vector<std::string> enable, disable;  // name patterns (the config's plugins.enable/...)
  bool require_signed = false;               // --require-signed, plugins.require_signed
  std::vector<std::string> trusted_keys;     // --trusted-key, plugins.trusted_keys
  std::vector<std::filesystem::path> content_roots;  // visible read-only to standard plugins
  std::chrono::seconds quarantine_period{0};         // 0: for the host's lifetime
  PluginLogSink log;                                 // where plugins' output goes; none: dropped
  PluginEventSink events;  // crashes, timeouts, quarantines... as they happen; none: dropped
};

// Where plugins are looked for and which are allowed.
PluginSearchOptions SearchOptionsOf(const PluginOptions& options);

// The host's options, resolved: fails on a bad --sandbox or limit.
struct PluginSetup {
  PluginSearchOptions search;
  HostOptions host;
};
absl::StatusOr<PluginSetup> ResolvePluginOptions(const PluginOptions& options);

// The snapshots' folders (a file snapshot's parent), canonical: what standard-sandbox plugins
// may read. Snapshots that do not exist are left out (the diff reports them).
std::vector<std::filesystem::path> ContentRoots(const std::vector<std::string>& snapshots);

// Finds the plugins and starts a host (processes start lazily, on first use). With plugins
// disabled the host has none. Used by `deltascope plugins ...`; diffs use OpenComparators.
absl::StatusOr<std::unique_ptr<PluginHost>> StartPluginHost(const PluginOptions& options);

// The comparators diffs draw from: built-ins, plus the plugins found when enabled.
absl::StatusOr<std::shared_ptr<ComparatorSource>> OpenComparators(const PluginOptions& options);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SESSION_PLUGIN_OPTIONS_H_
