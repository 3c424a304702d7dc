// `deltascope plugins ...` and the plugin flags shared with `deltascope diff`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "daemon/plugin/host.h"
#include "daemon/plugin/process.h"
#include "daemon/session/plugin_flags.h"
#include "daemon/stdlib/stdlib.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope::cli {

void AddPluginFlags(CLI::App* cmd, PluginFlags& flags) {
  deltascope::AddPluginFlags(*cmd, flags.options);
  cmd->add_flag("--plugin-logs", flags.plugin_logs, "Show what plugins print, on standard error");
}

PluginOptions ToPluginOptions(const PluginFlags& flags,
                              std::vector<std::filesystem::path> content_roots) {
  PluginOptions options = flags.options;
  options.content_roots = std::move(content_roots);
  if (flags.plugin_logs) {
    options.log = [](const std::string& plugin, int instance, const char* stream,
                     const std::string& line) {
      // The plugin's own bytes: escaped, so they cannot drive the terminal (no ESC, no newline).
      std::fprintf(stderr, "[%s#%d %s] %s\n", EscapeForTerminal(plugin).c_str(), instance, stream,
                   EscapeForTerminal(line).c_str());
    };
  }
  return options;
}

absl::StatusOr<std::unique_ptr<PluginHost>> StartPluginHost(
    const PluginFlags& flags, std::vector<std::filesystem::path> content_roots) {
  absl::StatusOr<std::unique_ptr<PluginHost>> host =
      deltascope::StartPluginHost(ToPluginOptions(flags, std::move(content_roots)));
  // Interrupting deltascope must not leave plugin processes behind.
  if (host.ok() && !(*host)->found().empty()) KillPluginsOnTerminationSignals();
  return host;
}

namespace {

// What a plugin, its manifest or its errors say, escaped for the terminal: everything printed
// below that the plugin controls goes through it (docs/security.md, "Untrusted text").
std::string Shown(absl::string_view text) { return EscapeForTerminal(text); }

// 536870912 -> "512 MiB", 1536 -> "1.5 KiB", 100 -> "100 bytes".
std::string HumanBytes(uint64_t v) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (v < 1024) return absl::StrCat(v, " bytes");
  double x = static_cast<double>(v);
  int unit = -1;
  while (x >= 1024 && unit < 3) {
    x /= 1024;
    ++unit;
  }
  return x == static_cast<uint64_t>(x) ? absl::StrCat(static_cast<uint64_t>(x), " ", kUnits[unit])
                                       : absl::StrFormat("%.1f %s", x, kUnits[unit]);
}

std::string Claims(const Manifest& m) {
  std::vector<std::string> parts;
  for (const ComparatorClaim& c : m.comparators) {
    std::vector<std::string> claims = c.descriptor.extensions;
    claims.insert(claims.end(), c.descriptor.media_types.begin(), c.descriptor.media_types.end());
    parts.push_back(absl::StrCat(c.descriptor.name, " (", absl::StrJoin(claims, " "), ")"));
  }
  return absl::StrJoin(parts, ", ");
}

// State of a found plugin: its reason when disabled, else the supervisor's state.
std::pair<std::string, std::string> StateOf(const PluginHost& host, const FoundPlugin& p) {
  if (!p.disabled_reason.empty()) return {"disabled", p.disabled_reason};
  PluginSupervisor* s = host.Find(p.manifest->name);
  if (!s) return {"disabled", "not loaded"};
  // A plugin that cannot start is broken now, not available until its first call fails.
  if (!p.manifest->attached() && ::access(p.manifest->command.c_str(), X_OK) != 0) {
    return {"broken", absl::StrCat("executable ", p.manifest->command.string(),
                                   " is missing or not executable")};
  }
  return {PluginStateName(s->state()), s->reason()};
}

