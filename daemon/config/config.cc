#include "daemon/config/config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/plugin/limits.h"
#include "daemon/util/fd.h"
#include "daemon/util/yaml_schema.h"

namespace deltascope {
namespace {

using yaml::Errors;

// Bytes: a positive size as ParseByteSize reads it ("512MiB", "8GiB", "4096").
absl::StatusOr<uint64_t> Bytes(const YAML::Node& node, absl::string_view what,
                               const Errors& errors) {
  absl::StatusOr<uint64_t> n = ParseByteSize(node.IsScalar() ? node.Scalar() : "");
  if (!n.ok() || *n == 0) {
    return errors.At(node, absl::StrCat("'", what,
                                        "' must be a positive size in bytes (e.g. 8589934592 or "
                                        "\"8 GiB\")"));
  }
  return *n;
}

absl::Status ParseTables(const YAML::Node& list, Config& config, const Errors& errors) {
  if (!list.IsSequence()) return errors.At(list, "'tables' must be a list");
  for (const auto& entry : list) {
    if (absl::Status s = yaml::CheckKeys(entry, {"path", "key"}, "in a 'tables' entry", errors);
        !s.ok()) {
      return s;
    }
    if (!entry["path"] || !entry["key"]) {
      return errors.At(entry, "a 'tables' entry needs 'path' (a regex) and 'key' (columns)");
    }
    TableKey key;
    absl::StatusOr<std::string> path = yaml::String(entry["path"], "path", errors);
    if (!path.ok()) return path.status();
    if (const RE2 compiled(*path, RE2::Quiet); !compiled.ok()) {
      return errors.At(entry["path"], absl::StrCat("bad regex '", *path, "': ", compiled.error()));
    }
    key.path_regex = *path;
    absl::StatusOr<std::vector<std::string>> columns = yaml::OneOrList(entry["key"], "key", errors);
    if (!columns.ok()) return columns.status();
    if (columns->empty()) return errors.At(entry["key"], "'key' must name at least one column");
    key.columns = *std::move(columns);
    config.table_keys.push_back(std::move(key));
  }
  return absl::OkStatus();
}

absl::Status ParseMarkdown(const YAML::Node& map, Config& config, const Errors& errors) {
  if (absl::Status s =
          yaml::CheckKeys(map, {"groups", "collapse_threshold"}, "under 'markdown'", errors);
      !s.ok()) {
    return s;
  }
  if (const YAML::Node n = map["collapse_threshold"]) {
    absl::StatusOr<uint64_t> threshold = yaml::Count(n, "collapse_threshold", 0, errors);
    if (!threshold.ok()) return threshold.status();
    config.markdown_collapse_threshold = *threshold;
  }
  const YAML::Node groups = map["groups"];
  if (!groups) return absl::OkStatus();
  if (!groups.IsSequence()) return errors.At(groups, "'groups' must be a list");
  for (const auto& entry : groups) {
    if (absl::Status s = yaml::CheckKeys(entry, {"heading", "tags"}, "in a 'groups' entry", errors);
        !s.ok()) {
      return s;
    }
    if (!entry["heading"] || !entry["tags"]) {
      return errors.At(entry, "a 'groups' entry needs 'heading' and 'tags'");
    }
    MarkdownGroup group;
    absl::StatusOr<std::string> heading = yaml::String(entry["heading"], "heading", errors);
    if (!heading.ok()) return heading.status();
    absl::StatusOr<std::vector<std::string>> tags = yaml::OneOrList(entry["tags"], "tags", errors);
    if (!tags.ok()) return tags.status();
    group.heading = *std::move(heading);
    group.tags = *std::move(tags);
    config.markdown_groups.push_back(std::move(group));
  }
  return absl::OkStatus();
}

absl::Status ParseOutput(const YAML::Node& map, Config& config, const Errors& errors) {
  if (absl::Status s = yaml::CheckKeys(map, {"format", "group"}, "under 'output'", errors);
      !s.ok()) {
    return s;
  }
  if (const YAML::Node format = map["format"]) {
    absl::StatusOr<std::string> name = yaml::String(format, "format", errors);
    if (!name.ok()) return name.status();
    const std::string lower = absl::AsciiStrToLower(*name);
    if (lower != "markdown" && lower != "md" && lower != "json" && lower != "html") {
      return errors.At(
          format, absl::StrCat("unknown format '", *name, "' (expected markdown, json or html)"));
    }
    config.output_format = lower;
  }
  if (const YAML::Node group = map["group"]) {
    absl::StatusOr<bool> on = yaml::Bool(group, "group", errors);
    if (!on.ok()) return on.status();
    config.output_group = *on;
  }
  return absl::OkStatus();
}

absl::Status ParseArchives(const YAML::Node& map, Config& config, const Errors& errors) {
  if (absl::Status s = yaml::CheckKeys(map, {"max_total_bytes", "max_ratio", "max_depth"},
                                       "under 'archives'", errors);
      !s.ok()) {
    return s;
  }
  if (const YAML::Node n = map["max_total_bytes"]) {
    absl::StatusOr<uint64_t> bytes = Bytes(n, "max_total_bytes", errors);
    if (!bytes.ok()) return bytes.status();
    config.archive_max_total_bytes = *bytes;
  }
  if (const YAML::Node n = map["max_ratio"]) {
    absl::StatusOr<uint64_t> ratio = yaml::Count(n, "max_ratio", 1, errors);
    if (!ratio.ok()) return ratio.status();
    config.archive_max_ratio = *ratio;
  }
  if (const YAML::Node n = map["max_depth"]) {
    absl::StatusOr<uint64_t> depth = yaml::Count(n, "max_depth", 0, errors);
    if (!depth.ok()) return depth.status();
    if (*depth > 64) return errors.At(n, "'max_depth' must be at most 64");
    config.archive_max_depth = static_cast<int>(*depth);
  }
  return absl::OkStatus();
}

absl::Status ParsePlugins(const YAML::Node& map, Config& config, const Errors& errors) {
  if (absl::Status s =
          yaml::CheckKeys(map, {"enable", "disable", "limits", "require_signed", "trusted_keys"},
                          "under 'plugins'", errors);
      !s.ok()) {
    return s;
  }
  if (const YAML::Node limits = map["limits"]) {
    absl::StatusOr<std::vector<yaml::Pair>> entries = yaml::Pairs(limits, "limits", errors);
    if (!entries.ok()) return entries.status();
    for (const yaml::Pair& entry : *entries) {
      absl::StatusOr<LimitCeiling> one =
          LimitCeilingFromMap({{entry.key, entry.value}}, "plugins.limits");
      if (!one.ok()) return errors.At(entry.key_node, one.status().message());
      config.plugins_limits[entry.key] = entry.value;
    }
  }
  if (const YAML::Node n = map["require_signed"]) {
    absl::StatusOr<bool> on = yaml::Bool(n, "require_signed", errors);
    if (!on.ok()) return on.status();
    config.plugins_require_signed = *on;
  }
  for (const auto& [key, out] :
       {std::pair{"enable", &config.plugins_enable}, std::pair{"disable", &config.plugins_disable},
        std::pair{"trusted_keys", &config.plugins_trusted_keys}}) {
    if (const YAML::Node n = map[key]) {
      absl::StatusOr<std::vector<std::string>> patterns = yaml::OneOrList(n, key, errors);
      if (!patterns.ok()) return patterns.status();
      *out = *std::move(patterns);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTopLevel(const YAML::Node& root, Config& config, const Errors& errors) {
  if (root.IsNull()) return absl::OkStatus();  // an empty file sets nothing
  if (absl::Status s = yaml::CheckKeys(
          root, {"comparators", "tables", "markdown", "output", "archives", "moves", "plugins"},
          "at the top level", errors);
      !s.ok()) {
    return s;
  }
  if (const YAML::Node n = root["comparators"]) {
    absl::StatusOr<std::vector<std::string>> names = yaml::OneOrList(n, "comparators", errors);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      if (name.empty()) return errors.At(n, "'comparators' holds an empty name");
    }
    config.comparators = *std::move(names);
  }
  if (const YAML::Node n = root["moves"]) {
    absl::StatusOr<bool> on = yaml::Bool(n, "moves", errors);
    if (!on.ok()) return on.status();
    config.moves = *on;
  }
  struct Section {
    const char* key;
    absl::Status (*parse)(const YAML::Node&, Config&, const Errors&);
  };
  for (const Section& section : {Section{"tables", ParseTables}, Section{"markdown", ParseMarkdown},
                                 Section{"output", ParseOutput}, Section{"archives", ParseArchives},
                                 Section{"plugins", ParsePlugins}}) {
    const YAML::Node n = root[section.key];
    if (!n) continue;
    if (absl::Status s = section.parse(n, config, errors); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// The RE2 form of a path glob ("data/*.csv" -> "data/[^/]*\\.csv").
absl::StatusOr<std::string> GlobToRegex(absl::string_view glob) {
  std::string out = glob.find('/') == absl::string_view::npos ? "(?:.*/)?" : "";
  for (size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*' && i + 1 < glob.size() && glob[i + 1] == '*') {
      const bool folder = i + 2 < glob.size() && glob[i + 2] == '/';
      out += folder ? "(?:.*/)?" : ".*";  // "**/a.csv" matches a.csv at the top too
      i += folder ? 2 : 1;
    } else if (c == '*') {
      out += "[^/]*";
    } else if (c == '?') {
      out += "[^/]";
    } else if (c == '[') {
      size_t j = i + 1;
      const bool negate = j < glob.size() && (glob[j] == '!' || glob[j] == '^');
      if (negate) ++j;
      size_t end = j < glob.size() && glob[j] == ']' ? j + 1 : j;  // "[]a]" holds ']'
      while (end < glob.size() && glob[end] != ']') ++end;
      if (end >= glob.size()) return absl::InvalidArgumentError("unterminated '[' in the pattern");
      out += negate ? "[^" : "[";
      for (size_t k = j; k < end; ++k) {
        const auto b = static_cast<unsigned char>(glob[k]);
        if (!absl::ascii_isalnum(b) && b != '-' && b < 0x80) out.push_back('\\');
        out.push_back(glob[k]);
      }
      out += "]";
      i = end;
    } else if (c == '\\' && i + 1 < glob.size()) {
      out += RE2::QuoteMeta(std::string(1, glob[++i]));
    } else {
      out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<TableKey> ParseKeyOption(absl::string_view spec) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--key '", spec, "': ", why));
  };
  const size_t colon = spec.find(':');
  const absl::string_view glob = colon == absl::string_view::npos ? "" : spec.substr(0, colon);
  const absl::string_view columns =
      colon == absl::string_view::npos ? spec : spec.substr(colon + 1);
  TableKey key;
  key.columns = absl::StrSplit(columns, ',');
  for (const std::string& column : key.columns) {
    if (column.empty()) return error("expected [GLOB:]COLUMN[,COLUMN...], with no empty column");
  }
  if (glob.empty()) {
    key.path_regex = ".*";
  } else {
    absl::StatusOr<std::string> regex = GlobToRegex(glob);
    if (!regex.ok()) return error(regex.status().message());
    if (const RE2 compiled(*regex, RE2::Quiet); !compiled.ok()) {
      return error(absl::StrCat("bad path pattern: ", compiled.error()));
    }
    key.path_regex = *std::move(regex);
  }
  return key;
}

absl::StatusOr<std::string> ConfigYamlWithTableKeys(const std::string& yaml,
                                                    const std::vector<TableKey>& keys) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);  // empty text
    YAML::Node tables(YAML::NodeType::Sequence);
    for (const TableKey& key : keys) {
      YAML::Node entry(YAML::NodeType::Map);
      entry["path"] = key.path_regex;
      for (const std::string& column : key.columns) entry["key"].push_back(column);
      tables.push_back(entry);
    }
    if (root["tables"] && root["tables"].IsSequence()) {
      for (const YAML::Node& entry : root["tables"]) tables.push_back(entry);
    }
    root["tables"] = tables;
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: malformed YAML: ", e.msg));
  }
}

void Config::ApplyTo(DiffOptions& options) const {
  if (comparators) options.comparators = *comparators;
  options.table_keys.insert(options.table_keys.end(), table_keys.begin(), table_keys.end());
  if (archive_max_total_bytes) options.archive_limits.max_total_bytes = *archive_max_total_bytes;
  if (archive_max_ratio) options.archive_limits.max_ratio = *archive_max_ratio;
  if (archive_max_depth) options.archive_limits.max_depth = *archive_max_depth;
  if (moves) options.detect_moves = *moves;
}

bool Config::GroupByDefault() const { return output_group.value_or(!markdown_groups.empty()); }

absl::StatusOr<Config> ParseConfig(const std::string& text, const std::string& label) {
  const Errors errors(label);
  Config config;
  absl::StatusOr<YAML::Node> root = yaml::Load(text, errors);
  if (!root.ok()) return root.status();
  if (absl::Status s = ParseTopLevel(*root, config, errors); !s.ok()) return s;
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::filesystem::path& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat(path.string(), ": cannot read the config file: ", text.status().message()));
  }
  return ParseConfig(*text, path.string());
}

}  // namespace deltascope
