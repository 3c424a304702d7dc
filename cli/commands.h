// The CLI's subcommands. Each registers itself on the app and, when it runs, stores the
// process exit status in `*exit_code` (diff(1) convention: 0 no changes, 1 changes, 2 trouble).
#ifndef DELTASCOPE_CLI_COMMANDS_H_
#define DELTASCOPE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "absl/strings/string_view.h"

namespace deltascope::cli {

inline constexpr int kExitNoChanges = 0;
inline constexpr int kExitChanges = 1;
inline constexpr int kExitTrouble = 2;

void AddDiffCommand(CLI::App& app, int* exit_code);
void AddChangelogCommand(CLI::App& app, int* exit_code);

// Prints "deltascope: <message>" on standard error.
void PrintError(absl::string_view message);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_COMMANDS_H_