int List(const PluginFlags& flags) {
  absl::StatusOr<std::unique_ptr<PluginHost>> host = StartPluginHost(flags, {});
  if (!host.ok()) {
    PrintError(host.status().message());
    return kExitTrouble;
  }
  ComparatorRegistry registry;
  (void)RegisterStdlibComparators(registry);
  (*host)->RegisterComparators(registry);
  if ((*host)->found().empty()) {
    std::printf(
        "No plugins found. Searched: %s\n",
        Shown(absl::StrJoin(PluginSearchPath(SearchOptionsOf(ToPluginOptions(flags, {}))), ", ",
                            [](std::string* out, const std::filesystem::path& p) {
                              out->append(p.string());
                            }))
            .c_str());
    return 0;
  }
  for (const FoundPlugin& p : (*host)->found()) {
    auto [state, reason] = StateOf(**host, p);
    if (p.manifest) {
      std::printf("%s %s [%s]%s\n  from: %s (%s)\n  claims: %s\n", Shown(p.manifest->name).c_str(),
                  Shown(p.manifest->version).c_str(), state.c_str(),
                  reason.empty() ? "" : (" - " + Shown(reason)).c_str(),
                  Shown(p.file.string()).c_str(), Shown(p.manifest->source).c_str(),
                  Shown(Claims(*p.manifest)).c_str());
      if (p.manifest->attached()) {
        std::printf("  attached: %s (already running; connected to, never started)\n",
                    Shown(p.manifest->endpoint).c_str());
      }
    } else {
      std::printf("%s [%s] - %s\n", Shown(p.file.string()).c_str(), state.c_str(),
                  Shown(reason).c_str());
    }
  }
  return 0;
}

const FoundPlugin* FindFound(const PluginHost& host, const std::string& name) {
  for (const FoundPlugin& p : host.found()) {
    if (p.manifest && p.manifest->name == name) return &p;
  }
  return nullptr;
}

