#include "daemon/plugin/manifest.h"

#include <re2/re2.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/util/fd.h"
#include "daemon/util/yaml_schema.h"

namespace deltascope {
namespace {

using yaml::Errors;

// Resolves `command` like a shell would, but relative paths against the manifest's folder.
std::filesystem::path ResolveCommand(const std::string& command, const std::filesystem::path& dir) {
  if (command.find('/') == std::string::npos) {
    const char* path = std::getenv("PATH");
    for (absl::string_view entry : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
      std::filesystem::path candidate = std::filesystem::path(std::string(entry)) / command;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return command;  // reported as missing later
  }
  std::filesystem::path p(command);
  return (p.is_absolute() ? p : dir / p).lexically_normal();
}

absl::Status ParseComparators(const YAML::Node& list, Manifest& m, const Errors& errors) {
  if (!list.IsSequence() || list.size() == 0) {
    return errors.At(list, "'comparators' must be a non-empty list");
  }
  for (const auto& c : list) {
    if (absl::Status s = yaml::CheckKeys(
            c, {"name", "extensions", "media_types", "scope", "position", "handles_identical"},
            "in a comparator", errors);
        !s.ok()) {
      return s;
    }
    ComparatorClaim claim;
    if (!c["name"]) return errors.At(c, "a comparator needs a 'name'");
    absl::StatusOr<std::string> name = yaml::String(c["name"], "name", errors);
    if (!name.ok()) return name.status();
    claim.descriptor.name = *name;
    if (c["extensions"]) {
      absl::StatusOr<std::vector<std::string>> exts =
          yaml::List(c["extensions"], "extensions", errors);
      if (!exts.ok()) return exts.status();
      for (std::string ext : *exts) {
        if (ext.empty() || ext[0] != '.') {
          return errors.At(c["extensions"],
                           absl::StrCat("extension '", ext, "' must start with '.'"));
        }
        claim.descriptor.extensions.push_back(absl::AsciiStrToLower(ext));
      }
    }
    if (c["media_types"]) {
      absl::StatusOr<std::vector<std::string>> types =
          yaml::List(c["media_types"], "media_types", errors);
      if (!types.ok()) return types.status();
      claim.descriptor.media_types = *types;
    }
    if (c["scope"]) {
      absl::StatusOr<std::string> scope_name = yaml::String(c["scope"], "scope", errors);
      if (!scope_name.ok()) return scope_name.status();
      const std::string& scope = *scope_name;
      if (scope == "files") {
        claim.descriptor.scope = Scope::kFiles;
      } else if (scope == "containers") {
        claim.descriptor.scope = Scope::kContainers;
      } else if (scope == "any") {
        claim.descriptor.scope = Scope::kAny;
      } else {
        return errors.At(c["scope"],
                         absl::StrCat("scope '", scope, "' is not one of files, containers, any"));
      }
    }
    if (c["handles_identical"]) {
      absl::StatusOr<bool> on = yaml::Bool(c["handles_identical"], "handles_identical", errors);
      if (!on.ok()) return on.status();
      claim.descriptor.handles_identical = *on;
    }
    if (const YAML::Node& pos = c["position"]) {
      if (absl::Status s = yaml::CheckKeys(pos, {"before", "after"}, "under 'position'", errors);
          !s.ok()) {
        return s;
      }
      for (auto [key, out] :
           {std::pair{"before", &claim.before}, std::pair{"after", &claim.after}}) {
        if (!pos[key]) continue;
        absl::StatusOr<std::string> name = yaml::String(pos[key], key, errors);
        if (!name.ok()) return name.status();
        *out = *std::move(name);
      }
    }
    m.comparators.push_back(std::move(claim));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::filesystem::path> SandboxReadOnlyPaths(const Manifest& manifest) {
  std::vector<std::filesystem::path> paths = manifest.sandbox_read_only;
  for (std::filesystem::path& own : ExecutableOwnPaths(manifest.command)) {
    paths.push_back(std::move(own));
  }
  // The working directory; PrepareSandbox binds it anyway, listed here for `plugins inspect`.
  if (!manifest.root.empty() && ShowableFolder(manifest.root) &&
      std::find(paths.begin(), paths.end(), manifest.root) == paths.end()) {
    paths.push_back(manifest.root);
  }
  return paths;
}

namespace {

absl::Status ParseLimits(const YAML::Node& limits, Manifest& m, const Errors& errors) {
  // Unknown keys are SetPluginLimit's to report, as for the config's plugins.limits.
  absl::StatusOr<std::vector<yaml::Pair>> entries = yaml::Pairs(limits, "limits", errors);
  if (!entries.ok()) return entries.status();
  for (const yaml::Pair& entry : *entries) {
    if (absl::Status s = SetPluginLimit(entry.key, entry.value, m.limits); !s.ok()) {
      return errors.At(entry.key_node, s.message());
    }
  }
  return absl::OkStatus();
}

absl::Status ParseSandbox(const YAML::Node& node, Manifest& m, const Errors& errors) {
  const auto mode_of = [&](const YAML::Node& n) -> absl::Status {
    absl::StatusOr<std::string> name = yaml::String(n, "mode", errors);
    if (!name.ok()) return name.status();
    absl::StatusOr<SandboxMode> mode = ParseSandboxMode(*name);
    if (!mode.ok()) return errors.At(n, mode.status().message());
    m.sandbox = *mode;
    return absl::OkStatus();
  };
  if (node.IsScalar()) return mode_of(node);
  if (absl::Status s =
          yaml::CheckKeys(node, {"mode", "trusted", "read_only"}, "under 'sandbox'", errors);
      !s.ok()) {
    return s;
  }
  if (node["mode"]) {
    if (absl::Status s = mode_of(node["mode"]); !s.ok()) return s;
  }
  if (node["trusted"]) {
    absl::StatusOr<bool> trusted = yaml::Bool(node["trusted"], "trusted", errors);
    if (!trusted.ok()) return trusted.status();
    m.trusted = *trusted;
  }
  if (node["read_only"]) {
    absl::StatusOr<std::vector<std::string>> paths =
        yaml::List(node["read_only"], "read_only", errors);
    if (!paths.ok()) return paths.status();
    for (const std::string& p : *paths) {
      std::filesystem::path path(p);
      m.sandbox_read_only.push_back(path.is_absolute() ? path : m.root / path);
    }
  }
  return absl::OkStatus();
}

// `command` (a plugin deltascope starts) or `endpoint` (one already running), exactly one.
absl::Status ParseLaunch(const YAML::Node& root, Manifest& m, const Errors& errors) {
  if (root["command"] && root["endpoint"]) {
    return errors.At(root["endpoint"],
                     "give either 'command' (a plugin deltascope starts) or 'endpoint' (one "
                     "already running), not both");
  }
  if (!root["command"] && !root["endpoint"]) {
    return errors.At(root,
                     "missing required key 'command' (a plugin deltascope starts) or "
                     "'endpoint' (one already running)");
  }
  if (root["command"]) {
    absl::StatusOr<std::string> command = yaml::String(root["command"], "command", errors);
    if (!command.ok()) return command.status();
    m.command = ResolveCommand(*command, m.root);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> endpoint = yaml::String(root["endpoint"], "endpoint", errors);
  if (!endpoint.ok()) return endpoint.status();
  if (absl::Status s = ValidateEndpoint(*endpoint); !s.ok()) {
    return errors.At(root["endpoint"], s.message());
  }
  m.endpoint = *endpoint;
  // What only makes sense for a process we start.
  for (const char* key : {"args", "env", "sha256", "sandbox"}) {
    if (root[key]) {
      return errors.At(root[key], absl::StrCat("'", key,
                                               "' applies only to plugins deltascope starts "
                                               "('command'), not to an attached 'endpoint'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateEndpoint(const std::string& endpoint) {
  static const RE2 unix_re(R"(unix:///\S+)");
  static const RE2 dns_re(R"(dns:///(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5}))");
  if (RE2::FullMatch(endpoint, unix_re)) return absl::OkStatus();
  if (int port = 0; RE2::FullMatch(endpoint, dns_re, &port) && port >= 1 && port <= 65535) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("endpoint '", endpoint, "' must be unix:///absolute/path or dns:///host:port"));
}

absl::StatusOr<Manifest> ParseManifest(const std::string& text, const std::filesystem::path& file) {
  const Errors errors(file.string());
  absl::StatusOr<YAML::Node> loaded = yaml::Load(text, errors);
  if (!loaded.ok()) return loaded.status();
  const YAML::Node& root = *loaded;
  if (!root.IsMap()) return errors.At(root, "the manifest must be a mapping");
  if (absl::Status s =
          yaml::CheckKeys(root,
                          {"name", "version", "protocol", "command", "endpoint", "args", "env",
                           "sha256", "comparators", "limits", "content", "sandbox", "root"},
                          "in the manifest", errors);
      !s.ok()) {
    return s;
  }
  Manifest m;
  m.file = file;
  std::error_code ec;
  m.root = std::filesystem::absolute(file, ec).lexically_normal().parent_path();
  if (root["root"]) {
    absl::StatusOr<std::string> dir = yaml::String(root["root"], "root", errors);
    if (!dir.ok()) return dir.status();
    if (!std::filesystem::path(*dir).is_absolute()) {
      return errors.At(root["root"], "'root' must be an absolute path");
    }
    m.root = std::filesystem::path(*dir).lexically_normal();
  }
  for (const char* required : {"name", "version", "comparators"}) {
    if (!root[required]) {
      return errors.At(root, absl::StrCat("missing required key '", required, "'"));
    }
  }
  for (auto [key, out] : {std::pair{"name", &m.name}, std::pair{"version", &m.version}}) {
    absl::StatusOr<std::string> value = yaml::String(root[key], key, errors);
    if (!value.ok()) return value.status();
    *out = *std::move(value);
  }
  static const RE2 name_re("[a-z0-9][a-z0-9._-]{0,63}");
  if (!RE2::FullMatch(m.name, name_re)) {
    return errors.At(root["name"],
                     absl::StrCat("name '", m.name, "' must be lower-case letters, digits, . _ -"));
  }
  if (root["protocol"]) {
    absl::StatusOr<uint64_t> protocol = yaml::Count(root["protocol"], "protocol", 0, errors);
    if (!protocol.ok()) return protocol.status();
    if (*protocol > 1000000) return errors.At(root["protocol"], "'protocol' is out of range");
    m.protocol = static_cast<int>(*protocol);
  }
  if (absl::Status s = ParseLaunch(root, m, errors); !s.ok()) return s;
  if (root["args"]) {
    absl::StatusOr<std::vector<std::string>> args = yaml::List(root["args"], "args", errors);
    if (!args.ok()) return args.status();
    m.args = *std::move(args);
  }
  if (root["env"]) {
    absl::StatusOr<std::vector<yaml::Pair>> env = yaml::Pairs(root["env"], "env", errors);
    if (!env.ok()) return env.status();
    for (yaml::Pair& entry : *env) m.env[entry.key] = std::move(entry.value);
  }
  if (root["sha256"]) {
    absl::StatusOr<std::string> sha256 = yaml::String(root["sha256"], "sha256", errors);
    if (!sha256.ok()) return sha256.status();
    m.sha256 = absl::AsciiStrToLower(*sha256);
    static const RE2 hex("[0-9a-f]{64}");
    if (!RE2::FullMatch(m.sha256, hex)) {
      return errors.At(root["sha256"], "sha256 must be 64 hex digits");
    }
  }
  if (absl::Status s = ParseComparators(root["comparators"], m, errors); !s.ok()) return s;
  if (root["limits"]) {
    if (absl::Status s = ParseLimits(root["limits"], m, errors); !s.ok()) return s;
  }
  if (m.attached()) m.content = ContentDelivery::kStream;  // it cannot see our files
  if (root["content"]) {
    absl::StatusOr<std::string> content = yaml::String(root["content"], "content", errors);
    if (!content.ok()) return content.status();
    if (*content == "path" && m.attached()) {
      return errors.At(root["content"],
                       "content: path is impossible for an attached plugin (it cannot see this "
                       "machine's files); remove it or use 'stream'");
    } else if (*content == "path") {
      m.content = ContentDelivery::kPath;
    } else if (*content == "stream") {
      m.content = ContentDelivery::kStream;
    } else {
      return errors.At(root["content"], "content must be 'path' or 'stream'");
    }
  }
  if (root["sandbox"]) {
    if (absl::Status s = ParseSandbox(root["sandbox"], m, errors); !s.ok()) return s;
  }
  return m;
}

absl::StatusOr<Manifest> ParseManifestFile(const std::filesystem::path& file) {
  absl::StatusOr<std::string> text = ReadFileToString(file);
  if (!text.ok()) return text.status();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  return ParseManifest(*text, ec ? file : absolute.lexically_normal());
}

}  // namespace deltascope
