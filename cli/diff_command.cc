// `deltascope diff` and `deltascope changelog`.
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/input_checks.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "daemon/config/config.h"
#include "daemon/plugin/process.h"
#include "daemon/render/json.h"
#include "daemon/util/fd.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope::cli {

void PrintError(absl::string_view message) {
  // Messages quote plugins (their errors, their stderr) and file names: escaped, one line.
  std::fprintf(stderr, "deltascope: %s\n", EscapeForTerminal(message).c_str());
}

namespace {

struct RenderFlags {
  std::string format = "markdown";
  std::vector<std::string> outputs;
  bool quiet = false;
  bool group = false;
  std::vector<MarkdownGroup> groups;  // from the config; empty: clerical vs substantive
  size_t collapse_threshold = MarkdownOptions{}.collapse_threshold;  // from the config
};

void AddRenderFlags(CLI::App* cmd, RenderFlags& flags) {
  cmd->add_option("--format", flags.format,
                  "Output format on standard output: markdown, json or html")
      ->capture_default_str();
  cmd->add_option("-o,--output", flags.outputs,
                  "Write to [format:]path (repeatable; format from the extension, '-' is stdout)");
  cmd->add_flag("-q,--quiet", flags.quiet, "Print nothing; report only through the exit status");
  cmd->add_flag("--group", flags.group, "Group the Markdown changelog: substantive, then clerical");
}

// Renders to every requested output. Returns false (after printing why) on trouble.
bool Emit(const std::vector<Changeset>& changesets, const RenderFlags& flags) {
  absl::StatusOr<Format> format = ParseFormat(flags.format);
  if (!format.ok()) {
    PrintError(format.status().message());
    return false;
  }
  std::vector<OutputSpec> specs;
  for (const std::string& raw : flags.outputs) {
    absl::StatusOr<OutputSpec> spec = ParseOutputSpec(raw, *format);
    if (!spec.ok()) {
      PrintError(spec.status().message());
      return false;
    }
    specs.push_back(*spec);
  }
  if (specs.empty() && !flags.quiet) specs.push_back({*format, "-"});
  MarkdownOptions markdown;
  markdown.collapse_threshold = flags.collapse_threshold;
  if (flags.group) {
    markdown.groups = flags.groups.empty() ? ClericalSubstantiveGroups() : flags.groups;
  }
  if (absl::Status s = WriteOutputs(changesets, specs, markdown); !s.ok()) {
    PrintError(s.message());
    return false;
  }
  return true;
}

// The config's output and markdown settings, where the command line left them unset.
void ApplyRenderConfig(const CLI::App& cmd, const Config& config, RenderFlags& render) {
  auto unset = [&cmd](const char* flag) { return cmd.count(flag) == 0; };
  if (config.output_format && unset("--format")) render.format = *config.output_format;
  if (unset("--group")) render.group = config.GroupByDefault();
  render.groups = config.markdown_groups;
  if (config.markdown_collapse_threshold) {
    render.collapse_threshold = static_cast<size_t>(*config.markdown_collapse_threshold);
  }
}

struct DiffFlags {
  std::vector<std::string> snapshots;
  long long jobs = 0;  // 0: one per core; else checked and capped by CheckJobs
  std::string comparators;
  bool no_moves = false;
  DaemonTarget daemon;  // run in deltascoped at this target instead of in-process
  PluginFlags plugins;
  RenderFlags render;
  std::string config_path;
  Config config;
  std::vector<std::string> keys;     // --key, as given
  std::vector<TableKey> table_keys;  // --key, parsed: they win over the config's tables
};

// Parses --key. False (after printing why) on trouble.
bool ParseKeys(DiffFlags& flags) {
  for (const std::string& spec : flags.keys) {
    absl::StatusOr<TableKey> key = ParseKeyOption(spec);
    if (!key.ok()) {
      PrintError(key.status().message());
      return false;
    }
    flags.table_keys.push_back(*std::move(key));
  }
  return true;
}

// Loads --config and fills in what the command line left unset. False (after printing why) on
// trouble.
bool MergeConfig(const CLI::App& cmd, DiffFlags& flags) {
  if (flags.config_path.empty()) return true;
  absl::StatusOr<Config> config = LoadConfig(flags.config_path);
  if (!config.ok()) {
    PrintError(config.status().message());
    return false;
  }
  auto unset = [&cmd](const char* flag) { return cmd.count(flag) == 0; };
  if (config->comparators && unset("--comparators")) {
    flags.comparators = absl::StrJoin(*config->comparators, ",");
  }
  if (config->moves && unset("--no-moves")) flags.no_moves = !*config->moves;
  ApplyRenderConfig(cmd, *config, flags.render);
  flags.plugins.options.enable = config->plugins_enable;
  flags.plugins.options.disable = config->plugins_disable;
  flags.plugins.options.config_limits = config->plugins_limits;
  if (config->plugins_require_signed && unset("--require-signed")) {
    flags.plugins.options.require_signed = *config->plugins_require_signed;
  }
  // Keys named in the config are relative to its folder, and add to --trusted-key.
  for (const std::string& key : config->plugins_trusted_keys) {
    flags.plugins.options.trusted_keys.push_back(
        (std::filesystem::path(flags.config_path).parent_path() / key).string());
  }
  flags.config = *std::move(config);
  return true;
}

int RunDiffInDaemon(const DiffFlags& flags) {
  if (!flags.plugins.options.limits.empty() || !flags.plugins.options.config_limits.empty()) {
    PrintError(absl::StrCat(
        flags.plugins.options.limits.empty() ? "the config's plugins.limits" : "--plugin-limits",
        " does not apply with --daemon: the daemon's plugins run under its operator's limits "
        "(deltascoped --plugin-limits or its config's plugins.limits)"));
    return kExitTrouble;
  }
  DaemonDiffRequest request;
  request.daemon = flags.daemon;
  request.snapshots = flags.snapshots;
  if (!flags.comparators.empty()) {
    request.comparators = absl::StrSplit(flags.comparators, ',', absl::SkipWhitespace());
  }
  request.jobs = static_cast<int>(flags.jobs);
  request.detect_moves = !flags.no_moves;
  if (!flags.config_path.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(flags.config_path);
    if (!text.ok()) {
      PrintError(absl::StrCat(flags.config_path, ": ", text.status().message()));
      return kExitTrouble;
    }
    request.config_yaml = *std::move(text);
  }
  if (!flags.table_keys.empty()) {  // the daemon reads table keys from the config text
    absl::StatusOr<std::string> yaml =
        ConfigYamlWithTableKeys(request.config_yaml, flags.table_keys);
    if (!yaml.ok()) {
      PrintError(yaml.status().message());
      return kExitTrouble;
    }
    request.config_yaml = *std::move(yaml);
  }
  absl::StatusOr<DiffOutcome> outcome = DiffViaDaemon(request);
  if (!outcome.ok()) {
    PrintError(outcome.status().message());
    return kExitTrouble;
  }
  if (!Emit(outcome->changesets, flags.render)) return kExitTrouble;
  return outcome->exit_status;  // the daemon's session computed it
}

// Draws the progress line of each pair while it runs.
class ProgressObserver : public DiffObserver {
 public:
  ProgressObserver(bool enabled, const std::vector<std::string>& snapshots)
      : enabled_(enabled), snapshots_(snapshots) {}
  void PairStarted(size_t index, const DiffProgress& progress) override {
    line_.emplace(progress, enabled_, snapshots_[index], snapshots_[index + 1]);
  }
  void PairEnded(size_t) override { line_.reset(); }