int Inspect(const PluginFlags& flags, const std::string& name) {
  absl::StatusOr<std::unique_ptr<PluginHost>> host = StartPluginHost(flags, {});
  if (!host.ok()) {
    PrintError(host.status().message());
    return kExitTrouble;
  }
  const FoundPlugin* p = FindFound(**host, name);
  if (!p) {
    PrintError(absl::StrCat("no plugin named '", name, "'"));
    return kExitTrouble;
  }
  const Manifest& m = *p->manifest;
  auto [state, reason] = StateOf(**host, *p);
  std::printf("name: %s\nversion: %s\nsource: %s\nmanifest: %s\nstate: %s\n", Shown(m.name).c_str(),
              Shown(m.version).c_str(), Shown(m.source).c_str(), Shown(p->file.string()).c_str(),
              state.c_str());
  if (!reason.empty()) std::printf("reason: %s\n", Shown(reason).c_str());
  if (m.attached()) {
    std::printf("endpoint: %s (attached)\n", Shown(m.endpoint).c_str());
  } else {
    std::printf("command: %s %s\n", Shown(m.command.string()).c_str(),
                Shown(absl::StrJoin(m.args, " ")).c_str());
  }
  PluginSupervisor* supervisor = (*host)->Find(m.name);
  SandboxMode mode = supervisor ? supervisor->sandbox_mode() : SandboxMode::kStandard;
  // The mode it runs in (the --sandbox choice wins over the manifest), and where that came from.
  const char* source =
      !flags.options.sandbox.empty() && flags.options.sandbox == SandboxModeName(mode)
          ? " (--sandbox)"
      : m.trusted                       ? " (trusted)"
      : m.sandbox && *m.sandbox == mode ? " (manifest)"
                                        : " (host default)";
  const std::string sandbox = m.attached()
                                  ? "none here (attached: it runs outside this host's control)"
                                  : absl::StrCat(SandboxModeName(mode), source);
  std::printf("protocol: %d\ncontent: %s\nsandbox: %s\n", m.protocol,
              m.content == ContentDelivery::kPath ? "path" : "stream", sandbox.c_str());
  const EffectiveLimits limits =
      supervisor ? supervisor->limits() : ResolveLimits(m.limits, LimitCeiling(), mode);
  const ResourceLimits& rl = limits.resources;
  auto limit = [](uint64_t v, const char* unit) {
    return v == 0 ? std::string("unlimited") : absl::StrCat(v, unit);
  };
  auto size = [](uint64_t v) { return v == 0 ? std::string("unlimited") : HumanBytes(v); };
  std::printf("limits: startup %lld ms, call %lld ms, instances %d\n",
              static_cast<long long>(limits.startup_timeout.count()),
              static_cast<long long>(limits.call_timeout.count()), limits.max_instances);
  std::printf("reply limits: %llu bytes, %llu nodes, summary %llu bytes, details %llu bytes\n",
              static_cast<unsigned long long>(limits.reply.bytes),
              static_cast<unsigned long long>(limits.reply.nodes),
              static_cast<unsigned long long>(limits.reply.summary_bytes),
              static_cast<unsigned long long>(limits.reply.details_bytes));
  if (!limits.lowered.empty()) {
    std::printf("lowered by your ceiling (--plugin-limits): %s\n",
                absl::StrJoin(limits.lowered, ", ").c_str());
  }
  if (!m.attached()) {
    std::printf("resources (%s): memory %s, cpu %s, open files %s, file size %s, processes %s\n",
                SandboxModeName(mode), size(rl.memory_bytes).c_str(),
                limit(rl.cpu_seconds, " s").c_str(), limit(rl.open_files, "").c_str(),
                size(rl.file_size_bytes).c_str(),
                rl.processes == 1 ? "1 (no child processes)" : limit(rl.processes, "").c_str());
    if (mode != SandboxMode::kOff) {
      std::vector<std::string> paths;
      for (const auto& path : SandboxReadOnlyPaths(m)) paths.push_back(path.string());
      std::printf("reads (%s sandbox): %s, the system's libraries%s\n", SandboxModeName(mode),
                  Shown(absl::StrJoin(paths, ", ")).c_str(),
                  mode == SandboxMode::kStandard ? ", the snapshots" : "");
    }
  }
  for (const ComparatorClaim& c : m.comparators) {
    std::printf("comparator: %s\n  extensions: %s\n  media types: %s\n  position: %s\n",
                Shown(c.descriptor.name).c_str(),
                Shown(absl::StrJoin(c.descriptor.extensions, " ")).c_str(),
                Shown(absl::StrJoin(c.descriptor.media_types, " ")).c_str(),
                !c.before.empty()  ? ("before " + Shown(c.before)).c_str()
                : !c.after.empty() ? ("after " + Shown(c.after)).c_str()
                                   : "default (before text)");
  }
  return 0;
}

int Register(const std::string& path, bool force) {
  absl::StatusOr<Manifest> m = ParseManifestFile(path);
  if (!m.ok()) {
    PrintError(m.status().message());
    return kExitTrouble;
  }
  if (!m->attached() && ::access(m->command.c_str(), X_OK) != 0) {
    PrintError(
        absl::StrCat(path, ": executable ", m->command.string(), " is missing or not executable"));
    return kExitTrouble;
  }
  std::filesystem::path dir = UserPluginDir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // The registered copy names the command absolutely and keeps the original folder as its root
  // (relative args and read_only paths, the working directory), so it works from the user folder.
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::path target = dir / absl::StrCat(m->name, ".plugin.yaml");
  if (!force && std::filesystem::exists(target, ec)) {
    PrintError(absl::StrCat("a plugin named '", m->name, "' is already registered (",
                            target.string(), "); pass --force to replace it"));
    return kExitTrouble;
  }
  std::ofstream out(target);
  if (!m->attached() && text.find("\nroot:") == std::string::npos &&
      !absl::StartsWith(text, "root:")) {
    out << "root: " << m->root.string() << "\n";
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "command:") && !m->attached()) {
      out << "command: " << m->command.string() << "\n";
    } else {
      out << line << "\n";
    }
  }
  if (!out) {
    PrintError(absl::StrCat("cannot write ", target.string()));
    return kExitTrouble;
  }
  std::printf("registered %s %s in %s\n", Shown(m->name).c_str(), Shown(m->version).c_str(),
              Shown(target.string()).c_str());
  return 0;
}

