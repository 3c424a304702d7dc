#include "daemon/engine/node_util.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace deltascope {

DiffNode MakeNode(std::string_view action, std::string_view item_type, std::string_view path,
                  std::string_view comparator) {
  DiffNode node;
  node.set_action(std::string(action));
  node.set_item_type(std::string(item_type));
  node.set_path(std::string(path));
  node.set_comparator(std::string(comparator));
  return node;
}

void AddTag(DiffNode& node, std::string_view tag) {
  auto* tags = node.mutable_tags();
  auto it = std::lower_bound(tags->begin(), tags->end(), tag);
  if (it != tags->end() && *it == tag) return;
  tags->Add(std::string(tag));
  std::sort(tags->begin(), tags->end());
}

void SetDetail(DiffNode& node, std::string_view key, google::protobuf::Value value) {
  (*node.mutable_details()->mutable_fields())[std::string(key)] = std::move(value);
}
void SetDetail(DiffNode& node, std::string_view key, std::string_view value) {
  SetDetail(node, key, StringValue(value));
}
void SetDetail(DiffNode& node, std::string_view key, const char* value) {
  SetDetail(node, key, StringValue(value));
}
void SetDetail(DiffNode& node, std::string_view key, int64_t value) {
  SetDetail(node, key, NumberValue(static_cast<double>(value)));
}
void SetDetail(DiffNode& node, std::string_view key, bool value) {
  google::protobuf::Value v;
  v.set_bool_value(value);
  SetDetail(node, key, std::move(v));
}

google::protobuf::Value StringValue(std::string_view s) {
  google::protobuf::Value v;
  v.set_string_value(std::string(s));
  return v;
}
google::protobuf::Value NumberValue(double d) {
  google::protobuf::Value v;
  v.set_number_value(d);
  return v;
}
google::protobuf::Value ListValue(std::vector<google::protobuf::Value> items) {
  google::protobuf::Value v;
  auto* list = v.mutable_list_value();
  for (auto& item : items) *list->add_values() = std::move(item);
  return v;
}

std::string HumanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string Plural(int64_t n, std::string_view singular, std::string_view plural) {
  return absl::StrCat(n, " ", std::string(n == 1 ? singular : plural));
}

std::optional<changeset::v1::Action> ParseAction(std::string_view action) {
  if (action.empty()) return changeset::v1::ACTION_UNSPECIFIED;
  // Lower-case only: "ADD" or "Unspecified" are not actions.
  if (!std::all_of(action.begin(), action.end(), [](char c) { return absl::ascii_islower(c); })) {
    return std::nullopt;
  }
  changeset::v1::Action parsed;
  if (!changeset::v1::Action_Parse(
          absl::StrCat("ACTION_", absl::AsciiStrToUpper(std::string(action))), &parsed) ||
      parsed == changeset::v1::ACTION_UNSPECIFIED) {
    return std::nullopt;
  }
  return parsed;
}

std::string KnownActions() {
  std::vector<std::string> names;
  for (int i = changeset::v1::Action_MIN; i <= changeset::v1::Action_MAX; ++i) {
    if (i == changeset::v1::ACTION_UNSPECIFIED || !changeset::v1::Action_IsValid(i)) continue;
    names.push_back(absl::AsciiStrToLower(absl::StripPrefix(
        changeset::v1::Action_Name(static_cast<changeset::v1::Action>(i)), "ACTION_")));
  }
  std::string last = names.back();
  names.pop_back();
  return absl::StrCat(absl::StrJoin(names, ", "), " or ", last);
}

}  // namespace deltascope
