#include "daemon/plugin/host.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/plugin/signing.h"

namespace deltascope {
namespace {

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return ::fnmatch(p.c_str(), name.c_str(), 0) == 0;
  });
}

std::vector<std::filesystem::path> ManifestsIn(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 12 && name.substr(name.size() - 12) == ".plugin.yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The signature policy on one usable plugin: its reason to be disabled, or "" when it passes.
std::string SignatureProblem(const PluginSearchOptions& options, Manifest& manifest) {
  if (manifest.source != "manifest") {
    return "signature required (--require-signed), but an entry-point plugin has no manifest to "
           "sign";
  }
  if (options.trusted_keys.empty()) {
    return "signature required (--require-signed), but no key is trusted (--trusted-key)";
  }
  absl::StatusOr<std::vector<SignedFile>> files = VerifyPlugin(manifest, options.trusted_keys);
  if (!files.ok()) return absl::StrCat("signature: ", files.status().message());
  // What was verified is what runs: the supervisor checks the executable again at each start.
  for (const SignedFile& f : *files) {
    if (f.role == "executable") manifest.sha256 = f.sha256;
  }
  return "";
}

}  // namespace

std::filesystem::path UserPluginDir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "deltascope" / "plugins.d";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/") / ".config" / "deltascope" / "plugins.d";
}

std::vector<std::filesystem::path> PluginSearchPath(const PluginSearchOptions& options) {
  std::vector<std::filesystem::path> dirs = options.plugin_dirs;
  if (options.use_environment) {
    if (const char* env = std::getenv("DELTASCOPE_PLUGIN_PATH")) {
      for (absl::string_view d : absl::StrSplit(env, ':', absl::SkipEmpty())) {
        dirs.emplace_back(std::string(d));
      }
    }
  }
  if (options.use_user_dir) dirs.push_back(UserPluginDir());
  if (options.use_system_dir) dirs.push_back("/etc/deltascope/plugins.d");
  return dirs;
}

std::vector<FoundPlugin> FindPlugins(const PluginSearchOptions& options) {
  std::vector<FoundPlugin> found;
  for (const auto& dir : PluginSearchPath(options)) {
    // A --plugin-dir may also name one manifest file.
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir, ec)) {
      files.push_back(dir);
    } else {
      files = ManifestsIn(dir);
    }
    for (const auto& file : files) {
      FoundPlugin plugin;
      plugin.file = file;
      absl::StatusOr<Manifest> manifest = ParseManifestFile(file);
      if (manifest.ok()) {
        plugin.manifest = std::move(*manifest);
      } else {
        plugin.disabled_reason = absl::StrCat("invalid manifest: ", manifest.status().message());
      }
      found.push_back(std::move(plugin));
    }
  }
  for (const std::string& interpreter : options.python_interpreters) {
    for (FoundPlugin& p : FindPythonPlugins(interpreter)) found.push_back(std::move(p));
  }
  for (const std::string& interpreter : options.quiet_python_interpreters) {
    for (FoundPlugin& p : FindPythonPlugins(interpreter, /*quiet=*/true)) {
      found.push_back(std::move(p));
    }
  }
  std::map<std::string, std::filesystem::path> first;
  for (FoundPlugin& p : found) {
    if (!p.manifest || !p.disabled_reason.empty()) continue;
    const std::string& name = p.manifest->name;
    auto [it, inserted] = first.emplace(name, p.file);
    if (!inserted) {
      p.disabled_reason = absl::StrCat("duplicate name '", name, "' (already provided by ",
                                       it->second.string(), ")");
    } else if (MatchesAny(options.disable, name) && !MatchesAny(options.enable, name)) {
      p.disabled_reason = "disabled by configuration";
    } else if (options.require_signed) {
      p.disabled_reason = SignatureProblem(options, *p.manifest);
    } else if (!options.enable.empty() && !MatchesAny(options.enable, name) &&
               options.disable.empty()) {
      p.disabled_reason = "not enabled by configuration";
    }
  }
  return found;
}

namespace {

constexpr char kRuntimePrefix[] = "deltascope-plugins-";

// Where unsandboxed plugins' sockets go: $TMPDIR, unless its path would not survive as a gRPC
// address ("unix:" + path: '#', '?', '%' and the like cut or change it) or leave too little of
// the 108 bytes of a socket address; then /tmp.
std::filesystem::path RuntimeBase() {
  const std::string base = TempDir::DefaultBase().string();
  const bool plain = base.size() <= 64 && std::all_of(base.begin(), base.end(), [](char c) {
                       return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                              std::strchr("/._-+", c) != nullptr;
                     });
  return plain ? std::filesystem::path(base) : std::filesystem::path("/tmp");
}

}  // namespace

absl::StatusOr<std::unique_ptr<PluginHost>> PluginHost::Create(std::vector<FoundPlugin> found,
                                                               HostOptions options) {
  std::unique_ptr<PluginHost> host(new PluginHost());
  if (options.runtime_dir.empty()) {
    const std::filesystem::path base = RuntimeBase();
    TempDir::RemoveStale(kRuntimePrefix, base);  // left by hosts that were killed
    absl::StatusOr<TempDir> dir = TempDir::Create(kRuntimePrefix, base);
    if (!dir.ok()) return dir.status();
    options.runtime_dir = dir->path();
    host->runtime_dir_ = std::move(*dir);
  }
  BecomeSubreaper();
  host->options_ = options;
  host->found_ = std::move(found);
  for (FoundPlugin& p : host->found_) {
    if (!p.manifest || !p.disabled_reason.empty()) continue;
    if (p.manifest->protocol != 1) {
      p.disabled_reason = absl::StrCat("incompatible protocol version ", p.manifest->protocol,
                                       " in the manifest (this host speaks 1)");
      continue;
    }
    host->supervisors_.push_back(std::make_shared<PluginSupervisor>(*p.manifest, host->options_));
  }
  return host;
}

PluginHost::~PluginHost() { Shutdown(); }

void PluginHost::Shutdown() {
  for (auto& s : supervisors_) s->Shutdown();
}

PluginSupervisor* PluginHost::Find(const std::string& name) const {
  for (const auto& s : supervisors_) {
    if (s->manifest().name == name) return s.get();
  }
  return nullptr;
}

std::vector<PluginSupervisor*> PluginHost::supervisors() const {
  std::vector<PluginSupervisor*> out;
  for (const auto& s : supervisors_) out.push_back(s.get());
  return out;
}

void PluginHost::RegisterComparators(ComparatorRegistry& registry) {
  for (const auto& supervisor : supervisors_) {
    const Manifest& m = supervisor->manifest();
    FoundPlugin* found = nullptr;
    for (FoundPlugin& p : found_) {
      if (p.manifest && p.manifest->name == m.name && p.disabled_reason.empty()) found = &p;
    }
    if (!found) continue;
    for (const ComparatorClaim& claim : m.comparators) {
      int order = kOrderPlugin;
      if (!claim.before.empty() && registry.OrderOf(claim.before) >= 0) {
        order = registry.OrderOf(claim.before) - 1;
      } else if (!claim.after.empty() && registry.OrderOf(claim.after) >= 0) {
        order = registry.OrderOf(claim.after) + 1;
      }
      absl::Status s =
          registry.Register(MakePluginComparator(supervisor, claim, options_.content_roots), order);
      if (!s.ok()) {
        found->disabled_reason =
            absl::StrCat("comparator name '", claim.descriptor.name, "' is already taken");
        break;
      }
    }
  }
}

}  // namespace deltascope
