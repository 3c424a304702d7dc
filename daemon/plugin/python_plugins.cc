// Python plugins through entry points (group `deltascope.plugins`): asks the interpreter once
// (`python -m deltascope_plugin discover`) and caches the answer until that environment
// changes (a pip install touches one of its site folders).
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "daemon/plugin/host.h"
#include "daemon/util/fd.h"
#include "daemon/util/subprocess.h"

namespace deltascope {
namespace {

using Json = nlohmann::json;

// Bumped whenever what is cached changes meaning.
constexpr int kCacheFormat = 2;

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

absl::StatusOr<Json> Discover(const std::string& interpreter) {
  std::filesystem::path cache =
      CacheDir() / absl::StrCat("python-", std::hash<std::string>()(interpreter), ".json");
  if (absl::StatusOr<std::string> text = ReadFileToString(cache); text.ok()) {
    Json cached = Json::parse(*text, nullptr, false);
    if (!cached.is_discarded() && cached.value("cache_format", 0) == kCacheFormat &&
        cached.value("interpreter_arg", "") == interpreter &&
        cached.value("fingerprint", "") == Fingerprint(interpreter, cached["paths"])) {
      return cached;
    }
  }
  absl::StatusOr<CommandOutput> out =
      RunCommand({interpreter, "-m", "deltascope_plugin", "discover"}, std::chrono::seconds(60));
  if (!out.ok()) return out.status();
  if (out->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(interpreter,
                                               " -m deltascope_plugin discover failed (",
                                               out->exit_code, "): ", out->err.substr(0, 300)));
  }
  Json j = Json::parse(out->out, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(interpreter, ": discovery printed no JSON"));
  }
  j["interpreter_arg"] = interpreter;
  j["cache_format"] = kCacheFormat;
  j["fingerprint"] = Fingerprint(interpreter, j["paths"]);
  std::error_code ec;
  std::filesystem::create_directories(CacheDir(), ec);
  std::ofstream(cache) << j.dump();
  return j;
}

}  // namespace

std::vector<FoundPlugin> FindPythonPlugins(const std::string& interpreter) {
  std::vector<FoundPlugin> found;
  absl::StatusOr<Json> j = Discover(interpreter);
  if (!j.ok()) {
    FoundPlugin broken;
    broken.file = interpreter;
    broken.disabled_reason = absl::StrCat("Python entry points: ", j.status().message());
    found.push_back(std::move(broken));
    return found;
  }
  std::vector<std::filesystem::path> readable;
  for (const Json& p : (*j)["paths"]) {
    if (p.is_string()) readable.emplace_back(p.get<std::string>());
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
