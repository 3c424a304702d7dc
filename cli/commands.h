// The CLI's subcommands. Each registers itself on the app and, when it runs, stores the
// process exit status in `*exit_code` (diff(1) convention: 0 no changes, 1 changes, 2 trouble).
#ifndef DELTASCOPE_CLI_COMMANDS_H_
#define DELTASCOPE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/session/diff_session.h"
#include "daemon/session/plugin_options.h"

namespace deltascope::cli {

// Plugin discovery and sandbox flags, shared by `diff` and `plugins`: the shared plugin flags
// (daemon/session/plugin_flags.h, deltascoped's too), and the CLI's own --plugin-logs.
struct PluginFlags {
  PluginOptions options;  // the config fills in enable/disable, limits, trusted keys
  bool plugin_logs = false;
};
void AddPluginFlags(CLI::App* cmd, PluginFlags& flags);
// The flags as the session's plugin options (built once there: search path, sandbox, limits).
PluginOptions ToPluginOptions(const PluginFlags& flags,
                              std::vector<std::filesystem::path> content_roots);
// Finds the plugins and starts a host for them (processes start lazily, on first use), for
// `deltascope plugins ...`; plugin processes are killed when deltascope is interrupted.
absl::StatusOr<std::unique_ptr<PluginHost>> StartPluginHost(
    const PluginFlags& flags, std::vector<std::filesystem::path> content_roots);

void AddDiffCommand(CLI::App& app, int* exit_code);
void AddPluginsCommand(CLI::App& app, int* exit_code);
// `plugins keygen | sign | verify` (plugins_signing_command.cc), under `plugins`.
void AddPluginSigningCommands(CLI::App* plugins, int* exit_code);
// `plugins new` (plugins_new_command.cc), under `plugins`.
void AddPluginNewCommand(CLI::App* plugins, int* exit_code);
void AddDaemonCommand(CLI::App& app, int* exit_code);
void AddChangelogCommand(CLI::App& app, int* exit_code);

// Prints "deltascope: <message>" on standard error, the message escaped for the terminal on one
// line (EscapeForTerminal).
void PrintError(absl::string_view message);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_COMMANDS_H_
