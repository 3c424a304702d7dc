// The structural difference between two JSON trees, for the json comparator: keys added,
// removed and renamed, values changed, array items added, removed and moved, by JSON path
// ("$.countries[iso=FR].name"), as counts plus bounded examples. Arrays of objects are matched
// by an identifying member inferred from the data (json_match.h), not by position.
#ifndef DELTASCOPE_DAEMON_STDLIB_JSON_DIFF_H_
#define DELTASCOPE_DAEMON_STDLIB_JSON_DIFF_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/stdlib/json_tree.h"

namespace deltascope {

// Subtrees deeper than this are compared whole: a difference below is one changed value at the
// depth where the walk stopped.
inline constexpr int kMaxJsonCompareDepth = 128;

// One example of a change; before/after are compact JSON, abbreviated (AbbreviateJson).
struct JsonChange {
  std::string path;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

// A member name that changed in objects at `path` ("$.drugs[*]": every item of that array),
// keeping its value in most of them.
struct JsonKeyRename {
  std::string path;
  std::string before;
  std::string after;
  int64_t objects = 0;
};

// An array whose object items were matched by the member `key`.
struct JsonArrayKey {
  std::string path;  // "$.countries", or "$.a[*].b" for an array inside each item of another
  std::string key;
};

struct JsonDiff {
  int64_t keys_added = 0;
  int64_t keys_removed = 0;
  int64_t values_changed = 0;
  int64_t type_changes = 0;  // values changed from one JSON type to another (counted in both)
  // Items of arrays of objects ("records", the rows of JSON data) and of other arrays.
  int64_t records_added = 0;
  int64_t records_removed = 0;
  int64_t items_added = 0;
  int64_t items_removed = 0;
  int64_t records_moved = 0;  // now elsewhere in their array: clerical, like rows of a table
  int64_t items_moved = 0;    // the order of other arrays (coordinates, lists) may mean something
  int64_t objects_reordered = 0;         // objects whose members changed order (clerical)
  std::vector<JsonKeyRename> renames;    // in order of discovery
  std::vector<JsonArrayKey> matched_by;  // in order of discovery, one per (path, key)
  std::vector<JsonChange> keys_added_examples, keys_removed_examples, values_changed_examples,
      records_added_examples, records_removed_examples, items_added_examples,
      items_removed_examples;
  std::vector<std::string> reordered_paths;  // objects whose members changed order (bounded)

  bool content_changed() const {
    return keys_added || keys_removed || values_changed || records_added || records_removed ||
           items_added || items_removed || items_moved || !renames.empty();
  }
};

// Compares two trees; `cancelled`, when set, is polled now and then (Cancelled error).
absl::StatusOr<JsonDiff> DiffJsonTrees(const JsonTree& left, const JsonTree& right,
                                       size_t max_examples,
                                       const std::function<bool()>& cancelled = nullptr);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_JSON_DIFF_H_
