// Structural differences between two JSON documents, and between two JSON Lines files, as counts
// plus bounded examples addressed by JSON path ("$.a.b[2]").
#ifndef DELTASCOPE_EXAMPLES_PLUGINS_JSON_CPP_JSON_DIFF_H_
#define DELTASCOPE_EXAMPLES_PLUGINS_JSON_CPP_JSON_DIFF_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace deltascope::json_plugin {

// One example of a change; before/after are compact JSON, truncated.
struct Change {
  std::string change;  // "added", "removed", "changed"
  std::string path;    // "$.a['odd key'][3]" (JSON), "line 7" (JSON Lines)
  std::optional<std::string> before = std::nullopt;
  std::optional<std::string> after = std::nullopt;
};

struct JsonDiff {
  int64_t keys_added = 0;
  int64_t keys_removed = 0;
  int64_t items_added = 0;  // array elements
  int64_t items_removed = 0;
  int64_t values_changed = 0;
  int64_t objects_reordered = 0;       // objects whose common keys changed order
  std::vector<std::string> reordered;  // their paths (bounded)
  std::vector<Change> examples;        // bounded
  bool content_changed() const {
    return keys_added || keys_removed || items_added || items_removed || values_changed;
  }
};

// Compares two documents; `cancelled` is polled now and then (returns nullopt when it fires).
std::optional<JsonDiff> DiffDocuments(const nlohmann::ordered_json& left,
                                      const nlohmann::ordered_json& right, size_t max_examples,
                                      const std::function<bool()>& cancelled);

// A JSON value as compact text, cut at about `limit` bytes (on a UTF-8 boundary, with "…").
std::string Abbreviate(const nlohmann::ordered_json& value, size_t limit = 200);

// "$" + ".key" or "['odd key']".
std::string AppendKey(const std::string& path, const std::string& key);

struct JsonLinesDiff {
  int64_t records_before = 0;
  int64_t records_after = 0;
  int64_t records_added = 0;  // multiset difference
  int64_t records_removed = 0;
  bool order_changed = false;  // same records, another order
  std::vector<Change> examples;
};

// Compares two JSON Lines files as multisets of records (blank lines ignored; key order inside a
// record does not matter). FailedPrecondition when a line is not JSON, NotFound when a file
// cannot be read.
absl::StatusOr<JsonLinesDiff> DiffJsonLines(const std::filesystem::path& left,
                                            const std::filesystem::path& right,
                                            size_t max_examples);

// Counts the records of one JSON Lines file (errors as for DiffJsonLines).
absl::StatusOr<int64_t> CountJsonLines(const std::filesystem::path& path);

// Parses one JSON document (errors as for DiffJsonLines).
absl::StatusOr<nlohmann::ordered_json> ParseDocument(const std::filesystem::path& path);

}  // namespace deltascope::json_plugin

#endif  // DELTASCOPE_EXAMPLES_PLUGINS_JSON_CPP_JSON_DIFF_H_
