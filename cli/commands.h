// The CLI's subcommands. Each registers itself on the app and, when it runs, stores the
// process exit status in `*exit_code` (diff(1) convention: 0 no changes, 1 changes, 2 trouble).
#ifndef DELTASCOPE_CLI_COMMANDS_H_
#define DELTASCOPE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/plugin/host.h"

namespace deltascope::cli {

inline constexpr int kExitNoChanges = 0;
inline constexpr int kExitChanges = 1;
inline constexpr int kExitTrouble = 2;

// Plugin discovery and sandbox flags, shared by `diff` and `plugins`.
struct PluginFlags {
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> python;
  std::string sandbox;       // empty: not chosen (standard, and manifests may say otherwise)
  std::string reply_limits;  // the user's ceiling, "reply_nodes=5000,summary_size=1KiB"
  bool no_plugins = false;
  bool plugin_logs = false;
  std::vector<std::string> enable, disable;  // name patterns (from the config)
};
void AddPluginFlags(CLI::App* cmd, PluginFlags& flags);
PluginSearchOptions SearchOptions(const PluginFlags& flags);
// Finds the plugins and starts a host for them (processes start lazily, on first use).
absl::StatusOr<std::unique_ptr<PluginHost>> StartPluginHost(
    const PluginFlags& flags, std::vector<std::filesystem::path> content_roots);

void AddDiffCommand(CLI::App& app, int* exit_code);
void AddPluginsCommand(CLI::App& app, int* exit_code);
void AddDaemonCommand(CLI::App& app, int* exit_code);
void AddChangelogCommand(CLI::App& app, int* exit_code);

// Prints "deltascope: <message>" on standard error, the message escaped for the terminal on one
// line (EscapeForTerminal).
void PrintError(absl::string_view message);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_COMMANDS_H_
