// A parsed JSON document (or JSON Lines file) as a compact, immutable tree for the json
// comparator: each value is one small node in document order, the text of keys and scalars sits
// in one pool, and each node carries a hash of its value that ignores key order and number
// spelling (1, 1.0 and 1e0 are equal). Parsing is iterative (nlohmann's SAX parser), so deep
// nesting costs heap, never stack; the size and the value count are capped.
#ifndef DELTASCOPE_DAEMON_STDLIB_JSON_TREE_H_
#define DELTASCOPE_DAEMON_STDLIB_JSON_TREE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace deltascope {

// What a file may cost before it is compared as text instead (the tree takes about 24 bytes a
// value plus the text of its keys and scalars).
struct JsonLimits {
  uint64_t max_bytes = 32ull << 20;
  uint64_t max_values = 4'000'000;
};

enum class JsonType : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// "null", "boolean", "number", "string", "array" or "object".
const char* JsonTypeName(JsonType type);

class JsonTree {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Parses `path`. With `lines` the file is JSON Lines: each non-blank line is one value and
  // the root is an array of them. Errors: FailedPrecondition "not valid JSON: <where and why>",
  // ResourceExhausted when a limit is passed (the message names it), or the I/O error.
  static absl::StatusOr<JsonTree> Parse(const std::filesystem::path& path, bool lines,
                                        const JsonLimits& limits = {});
  // Parses `text` (tests; the same rules).
  static absl::StatusOr<JsonTree> ParseText(std::string_view text, bool lines,
                                            const JsonLimits& limits = {});

  uint32_t root() const { return 0; }
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }

  JsonType type(uint32_t node) const { return nodes_[node].type; }
  // Equal for equal values, whatever the key order or number spelling.
  uint64_t hash(uint32_t node) const { return nodes_[node].hash; }
  bool is_container(uint32_t node) const {
    return type(node) == JsonType::kArray || type(node) == JsonType::kObject;
  }
  // Children of an array or object, in document order: FirstChild, then NextSibling until
  // it reaches End.
  uint32_t ChildCount(uint32_t node) const { return is_container(node) ? nodes_[node].text : 0; }
  uint32_t FirstChild(uint32_t node) const { return node + 1; }
  uint32_t NextSibling(uint32_t node) const { return nodes_[node].end; }
  uint32_t End(uint32_t node) const { return nodes_[node].end; }
  // The member name of a child of an object ("" otherwise).
  std::string_view Key(uint32_t node) const { return PoolString(nodes_[node].key); }
  // A scalar as text: a string unescaped, a number as written, "true", "false" or "null".
  std::string_view Text(uint32_t node) const;

  // The children of `node`, in document order.
  std::vector<uint32_t> Children(uint32_t node) const;
  // The member of object `node` called `name` (the last one when repeated), or kNone.
  uint32_t Member(uint32_t node, std::string_view name) const;

 private:
  struct Node {
    uint64_t hash = 0;
    uint32_t end = 0;       // one past the last node of this subtree
    uint32_t key = kNone;   // pool offset of the member name
    uint32_t text = kNone;  // scalars: pool offset of the text; containers: child count
    JsonType type = JsonType::kNull;
  };
  class Builder;

  std::string_view PoolString(uint32_t offset) const;

  std::vector<Node> nodes_;
  std::string pool_;  // each entry: 4-byte length, then the bytes
};

// `node` as compact JSON, cut after about `limit` bytes (on a UTF-8 boundary, ending in "…").
std::string AbbreviateJson(const JsonTree& tree, uint32_t node, size_t limit = 200);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_JSON_TREE_H_
