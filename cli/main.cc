// deltascope: the missing changelog for datasets.
#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace deltascope::cli;
  using deltascope::kExitNoChanges, deltascope::kExitTrouble;
  CLI::App app{"deltascope: says what changed between snapshots of a dataset", "deltascope"};
  app.set_version_flag("--version", std::string("deltascope ") + DELTASCOPE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  deltascope diff old/ new/                 Markdown changelog on standard output\n"
      "  deltascope diff v1 v2 v3 -o changes.json  v1→v2 and v2→v3, as JSON\n"
      "  deltascope changelog changes.json         re-render a saved changeset\n"
      "Exit status: 0 no changes, 1 changes found, 2 trouble.");
  int exit_code = kExitNoChanges;
  AddDiffCommand(app, &exit_code);
  AddChangelogCommand(app, &exit_code);
  AddPluginsCommand(app, &exit_code);
  AddDaemonCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    PrintError(e.what());
    return kExitTrouble;
  }
  return exit_code;
}