 private:
  const bool enabled_;
  const std::vector<std::string>& snapshots_;
  std::optional<ProgressLine> line_;
};

int RunDiff(const DiffFlags& flags) {
  if (!flags.daemon.target.empty()) return RunDiffInDaemon(flags);
  // Ctrl-C: plugins killed, scratch folders removed, the progress line erased, exit 130.
  KillPluginsOnTerminationSignals();
  // Plugins see the snapshots read-only (standard sandbox); anything else is streamed to them.
  absl::StatusOr<std::shared_ptr<ComparatorSource>> comparators =
      OpenComparators(ToPluginOptions(flags.plugins, ContentRoots(flags.snapshots)));
  if (!comparators.ok()) {
    PrintError(comparators.status().message());
    return kExitTrouble;
  }
  if (!flags.render.quiet) {
    for (const FoundPlugin& p : (*comparators)->Found()) {
      if (p.disabled_reason.empty()) continue;
      PrintError(absl::StrCat("plugin ", p.manifest ? p.manifest->name : p.file.string(),
                              " disabled: ", p.disabled_reason));
    }
  }
  SessionOptions options;
  options.comparators = *std::move(comparators);
  if (!flags.comparators.empty()) {
    options.comparator_names = absl::StrSplit(flags.comparators, ',', absl::SkipWhitespace());
  }
  options.jobs = static_cast<int>(flags.jobs);
  options.detect_moves = !flags.no_moves;
  options.table_keys = flags.table_keys;
  options.config = flags.config;
  absl::StatusOr<std::unique_ptr<DiffSession>> session = DiffSession::Open(std::move(options));
  if (!session.ok()) {
    PrintError(session.status().message());
    return kExitTrouble;
  }
  std::vector<Snapshot> snapshots;
  for (const std::string& s : flags.snapshots) snapshots.push_back({s, s});
  ProgressObserver observer(!flags.render.quiet, flags.snapshots);
  absl::StatusOr<DiffOutcome> outcome = (*session)->Diff(snapshots, &observer);
  if (!outcome.ok()) {
    PrintError(outcome.status().message());
    return kExitTrouble;
  }
  if (!Emit(outcome->changesets, flags.render)) return kExitTrouble;
  return outcome->exit_status;
}

struct ChangelogFlags {
  std::vector<std::string> files;
  std::string config_path;
  RenderFlags render;
};

int RunChangelog(const CLI::App& cmd, ChangelogFlags& flags) {
  if (!flags.config_path.empty()) {
    absl::StatusOr<Config> config = LoadConfig(flags.config_path);
    if (!config.ok()) {
      PrintError(config.status().message());
      return kExitTrouble;
    }
    ApplyRenderConfig(cmd, *config, flags.render);
  }
  std::vector<Changeset> all;
  for (const std::string& file : flags.files) {
    absl::StatusOr<std::string> text = ReadFileToString(file);
    if (!text.ok()) {
      PrintError(text.status().message());
      return kExitTrouble;
    }
    absl::StatusOr<std::vector<Changeset>> parsed = ParseJson(*text, file);
    absl::Status valid =
        parsed.ok()
            ? CheckChangesets(*parsed, file,
                              absl::StartsWith(absl::StripLeadingAsciiWhitespace(*text), "["))
            : parsed.status();
    if (!valid.ok()) {
      PrintError(valid.message());
      return kExitTrouble;
    }
    for (Changeset& cs : *parsed) all.push_back(std::move(cs));
  }
  if (!Emit(all, flags.render)) return kExitTrouble;
  return ExitStatusOf(all);
}

}  // namespace

void AddDiffCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<DiffFlags>();
  CLI::App* cmd = app.add_subcommand("diff", "Say what changed between snapshots A → B (→ C ...)");
  cmd->add_option("snapshots", flags->snapshots, "Two or more snapshots: folders or archives")
      ->required()
      ->expected(2, -1);
  cmd->add_option("-j,--jobs", flags->jobs,
                  "Worker threads (default: one per core; at most 4 per core and 256)");
  cmd->add_option("--comparators", flags->comparators,
                  "Comparators to use, in priority order, comma-separated (e.g. csv,text); "
                  "directory and binary are always appended as fallbacks");
  cmd->add_flag("--no-moves", flags->no_moves, "Do not detect moved and copied files");
  cmd->add_option("--config", flags->config_path,
                  "YAML config file (docs/config.md); command-line flags override it");
  cmd->add_option("--key", flags->keys,
                  "Key columns of the tables matching GLOB (default: every table), e.g. "
                  "--key 'airports*.csv:icao'; repeatable; overrides the config and the inferred "
                  "key")
      ->type_name("[GLOB:]COL[,COL]")
      ->allow_extra_args(false);  // one value per --key: "--key id a/ b/" leaves a/ b/ alone
  AddPluginFlags(cmd, flags->plugins);
  AddDaemonFlags(cmd, flags->daemon);
  AddRenderFlags(cmd, flags->render);
  cmd->footer(
      "Examples:\n"
      "  deltascope diff data-2024/ data-2025/\n"
      "  deltascope diff v1.zip v2.zip --format json\n"
      "  deltascope diff a/ b/ -o changes.json -o CHANGELOG.md --group\n"
      "  deltascope diff old/ new/ --key 'airports.csv:icao'");
  cmd->callback([flags, exit_code, cmd] {
    if (cmd->count("--jobs") > 0) {
      std::string note;
      absl::StatusOr<int> jobs =
          CheckJobs(flags->jobs, static_cast<int>(std::thread::hardware_concurrency()), &note);
      if (!jobs.ok()) {
        PrintError(jobs.status().message());
        *exit_code = kExitTrouble;
        return;
      }
      if (!note.empty() && !flags->render.quiet) PrintError(note);
      flags->jobs = *jobs;
    }
    *exit_code = MergeConfig(*cmd, *flags) && ParseKeys(*flags) ? RunDiff(*flags) : kExitTrouble;
  });
}

void AddChangelogCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ChangelogFlags>();
  CLI::App* cmd =
      app.add_subcommand("changelog", "Re-render saved JSON changesets (as Markdown by default)");
  cmd->add_option("changesets", flags->files, "JSON files written by 'deltascope diff'")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", flags->config_path,
                  "YAML config file: its output and markdown settings (docs/config.md)");
  AddRenderFlags(cmd, flags->render);
  cmd->callback([flags, exit_code, cmd] { *exit_code = RunChangelog(*cmd, *flags); });
}

}  // namespace deltascope::cli
