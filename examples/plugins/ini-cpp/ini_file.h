// Reading INI files (`[section]`, `key = value`) and Java .properties files (`key=value`,
// `key: value`, lines continued with `\`) in bounded memory: each setting is kept as hashes
// (24 bytes), never as text, and the text of the few settings shown as examples is read again
// afterwards. Lines are read through a fixed buffer, so no input can make it allocate more
// than kMaxLineBytes at once.
#ifndef DELTASCOPE_EXAMPLES_PLUGINS_INI_CPP_INI_FILE_H_
#define DELTASCOPE_EXAMPLES_PLUGINS_INI_CPP_INI_FILE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace deltascope::ini_plugin {

// A longer line means "not a settings file".
inline constexpr size_t kMaxLineBytes = 1 << 20;
// More settings than this in one file: not compared here (the host's text comparator takes it).
inline constexpr size_t kMaxSettings = 2'000'000;

enum class Dialect {
  kIni,         // [section] headers; comments start with ';' or '#'
  kProperties,  // no sections; comments start with '#' or '!'; a trailing '\' continues a line
};

// One setting as hashes.
struct Setting {
  uint64_t name;  // section and key
  uint64_t value;
  uint64_t line;  // where it starts (1-based); the last one when a key repeats
};

struct Settings {
  std::vector<Setting> by_name;    // sorted by name, one per name (the last one wins)
  std::vector<uint64_t> sections;  // hashes of the section names, sorted, unique
  uint64_t order = 0;              // fingerprint of the names in file order
  uint64_t comments = 0;           // fingerprint of the comment lines
};

// A setting as text (for examples).
struct Entry {
  std::string section;  // "" outside any section, and in .properties files
  std::string key;
  std::string value;
  uint64_t line = 0;
};

// Reads the settings of `path`. FailedPrecondition when it is not a settings file of this
// dialect (NUL bytes, not UTF-8, a line longer than kMaxLineBytes, a '[' line without ']', more
// than kMaxSettings settings), the I/O error when unreadable, Cancelled when `cancelled` fires.
absl::StatusOr<Settings> ReadSettings(const std::filesystem::path& path, Dialect dialect,
                                      const std::function<bool()>& cancelled);

// The settings that start on `lines` (ascending), as text, in file order.
absl::StatusOr<std::vector<Entry>> ReadEntriesAt(const std::filesystem::path& path, Dialect dialect,
                                                 const std::vector<uint64_t>& lines);

}  // namespace deltascope::ini_plugin

#endif  // DELTASCOPE_EXAMPLES_PLUGINS_INI_CPP_INI_FILE_H_
