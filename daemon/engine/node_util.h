// Small helpers for building DiffNodes: details, tags, human-readable sizes.
#ifndef DELTASCOPE_DAEMON_ENGINE_NODE_UTIL_H_
#define DELTASCOPE_DAEMON_ENGINE_NODE_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deltascope/changeset/v1/changeset.pb.h"
#include "google/protobuf/struct.pb.h"

namespace deltascope {

using changeset::v1::DiffNode;

// A node with its action, item type, path and comparator set.
DiffNode MakeNode(std::string_view action, std::string_view item_type, std::string_view path,
                  std::string_view comparator);

// Adds a tag, keeping the list sorted and unique.
void AddTag(DiffNode& node, std::string_view tag);

// The Action an action string names ("add" -> ACTION_ADD; "" -> ACTION_UNSPECIFIED, a node
// without an action of its own), or nullopt when it names none. The proto enum is the one list
// of actions: the plugin host and `deltascope changelog` check with this, the SDKs with the enum.
std::optional<changeset::v1::Action> ParseAction(std::string_view action);
// "add, remove, modify, move, copy or reorder": the actions, for error messages.
std::string KnownActions();

void SetDetail(DiffNode& node, std::string_view key, std::string_view value);
void SetDetail(DiffNode& node, std::string_view key, const char* value);
void SetDetail(DiffNode& node, std::string_view key, int64_t value);
void SetDetail(DiffNode& node, std::string_view key, bool value);
void SetDetail(DiffNode& node, std::string_view key, google::protobuf::Value value);

// Value helpers for nested details.
google::protobuf::Value StringValue(std::string_view s);
google::protobuf::Value NumberValue(double d);
google::protobuf::Value ListValue(std::vector<google::protobuf::Value> items);

// 1024-based, one decimal: "12.0 KB", "3.4 MB"; below 1 KB: "512 B".
std::string HumanSize(uint64_t bytes);

// "1 line" / "3 lines".
std::string Plural(int64_t n, std::string_view singular, std::string_view plural);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_NODE_UTIL_H_
