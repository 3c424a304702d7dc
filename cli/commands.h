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

// Plugin discovery and sandbox flags, shared by `diff` and `plugins`.
struct PluginFlags {
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> python;
  std::string sandbox;  // empty: not chosen (standard, and manifests may say otherwise)
  // The user's ceiling on plugin limits: --plugin-limits "call_timeout=30s,memory=1GiB", over
  // $DELTASCOPE_PLUGIN_LIMITS, over the config's plugins.limits (UserLimitCeiling).
  std::string limits;
  std::map<std::string, std::string> config_limits;
  bool no_plugins = false;
  bool no_python_plugins = false;
  bool plugin_logs = false;
  std::vector<std::string> enable, disable;  // name patterns (from the config)
  bool require_signed = false;               // --require-signed, plugins.require_signed
  std::vector<std::string> trusted_keys;     // --trusted-key, plugins.trusted_keys
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
