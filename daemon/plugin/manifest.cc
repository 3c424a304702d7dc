#include "daemon/plugin/manifest.h"

#include <re2/re2.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

// Builds "file:line: message" errors for one manifest.
class Errors {
 public:
  explicit Errors(std::filesystem::path file) : file_(std::move(file)) {}
  absl::Status At(const YAML::Node& node, const std::string& message) const {
    int line = node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 1;
    return absl::InvalidArgumentError(absl::StrCat(file_.string(), ":", line, ": ", message));
  }
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

absl::Status CheckKeys(const YAML::Node& map, const std::set<std::string>& known,
                       const std::string& where, const Errors& errors) {
  if (!map.IsMap()) return errors.At(map, absl::StrCat(where, " must be a mapping"));
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      return errors.At(kv.first, absl::StrCat("unknown key '", key, "' in ", where,
                                              " (known: ", absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Scalar(const YAML::Node& node, const std::string& key,
                                   const Errors& errors) {
  if (!node.IsScalar()) return errors.At(node, absl::StrCat("'", key, "' must be a string"));
  return node.as<std::string>();
}

absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& node, const std::string& key,
                                                    const Errors& errors) {
  if (!node.IsSequence()) return errors.At(node, absl::StrCat("'", key, "' must be a list"));
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) return errors.At(item, absl::StrCat("'", key, "' items must be strings"));
    out.push_back(item.as<std::string>());
  }
  return out;
}

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
    if (absl::Status s = CheckKeys(
            c, {"name", "extensions", "media_types", "scope", "position", "handles_identical"},
            "a comparator", errors);
        !s.ok()) {
      return s;
    }
    ComparatorClaim claim;
    if (!c["name"]) return errors.At(c, "a comparator needs a 'name'");
    absl::StatusOr<std::string> name = Scalar(c["name"], "name", errors);
    if (!name.ok()) return name.status();
    claim.descriptor.name = *name;
    if (c["extensions"]) {
      absl::StatusOr<std::vector<std::string>> exts =
          StringList(c["extensions"], "extensions", errors);
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
          StringList(c["media_types"], "media_types", errors);
      if (!types.ok()) return types.status();
      claim.descriptor.media_types = *types;
    }
    if (c["scope"]) {
      std::string scope = c["scope"].as<std::string>();
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
    if (c["handles_identical"])
      claim.descriptor.handles_identical = c["handles_identical"].as<bool>();
    if (const YAML::Node& pos = c["position"]) {
      if (absl::Status s = CheckKeys(pos, {"before", "after"}, "position", errors); !s.ok())
        return s;
      if (pos["before"]) claim.before = pos["before"].as<std::string>();
      if (pos["after"]) claim.after = pos["after"].as<std::string>();
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
  const std::vector<std::string>& keys = PluginLimitKeys();
  if (absl::Status s =
          CheckKeys(limits, std::set<std::string>(keys.begin(), keys.end()), "limits", errors);
      !s.ok()) {
    return s;
  }
  for (const auto& kv : limits) {
    if (!kv.second.IsScalar()) {
      return errors.At(kv.second,
                       absl::StrCat("'", kv.first.as<std::string>(), "' must be a single value"));
    }
    if (absl::Status s = SetPluginLimit(kv.first.as<std::string>(), kv.second.Scalar(), m.limits);
        !s.ok()) {
      return errors.At(kv.second, std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseSandbox(const YAML::Node& node, Manifest& m, const Errors& errors) {
  if (node.IsScalar()) {
    absl::StatusOr<SandboxMode> mode = ParseSandboxMode(node.as<std::string>());
    if (!mode.ok()) return errors.At(node, std::string(mode.status().message()));
    m.sandbox = *mode;
    return absl::OkStatus();
  }
  if (absl::Status s = CheckKeys(node, {"mode", "trusted", "read_only"}, "sandbox", errors);
      !s.ok()) {
    return s;
  }
  if (node["mode"]) {
    absl::StatusOr<SandboxMode> mode = ParseSandboxMode(node["mode"].as<std::string>());
    if (!mode.ok()) return errors.At(node["mode"], std::string(mode.status().message()));
    m.sandbox = *mode;
  }
  if (node["trusted"]) m.trusted = node["trusted"].as<bool>();
  if (node["read_only"]) {
    absl::StatusOr<std::vector<std::string>> paths =
        StringList(node["read_only"], "read_only", errors);
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
    absl::StatusOr<std::string> command = Scalar(root["command"], "command", errors);
    if (!command.ok()) return command.status();
    m.command = ResolveCommand(*command, m.root);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> endpoint = Scalar(root["endpoint"], "endpoint", errors);
  if (!endpoint.ok()) return endpoint.status();
  if (absl::Status s = ValidateEndpoint(*endpoint); !s.ok()) {
    return errors.At(root["endpoint"], std::string(s.message()));
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
  Errors errors(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {  // its message is yaml-cpp's misleading "bad file"
    return absl::InvalidArgumentError(absl::StrCat(file.string(), ":", e.mark.line + 1,
                                                   ": invalid YAML: nested more than ", e.depth(),
                                                   " levels deep"));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.string(), ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
  try {
    if (absl::Status s =
            CheckKeys(root,
                      {"name", "version", "protocol", "command", "endpoint", "args", "env",
                       "sha256", "comparators", "limits", "content", "sandbox", "root"},
                      "the manifest", errors);
        !s.ok()) {
      return s;
    }
    Manifest m;
    m.file = file;
    std::error_code ec;
    m.root = std::filesystem::absolute(file, ec).lexically_normal().parent_path();
    if (root["root"]) {
      absl::StatusOr<std::string> dir = Scalar(root["root"], "root", errors);
      if (!dir.ok()) return dir.status();
      if (!std::filesystem::path(*dir).is_absolute()) {
        return errors.At(root["root"], "'root' must be an absolute path");
      }
      m.root = std::filesystem::path(*dir).lexically_normal();
    }
    for (const char* required : {"name", "version", "comparators"}) {
      if (!root[required])
        return errors.At(root, absl::StrCat("missing required key '", required, "'"));
    }
    m.name = root["name"].as<std::string>();
    static const RE2 name_re("[a-z0-9][a-z0-9._-]{0,63}");
    if (!RE2::FullMatch(m.name, name_re)) {
      return errors.At(root["name"], absl::StrCat("name '", m.name,
                                                  "' must be lower-case letters, digits, . _ -"));
    }
    m.version = root["version"].as<std::string>();
    if (root["protocol"]) {
      if (!absl::SimpleAtoi(root["protocol"].as<std::string>(), &m.protocol)) {
        return errors.At(root["protocol"], "protocol must be a number");
      }
    }
    if (absl::Status s = ParseLaunch(root, m, errors); !s.ok()) return s;
    if (root["args"]) {
      absl::StatusOr<std::vector<std::string>> args = StringList(root["args"], "args", errors);
      if (!args.ok()) return args.status();
      m.args = *args;
    }
    if (root["env"]) {
      if (!root["env"].IsMap()) return errors.At(root["env"], "'env' must be a mapping");
      for (const auto& kv : root["env"])
        m.env[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
    if (root["sha256"]) {
      m.sha256 = absl::AsciiStrToLower(root["sha256"].as<std::string>());
      static const RE2 hex("[0-9a-f]{64}");
      if (!RE2::FullMatch(m.sha256, hex))
        return errors.At(root["sha256"], "sha256 must be 64 hex digits");
    }
    if (absl::Status s = ParseComparators(root["comparators"], m, errors); !s.ok()) return s;
    if (root["limits"]) {
      if (absl::Status s = ParseLimits(root["limits"], m, errors); !s.ok()) return s;
    }
    if (m.attached()) m.content = ContentDelivery::kStream;  // it cannot see our files
    if (root["content"]) {
      std::string content = root["content"].as<std::string>();
      if (content == "path" && m.attached()) {
        return errors.At(root["content"],
                         "content: path is impossible for an attached plugin (it cannot see this "
                         "machine's files); remove it or use 'stream'");
      } else if (content == "path") {
        m.content = ContentDelivery::kPath;
      } else if (content == "stream") {
        m.content = ContentDelivery::kStream;
      } else {
        return errors.At(root["content"], "content must be 'path' or 'stream'");
      }
    }
    if (root["sandbox"]) {
      if (absl::Status s = ParseSandbox(root["sandbox"], m, errors); !s.ok()) return s;
    }
    return m;
  } catch (const YAML::BadConversion& e) {
    // yaml-cpp says only "bad conversion": a list or mapping where one value belongs, or a
    // value that is not true/false where a boolean does.
    return absl::InvalidArgumentError(
        absl::StrCat(file.string(), ":", e.mark.line + 1,
                     ": wrong type: expected a single value (a string, a number or true/false), "
                     "not a list or mapping"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.string(), ":", e.mark.line + 1, ": ", e.msg));
  }
}

absl::StatusOr<Manifest> ParseManifestFile(const std::filesystem::path& file) {
  absl::StatusOr<std::string> text = ReadFileToString(file);
  if (!text.ok()) return text.status();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  return ParseManifest(*text, ec ? file : absolute.lexically_normal());
}

}  // namespace deltascope
