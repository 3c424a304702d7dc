// Which items of two JSON arrays correspond, for the json comparator. Arrays of objects are
// matched by an identifying member when one can be inferred (present in every object, a short
// string or an integer, unique on each side, with an id-like name preferred); otherwise items
// pair by equal value (in order where possible), and the leftovers between two unchanged items
// pair by position.
#ifndef DELTASCOPE_DAEMON_STDLIB_JSON_MATCH_H_
#define DELTASCOPE_DAEMON_STDLIB_JSON_MATCH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/stdlib/json_tree.h"

namespace deltascope {

// Candidate members tried as an inferred key.
inline constexpr size_t kMaxJsonKeyCandidates = 8;

// One side of the comparison: a tree and the items (nodes) of one of its arrays.
struct JsonItems {
  const JsonTree& tree;
  const std::vector<uint32_t>& items;
};

struct JsonArrayMatch {
  struct Pair {
    uint32_t left;   // index into the left items
    uint32_t right;  // index into the right items
    bool moved;      // out of order with respect to the other pairs
  };
  std::vector<Pair> pairs;         // by right index
  std::vector<uint32_t> removed;   // left indexes without a partner, ascending
  std::vector<uint32_t> added;     // right indexes without a partner, ascending
  std::optional<std::string> key;  // the member that matched the items
  bool records = false;            // every item on both sides is an object
};

// How well a name suits an identifier, best first: 0 for `id`, 1 for `*_id`, `userId`, `uuid`,
// 2 for `code`, `key`, `iso*`, `slug`..., 3 for `name` and `title`; -1 for other names.
int JsonKeyNameRank(std::string_view name);

// The member that identifies the objects of both arrays, if any: the candidates are the
// members of the first left object ranked by JsonKeyNameRank (at most kMaxJsonKeyCandidates),
// then its first member; the first whose values are non-blank strings of at most 256 bytes or
// integers, present in every object and distinct on each side wins.
std::optional<std::string> InferJsonArrayKey(const JsonItems& left, const JsonItems& right);

// Whether two items left over between the same unchanged items are one edited item (true) or
// one removed and one added (false).
using JsonSimilar = std::function<bool(uint32_t left_node, uint32_t right_node)>;

// Matches the items of two arrays (see the file comment).
JsonArrayMatch MatchJsonArrays(const JsonItems& left, const JsonItems& right,
                               const JsonSimilar& similar);

// The value of `key` in object `node` as a path selector value: `FR`, `42`, or quoted
// (`'Côte d\'Ivoire'`) when it holds other characters than letters, digits, `_`, `-`, `.`.
std::string JsonSelectorValue(const JsonTree& tree, uint32_t node, std::string_view key);

// A member name as it appears in a path: `name`, or quoted when it is not an identifier.
std::string JsonPathName(std::string_view name);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_JSON_MATCH_H_
