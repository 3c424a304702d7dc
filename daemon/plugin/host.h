// The plugin host: finds plugins (manifests on the search path, Python entry points), keeps a
// supervisor per plugin, and registers each served comparator in the engine's registry at its
// declared position, so the engine cannot tell a plugin from a built-in.
#ifndef DELTASCOPE_DAEMON_PLUGIN_HOST_H_
#define DELTASCOPE_DAEMON_PLUGIN_HOST_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/registry.h"
#include "daemon/plugin/manifest.h"
#include "daemon/plugin/supervisor.h"
#include "daemon/util/temp_dir.h"

namespace deltascope {

struct PluginSearchOptions {
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir, searched first
  bool use_environment = true;                     // $DELTASCOPE_PLUGIN_PATH
  bool use_user_dir = true;                        // $XDG_CONFIG_HOME/deltascope/plugins.d
  bool use_system_dir = true;                      // /etc/deltascope/plugins.d
  // Interpreters whose `deltascope.plugins` entry points are plugins (--python,
  // $DELTASCOPE_PYTHON): one without the SDK is reported as a problem.
  std::vector<std::string> python_interpreters;
  // Interpreters asked quietly (the defaults): without the SDK they simply have no plugins.
  std::vector<std::string> quiet_python_interpreters;
  // Signature policy (signing.h): when set, a plugin without a valid signature by one of
  // `trusted_keys` (public keys, PEM) is disabled, and its executable is checked again at
  // every start. Entry-point plugins have no manifest to sign: they are disabled too.
  bool require_signed = false;
  std::vector<std::filesystem::path> trusted_keys;
  // Glob patterns on plugin names: enabled unless a `disable` pattern matches and no `enable`
  // pattern does.
  std::vector<std::string> enable, disable;
};

// The user's registration folder.
std::filesystem::path UserPluginDir();
// The folders searched, in order.
std::vector<std::filesystem::path> PluginSearchPath(const PluginSearchOptions& options);

// One plugin found on the search path, usable or not.
struct FoundPlugin {
  std::filesystem::path file;  // manifest (or the interpreter, for entry points)
  std::optional<Manifest> manifest;
  std::string disabled_reason;  // set when it cannot or must not be used
};

// Every manifest on the search path and every Python entry point. Invalid manifests, duplicate
// names (the first one found wins) and plugins disabled by pattern come with their reason.
std::vector<FoundPlugin> FindPlugins(const PluginSearchOptions& options);

class PluginHost {
 public:
  // `options.runtime_dir` is created here when empty.
  static absl::StatusOr<std::unique_ptr<PluginHost>> Create(std::vector<FoundPlugin> found,
                                                            HostOptions options);
  ~PluginHost();

  // Registers the comparators of every usable plugin. A comparator name taken by a built-in
  // or another plugin disables the later plugin, with its reason.
  void RegisterComparators(ComparatorRegistry& registry);

  const std::vector<FoundPlugin>& found() const { return found_; }
  // The supervisor of a usable plugin, or null.
  PluginSupervisor* Find(const std::string& name) const;
  std::vector<PluginSupervisor*> supervisors() const;

  // Stops every plugin process (also done by the destructor).
  void Shutdown();

 private:
  PluginHost() = default;
  std::vector<FoundPlugin> found_;
  HostOptions options_;
  std::optional<TempDir> runtime_dir_;
  std::vector<std::shared_ptr<PluginSupervisor>> supervisors_;
};

// The Comparator the engine sees for one comparator served by a plugin.
std::shared_ptr<Comparator> MakePluginComparator(std::shared_ptr<PluginSupervisor> supervisor,
                                                 const ComparatorClaim& claim,
                                                 std::vector<std::filesystem::path> content_roots);

// Python entry points of `interpreter` as manifests, cached (in $XDG_CACHE_HOME/deltascope) until
// that environment changes: the interpreter, its pyvenv.cfg or any folder it imports from (a
// pip install touches its site-packages). `quiet`: an interpreter that fails or lacks the SDK
// yields nothing instead of a disabled entry.
std::vector<FoundPlugin> FindPythonPlugins(const std::string& interpreter, bool quiet = false);
// The interpreters asked when none is named: the active virtual environment's
// ($VIRTUAL_ENV/bin/python) and `python3` on $PATH (once if both are the same environment).
std::vector<std::string> DefaultPythonInterpreters();
// Sets the interpreters of `options`: `named` (--python), else $DELTASCOPE_PYTHON (colon-
// separated), else, quietly, DefaultPythonInterpreters(). None with `no_python`
// (--no-python-plugins) or $DELTASCOPE_NO_PYTHON_PLUGINS set to anything but "" or "0".
void ChoosePythonInterpreters(const std::vector<std::string>& named, bool no_python,
                              PluginSearchOptions& options);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_HOST_H_
