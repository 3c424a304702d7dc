#include "deltascope/plugin/node.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace deltascope::plugin {

bool IsValidAction(std::string_view action) {
  if (action.empty() ||
      !std::all_of(action.begin(), action.end(), [](char c) { return absl::ascii_islower(c); })) {
    return false;
  }
  changeset::v1::Action parsed;
  return changeset::v1::Action_Parse(
             absl::StrCat("ACTION_", absl::AsciiStrToUpper(std::string(action))), &parsed) &&
         parsed != changeset::v1::ACTION_UNSPECIFIED;
}

DiffNode MakeNode(std::string_view action, std::string_view item_type, std::string_view summary) {
  DiffNode node;
  node.set_action(std::string(action));
  node.set_item_type(std::string(item_type));
  node.set_summary(std::string(summary));
  return node;
}

void AddTag(DiffNode& node, std::string_view tag) {
  auto* tags = node.mutable_tags();
  auto it = std::lower_bound(tags->begin(), tags->end(), tag,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it != tags->end() && *it == tag) return;
  // RepeatedPtrField has no insert: append, then rotate into place.
  int index = static_cast<int>(it - tags->begin());
  tags->Add(std::string(tag));
  for (int i = tags->size() - 1; i > index; --i) tags->SwapElements(i, i - 1);
}

void SetDetail(DiffNode& node, std::string_view key, Value value) {
  (*node.mutable_details()->mutable_fields())[std::string(key)] = std::move(value);
}
void SetDetail(DiffNode& node, std::string_view key, std::string_view value) {
  SetDetail(node, key, StringValue(value));
}
void SetDetail(DiffNode& node, std::string_view key, const char* value) {
  SetDetail(node, key, StringValue(value));
}
void SetDetail(DiffNode& node, std::string_view key, double value) {
  SetDetail(node, key, NumberValue(value));
}
void SetDetail(DiffNode& node, std::string_view key, bool value) {
  SetDetail(node, key, BoolValue(value));
}

Value StringValue(std::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}
Value NumberValue(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value BoolValue(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value NullValue() {
  Value v;
  v.set_null_value(google::protobuf::NULL_VALUE);
  return v;
}
Value ListValue(std::vector<Value> items) {
  Value v;
  auto* list = v.mutable_list_value();
  for (Value& item : items) *list->add_values() = std::move(item);
  return v;
}
Value StructValue(std::vector<std::pair<std::string, Value>> fields) {
  Value v;
  auto* out = v.mutable_struct_value()->mutable_fields();
  for (auto& [key, value] : fields) (*out)[key] = std::move(value);
  return v;
}

std::string Plural(int64_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

}  // namespace deltascope::plugin