int Unregister(const std::string& name) {
  std::filesystem::path target = UserPluginDir() / absl::StrCat(name, ".plugin.yaml");
  std::error_code ec;
  if (!std::filesystem::remove(target, ec)) {
    PrintError(
        absl::StrCat("no registered plugin named '", name, "' in ", UserPluginDir().string()));
    return kExitTrouble;
  }
  std::printf("unregistered %s\n", Shown(name).c_str());
  return 0;
}

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Starts a plugin, describes it, checks health and runs one probe compare per comparator, on
// files in `probe_root` (a content root of the host: visible in standard mode, streamed in
// strict mode, exactly as in a diff).
bool CheckOne(PluginHost& host, const FoundPlugin& p, const std::filesystem::path& probe_root) {
  if (!p.disabled_reason.empty()) {
    std::printf("FAIL %s: %s\n", Shown(p.manifest ? p.manifest->name : p.file.string()).c_str(),
                Shown(p.disabled_reason).c_str());
    return false;
  }
  PluginSupervisor* s = host.Find(p.manifest->name);
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<pluginpb::DescribeResponse> d = s->Describe();
  if (!d.ok()) {
    std::printf("FAIL %s: %s\n", Shown(p.manifest->name).c_str(),
                Shown(d.status().message()).c_str());
    return false;
  }
  double start_ms = MsSince(t0);
  auto t1 = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> health = s->Health();
  double health_ms = MsSince(t1);
  if (!health.ok() || *health != "SERVING") {
    std::printf("FAIL %s: health: %s\n", Shown(p.manifest->name).c_str(),
                Shown(health.ok() ? *health : health.status().message()).c_str());
    return false;
  }
  // A probe: the same small file on both sides of each comparator.
  bool ok = true;
  for (const ComparatorClaim& c : p.manifest->comparators) {
    const std::filesystem::path dir = probe_root / p.manifest->name / c.descriptor.name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string ext = c.descriptor.extensions.empty() ? ".dat" : c.descriptor.extensions[0];
    std::filesystem::path a = dir / ("a" + ext), b = dir / ("b" + ext);
    std::ofstream(a) << "probe\n";
    std::ofstream(b) << "probe 2\n";
    ItemPair pair;
    pair.path = "probe" + ext;
    pair.left = *Item::FromPath(a);
    pair.right = *Item::FromPath(b);
    pluginpb::CompareRequest req;
    req.set_comparator(c.descriptor.name);
    req.set_path(pair.path);
    for (auto [item, out] : {std::pair{pair.left.get(), req.mutable_left()},
                             std::pair{pair.right.get(), req.mutable_right()}}) {
      out->set_logical_path(pair.path);
      out->set_path(item->physical().string());
      out->set_size(item->size());
      out->set_kind("file");
    }
    auto t2 = std::chrono::steady_clock::now();
    absl::StatusOr<pluginpb::CompareResponse> r =
        s->Compare(req, pair, s->sandbox_mode() != SandboxMode::kStrict);
    double probe_ms = MsSince(t2);
    if (!r.ok()) {
      std::printf("FAIL %s: probe compare (%s): %s\n", Shown(p.manifest->name).c_str(),
                  Shown(c.descriptor.name).c_str(), Shown(r.status().message()).c_str());
      ok = false;
      continue;
    }
    std::printf("ok   %s %s: comparator %s: %s %.1f ms, health %.1f ms, probe %.1f ms (%s)\n",
                Shown(p.manifest->name).c_str(), Shown(p.manifest->version).c_str(),
                Shown(c.descriptor.name).c_str(), p.manifest->attached() ? "connect" : "start",
                start_ms, health_ms, probe_ms,
                pluginpb::CompareResponse::Outcome_Name(r->outcome()).c_str());
  }
  for (const std::string& w : s->sandbox_warnings())
    std::printf("warn %s: %s\n", Shown(p.manifest->name).c_str(), Shown(w).c_str());
  return ok;
}

