// Helpers for building the DiffNodes a comparator returns (the changeset IR,
// proto/deltascope/changeset/v1/changeset.proto): action, tags, details.
#ifndef DELTASCOPE_PLUGIN_NODE_H_
#define DELTASCOPE_PLUGIN_NODE_H_

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deltascope/changeset/v1/changeset.pb.h"
#include "google/protobuf/struct.pb.h"

namespace deltascope::plugin {

using changeset::v1::DiffNode;
using google::protobuf::Value;

// Whether `action` names a value of the protocol's Action enum ("add", "remove", "modify", "move",
// "copy", "reorder"); anything else is rejected by the host.
bool IsValidAction(std::string_view action);

// A node with its action ("add", "remove", "modify", ...), item type ("json", ...) and summary.
// The SDK fills `comparator` and `path` when left empty.
DiffNode MakeNode(std::string_view action, std::string_view item_type,
                  std::string_view summary = {});

// Adds a tag, keeping the list sorted and unique (tags are kebab-case: "key-addition").
void AddTag(DiffNode& node, std::string_view tag);

// Sets details[key] (details render with sorted keys).
void SetDetail(DiffNode& node, std::string_view key, Value value);
void SetDetail(DiffNode& node, std::string_view key, std::string_view value);
void SetDetail(DiffNode& node, std::string_view key, const char* value);
void SetDetail(DiffNode& node, std::string_view key, double value);
void SetDetail(DiffNode& node, std::string_view key, bool value);
// Any integer type (details numbers are doubles: exact up to 2^53).
template <typename Int>
requires(std::integral<Int> &&
         !std::same_as<Int, bool>) void SetDetail(DiffNode& node, std::string_view key, Int value) {
  SetDetail(node, key, static_cast<double>(value));
}

// Values for nested details.
Value StringValue(std::string_view s);
Value NumberValue(double d);
Value BoolValue(bool b);
Value NullValue();
Value ListValue(std::vector<Value> items);
Value StructValue(std::vector<std::pair<std::string, Value>> fields);

// "1 key" / "3 keys".
std::string Plural(int64_t n, std::string_view singular, std::string_view plural);

}  // namespace deltascope::plugin

#endif  // DELTASCOPE_PLUGIN_NODE_H_
