// Python plugins through entry points (group `deltascope.plugins`): asks the interpreter once
// (the SDK's discovery, or only its import paths when the SDK is not installed) and caches the
// answer until that environment changes (a pip install touches one of its site folders).
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/plugin/host.h"
#include "daemon/util/atomic_file.h"
#include "daemon/util/fd.h"
#include "daemon/util/subprocess.h"

namespace deltascope {
namespace {

using Json = nlohmann::json;

// Bumped whenever what is cached changes meaning.
constexpr int kCacheFormat = 4;

// Run with `python -c`: the SDK's discovery when it is installed; otherwise no plugins, and the
// import paths (so that installing the SDK later changes the fingerprint). The working folder
// is not an import path: it must neither be read by plugins nor change the answer, so neither
// `python -c`'s '' nor an entry that is or resolves to it ($PYTHONPATH=.) is kept.
constexpr char kProbe[] = R"(import importlib.util, json, os, sys
cwd = os.path.realpath(os.getcwd())
sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]
if importlib.util.find_spec('deltascope_plugin') is None:
    paths = sorted({os.path.realpath(p) for p in [sys.prefix, sys.base_prefix, *sys.path]
                    if p and os.path.isdir(p)})
    json.dump({'interpreter': sys.executable, 'paths': paths, 'plugins': [], 'sdk': False},
              sys.stdout)
else:
    from deltascope_plugin import discovery
    json.dump(discovery.discover(), sys.stdout)
)";

std::filesystem::path CacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "deltascope";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/tmp") / ".cache" / "deltascope";
}

// The modification times of the interpreter (the link itself too: a virtual environment made
// again at the same path has new links to the same interpreter), of its environment's
// pyvenv.cfg, and of every folder it imports from.
std::string Fingerprint(const std::string& interpreter, const Json& paths) {
  std::string fp;
  auto add = [&](const std::string& p, bool follow = true) {
    struct stat st;
    if ((follow ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st)) == 0) {
      absl::StrAppend(&fp, p, ":", st.st_ino, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
    }
  };
  add(interpreter);
  add(interpreter, /*follow=*/false);
  add((std::filesystem::path(interpreter).parent_path().parent_path() / "pyvenv.cfg").string());
  if (paths.is_array()) {
    for (const Json& p : paths) {
      if (p.is_string()) add(p.get<std::string>());
    }
  }
  return fp;
}

std::filesystem::path CacheFile(const std::string& interpreter) {
  return CacheDir() / absl::StrCat("python-", std::hash<std::string>()(interpreter), ".json");
}

absl::StatusOr<Json> Discover(const std::string& interpreter) {
  const std::filesystem::path cache = CacheFile(interpreter);
  if (absl::StatusOr<std::string> text = ReadFileToString(cache); text.ok()) {
    Json cached = Json::parse(*text, nullptr, false);
    if (!cached.is_discarded() && cached.is_object() &&
        cached.value("cache_format", 0) == kCacheFormat &&
        cached.value("interpreter_arg", "") == interpreter && cached["paths"].is_array() &&
        cached["plugins"].is_array() &&
        cached.value("fingerprint", "") == Fingerprint(interpreter, cached["paths"])) {
      return cached;
    }
  }
  absl::StatusOr<CommandOutput> out =
      RunCommand({interpreter, "-c", kProbe}, std::chrono::seconds(60));
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(interpreter, ": entry-point discovery failed (",
                                               out->exit_code, "): ", out->err.substr(0, 300)));
  }
  Json j = Json::parse(out->out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j["paths"].is_array() || !j["plugins"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(interpreter, ": discovery printed no JSON"));
  }
  j["interpreter_arg"] = interpreter;
  j["cache_format"] = kCacheFormat;
  j["fingerprint"] = Fingerprint(interpreter, j["paths"]);
  std::error_code ec;
  std::filesystem::create_directories(CacheDir(), ec);
  // Best effort: without a cache the next run asks the interpreter again. Atomic, so that
  // concurrent runs never read half a file.
  (void)WriteFileAtomically(cache, j.dump(), 0600);
  return j;
}

// An executable named like `python3`, looked up on $PATH (absolute, not resolved: a virtual
// environment's bin/python3 is a link to the interpreter it was made from).
std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / name;
    if (candidate.is_absolute() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return "";
}

}  // namespace

