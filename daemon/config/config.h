// The config file (`deltascope diff --config FILE`, YAML): run settings that the command line
// may override. The schema is documented in docs/config.md.
#ifndef DELTASCOPE_DAEMON_CONFIG_CONFIG_H_
#define DELTASCOPE_DAEMON_CONFIG_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/engine/options.h"
#include "daemon/render/markdown.h"

namespace deltascope {

// What a config file sets; absent fields leave the built-in defaults alone.
struct Config {
  std::optional<std::vector<std::string>> comparators;  // pipeline, by name, in order
  std::vector<TableKey> table_keys;                     // regexes checked to compile
  std::vector<MarkdownGroup> markdown_groups;           // empty: the default grouping
  std::optional<uint64_t> markdown_collapse_threshold;  // see MarkdownOptions
  std::optional<std::string> output_format;             // "markdown" or "json"
  std::optional<bool> output_group;
  std::optional<uint64_t> archive_max_total_bytes;
  std::optional<uint64_t> archive_max_ratio;
  std::optional<int> archive_max_depth;
  std::optional<bool> moves;
  std::vector<std::string> plugins_enable;   // name patterns, reserved for the plugin host
  std::vector<std::string> plugins_disable;  // name patterns, reserved for the plugin host
  // plugins.limits: the user's ceiling on plugin limits (key → value as in a manifest), checked
  // by LimitCeilingFromMap; the command line and DELTASCOPE_PLUGIN_LIMITS win over it.
  std::map<std::string, std::string> plugins_limits;
  std::optional<bool> plugins_require_signed;
  std::vector<std::string> plugins_trusted_keys;  // as written (relative to the config file)

  // Writes the engine settings (tables, archive limits, moves; comparators when set) into
  // `options`.
  void ApplyTo(DiffOptions& options) const;
  // Grouping is on when output.group says so, or when markdown.groups is given and output.group
  // is not.
  bool GroupByDefault() const;
};

// Reads and validates `path`. Errors are one line naming the file and line:
// "config.yaml:7: unknown key 'tabels' at the top level (known: ...)".
absl::StatusOr<Config> LoadConfig(const std::filesystem::path& path);

// Parses config text; `label` names it in errors (usually the file name).
absl::StatusOr<Config> ParseConfig(const std::string& text, const std::string& label);

// A `--key [GLOB:]COLUMN[,COLUMN...]` option as a table key. GLOB is a shell pattern on the
// logical path (`*` and `?` stay within a folder, `**` spans folders, `[...]` is a class, `\`
// quotes), turned into the regex the config's `tables` use; a GLOB without '/' matches the file
// name in any folder, and no GLOB matches every table. Errors are one line naming the option.
absl::StatusOr<TableKey> ParseKeyOption(absl::string_view spec);

// Config text (maybe empty) with `keys` first in its `tables`, so they win over its own.
absl::StatusOr<std::string> ConfigYamlWithTableKeys(const std::string& yaml,
                                                    const std::vector<TableKey>& keys);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_CONFIG_CONFIG_H_