int Check(const PluginFlags& flags, const std::vector<std::string>& names, bool sandbox_report) {
  if (sandbox_report) {
    std::printf("sandbox layers (mode %s):\n",
                flags.options.sandbox.empty() ? "standard" : flags.options.sandbox.c_str());
    // With the sandbox off no layer applies, whatever the host could provide.
    const bool off = flags.options.sandbox == "off";
    for (const LayerStatus& l : ProbeSandboxLayers()) {
      std::printf("  %-14s %s  %s\n", l.name.c_str(),
                  off ? "unused " : (l.active ? "active " : "MISSING"),
                  off ? "(--sandbox off)" : l.detail.c_str());
    }
  }
  absl::StatusOr<TempDir> probe_root = TempDir::Create("deltascope-probe-");
  if (!probe_root.ok()) {
    PrintError(probe_root.status().message());
    return kExitTrouble;
  }
  absl::StatusOr<std::unique_ptr<PluginHost>> host = StartPluginHost(flags, {probe_root->path()});
  if (!host.ok()) {
    PrintError(host.status().message());
    return kExitTrouble;
  }
  bool all_ok = true;
  int checked = 0;
  for (const FoundPlugin& p : (*host)->found()) {
    std::string name = p.manifest ? p.manifest->name : p.file.string();
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    ++checked;
    all_ok = CheckOne(**host, p, probe_root->path()) && all_ok;
  }
  for (const std::string& n : names) {
    if (!FindFound(**host, n)) {
      std::printf("FAIL %s: no such plugin\n", Shown(n).c_str());
      all_ok = false;
    }
  }
  if (checked == 0 && names.empty()) std::printf("No plugins found.\n");
  return all_ok ? 0 : kExitTrouble;
}

}  // namespace

void AddPluginsCommand(CLI::App& app, int* exit_code) {
  CLI::App* plugins = app.add_subcommand("plugins", "List, inspect, register and check plugins");
  plugins->require_subcommand(1);
  auto flags = std::make_shared<PluginFlags>();
  auto name = std::make_shared<std::string>();
  auto names = std::make_shared<std::vector<std::string>>();
  auto sandbox_report = std::make_shared<bool>(false);

  CLI::App* list = plugins->add_subcommand("list", "Every plugin found, its state and claims");
  AddPluginFlags(list, *flags);
  list->callback([=] { *exit_code = List(*flags); });

  CLI::App* inspect = plugins->add_subcommand("inspect", "Everything about one plugin");
  inspect->add_option("name", *name)->required();
  AddPluginFlags(inspect, *flags);
  inspect->callback([=] { *exit_code = Inspect(*flags, *name); });

  CLI::App* reg = plugins->add_subcommand("register", "Register a manifest in the user folder");
  reg->add_option("manifest", *name)->required()->check(CLI::ExistingFile);
  auto force = std::make_shared<bool>(false);
  reg->add_flag("--force", *force, "Replace a registration of the same name");
  reg->callback([=] { *exit_code = Register(*name, *force); });

  CLI::App* unreg = plugins->add_subcommand("unregister", "Remove a registered plugin");
  unreg->add_option("name", *name)->required();
  unreg->callback([=] { *exit_code = Unregister(*name); });

  AddPluginSigningCommands(plugins, exit_code);
  AddPluginNewCommand(plugins, exit_code);

  CLI::App* check = plugins->add_subcommand(
      "check", "Start plugins, handshake, describe, health, one probe compare; print timings");
  check->add_option("names", *names, "Plugins to check (default: all)");
  check->add_flag("--sandbox-report", *sandbox_report,
                  "List each sandbox layer as active or missing");
  AddPluginFlags(check, *flags);
  // On `check`, a bare `--sandbox` also asks for the layer report (`--sandbox strict` too).
  CLI::Option* sandbox = check->get_option("--sandbox");
  sandbox->expected(0, 1);
  check->callback([=] {
    if (sandbox->count() > 0 && flags->options.sandbox.empty()) flags->options.sandbox = "standard";
    *exit_code = Check(*flags, *names, *sandbox_report || sandbox->count() > 0);
  });
}

}  // namespace deltascope::cli