std::vector<std::string> DefaultPythonInterpreters() {
  std::vector<std::string> found;
  if (const char* venv = std::getenv("VIRTUAL_ENV"); venv && *venv) {
    std::filesystem::path python = std::filesystem::path(venv) / "bin" / "python";
    if (::access(python.c_str(), X_OK) == 0) found.push_back(python.string());
  }
  // python3 from the same bin/ folder is the same environment: asked once.
  if (std::string python3 = OnPath("python3");
      !python3.empty() && (found.empty() || std::filesystem::path(python3).parent_path() !=
                                                std::filesystem::path(found[0]).parent_path())) {
    found.push_back(python3);
  }
  return found;
}

void ChoosePythonInterpreters(const std::vector<std::string>& named, bool no_python,
                              PluginSearchOptions& options) {
  options.python_interpreters.clear();
  options.quiet_python_interpreters.clear();
  const char* opt_out = std::getenv("DELTASCOPE_NO_PYTHON_PLUGINS");
  if (no_python || (opt_out && *opt_out && std::string(opt_out) != "0")) return;
  options.python_interpreters = named;
  if (!named.empty()) return;
  if (const char* env = std::getenv("DELTASCOPE_PYTHON"); env && *env) {
    for (absl::string_view p : absl::StrSplit(env, ':', absl::SkipEmpty())) {
      options.python_interpreters.emplace_back(p);
    }
    return;
  }
  options.quiet_python_interpreters = DefaultPythonInterpreters();
}

std::vector<FoundPlugin> FindPythonPlugins(const std::string& interpreter, bool quiet) {
  std::vector<FoundPlugin> found;
  absl::StatusOr<Json> j = Discover(interpreter);
  if (j.ok() && !j->value("sdk", true) && !quiet) {
    j = absl::NotFoundError(
        absl::StrCat(interpreter, " has no deltascope_plugin (pip install deltascope-plugin)"));
  }
  if (!j.ok()) {
    if (quiet) return found;
    FoundPlugin broken;
    broken.file = interpreter;
    broken.disabled_reason = absl::StrCat("Python entry points: ", j.status().message());
    found.push_back(std::move(broken));
    return found;
  }
  std::vector<std::filesystem::path> readable;
  std::error_code ec;
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  for (const Json& p : (*j)["paths"]) {
    // Only absolute folders below the root ("/" would cover the sandbox's own /dev and /tmp),
    // never the working folder.
    if (!p.is_string()) continue;
    std::filesystem::path path(p.get<std::string>());
    if (path.is_absolute() && !path.relative_path().empty() && path != cwd) {
      readable.push_back(std::move(path));
    }
  }
  for (const Json& p : (*j)["plugins"]) {
    FoundPlugin plugin;
    plugin.file = interpreter;
    Manifest m;
    m.file = interpreter;
    m.name = p.value("name", "");
    m.version = p.value("version", "");
    m.command = (*j).value("interpreter", interpreter);
    m.args = {"-m", "deltascope_plugin", "run", m.name};
    m.source = absl::StrCat("entry-point (", p.value("distribution", "?"), " ", m.version, ")");
    m.sandbox_read_only = readable;
    for (const Json& c : p["comparators"]) {
      ComparatorClaim claim;
      claim.descriptor.name = c.value("name", "");
      for (const Json& e : c["extensions"])
        claim.descriptor.extensions.push_back(e.get<std::string>());
      for (const Json& t : c["media_types"])
        claim.descriptor.media_types.push_back(t.get<std::string>());
      std::string scope = c.value("scope", "files");
      claim.descriptor.scope = scope == "containers" ? Scope::kContainers
                               : scope == "any"      ? Scope::kAny
                                                     : Scope::kFiles;
      m.comparators.push_back(std::move(claim));
    }
    std::map<std::string, std::string> limits;
    if (p.contains("limits") && p["limits"].is_object()) {
      for (const auto& [key, value] : p["limits"].items()) {
        limits[key] = value.is_string() ? value.get<std::string>() : value.dump();
      }
    }
    absl::Status limits_ok = ParsePluginLimits(
        limits, absl::StrCat(m.name, " (", p.value("value", ""), ") limits"), m.limits);
    if (p.contains("error")) {
      plugin.disabled_reason =
          absl::StrCat("cannot load ", p.value("value", ""), ": ", p["error"].get<std::string>());
    } else if (m.comparators.empty()) {
      plugin.disabled_reason = "provides no comparator";
    } else if (!limits_ok.ok()) {
      plugin.disabled_reason = std::string(limits_ok.message());
    }
    plugin.manifest = std::move(m);
    found.push_back(std::move(plugin));
  }
  return found;
}

}  // namespace deltascope
