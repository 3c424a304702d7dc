// json: JSON documents (.json, .geojson) and JSON Lines (.jsonl, .ndjson), compared by
// structure (json_diff.h): keys added, removed and renamed, values changed and records added or
// removed, by JSON path. A file that is not valid JSON, or too large to hold as a tree
// (JsonLimits), is compared as text instead, and the node says why.
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/json_diff.h"
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
namespace {

using google::protobuf::Value;

constexpr char kItemType[] = "json";
// Renames and matched arrays listed in details, at most.
constexpr size_t kMaxListed = 100;
// Renames spelled out in the summary, at most; past it they are counted.
constexpr size_t kMaxSummaryRenames = 3;

bool IsJsonLines(const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  return absl::EndsWith(lower, ".jsonl") || absl::EndsWith(lower, ".ndjson");
}

Value StructOf(std::vector<std::pair<std::string, Value>> fields) {
  Value v;
  auto* s = v.mutable_struct_value()->mutable_fields();
  for (auto& [key, value] : fields) (*s)[key] = std::move(value);
  return v;
}

void SetExamples(DiffNode& node, std::string_view key, const std::vector<JsonChange>& changes) {
  if (changes.empty()) return;
  std::vector<Value> list;
  for (const JsonChange& c : changes) {
    std::vector<std::pair<std::string, Value>> fields = {{"path", StringValue(c.path)}};
    if (c.before) fields.emplace_back("before", StringValue(*c.before));
    if (c.after) fields.emplace_back("after", StringValue(*c.after));
    list.push_back(StructOf(std::move(fields)));
  }
  SetDetail(node, key, ListValue(std::move(list)));
}

std::string RenamePhrase(const JsonKeyRename& r) {
  std::string phrase = absl::StrCat("key renamed: '", r.before, "' \u2192 '", r.after, "'");
  if (r.objects > 1) absl::StrAppend(&phrase, " in ", r.objects, " records");
  return phrase;
}

struct Count {
  int64_t n;
  const char* singular;
  const char* plural;
  const char* tag;
  const char* detail;
};

// The node of a modified file whose sides both parsed.
DiffNode DescribeDiff(const JsonDiff& diff, const JsonTree& left, const JsonTree& right,
                      bool lines) {
  DiffNode node = MakeNode("modify", kItemType, "", "json");
  if (lines) {
    SetDetail(node, "record_count_before", static_cast<int64_t>(left.ChildCount(left.root())));
    SetDetail(node, "record_count_after", static_cast<int64_t>(right.ChildCount(right.root())));
  }
  std::vector<std::string> parts;
  for (const Count& c : {
           Count{diff.records_added, "record added", "records added", "item-addition",
                 "records_added"},
           Count{diff.records_removed, "record removed", "records removed", "item-removal",
                 "records_removed"},
           Count{diff.items_added, "item added", "items added", "item-addition", "items_added"},
           Count{diff.items_removed, "item removed", "items removed", "item-removal",
                 "items_removed"},
           Count{diff.keys_added, "key added", "keys added", "key-addition", "keys_added"},
           Count{diff.keys_removed, "key removed", "keys removed", "key-removal", "keys_removed"},
       }) {
    if (c.n == 0) continue;
    parts.push_back(Plural(c.n, c.singular, c.plural));
    AddTag(node, c.tag);
    SetDetail(node, c.detail, c.n);
  }
  if (!diff.renames.empty()) {
    AddTag(node, "key-rename");
    if (diff.renames.size() <= kMaxSummaryRenames) {
      for (const JsonKeyRename& r : diff.renames) parts.push_back(RenamePhrase(r));
    } else {
      parts.push_back(
          Plural(static_cast<int64_t>(diff.renames.size()), "key renamed", "keys renamed"));
    }
    std::vector<Value> list;
    for (size_t i = 0; i < diff.renames.size() && i < kMaxListed; ++i) {
      const JsonKeyRename& r = diff.renames[i];
      list.push_back(StructOf({{"path", StringValue(r.path)},
                               {"before", StringValue(r.before)},
                               {"after", StringValue(r.after)},
                               {"objects", NumberValue(static_cast<double>(r.objects))}}));
    }
    SetDetail(node, "keys_renamed", ListValue(std::move(list)));
  }
  if (diff.values_changed > 0) {
    parts.push_back(Plural(diff.values_changed, "value changed", "values changed"));
    AddTag(node, "value-change");
    SetDetail(node, "values_changed", diff.values_changed);
  }
  if (diff.type_changes > 0) {
    AddTag(node, "type-change");
    SetDetail(node, "type_changes", diff.type_changes);
  }
  if (diff.items_moved > 0) {
    parts.push_back(Plural(diff.items_moved, "item moved", "items moved"));
    AddTag(node, "item-reorder");
    SetDetail(node, "items_moved", diff.items_moved);
  }
  if (diff.records_moved > 0) {
    parts.push_back("records reordered");
    AddTag(node, "row-reorder");
    SetDetail(node, "records_moved", diff.records_moved);
  }
  if (diff.objects_reordered > 0) {
    parts.push_back(
        absl::StrCat("key order changed in ", Plural(diff.objects_reordered, "object", "objects")));
    AddTag(node, "key-order");
    SetDetail(node, "objects_reordered", diff.objects_reordered);
    std::vector<Value> paths;
    for (const std::string& p : diff.reordered_paths) paths.push_back(StringValue(p));
    SetDetail(node, "key_order_paths", ListValue(std::move(paths)));
  }
  if (!diff.matched_by.empty()) {
    std::vector<std::string> keys;
    std::vector<Value> list;
    for (const JsonArrayKey& m : diff.matched_by) {
      if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) keys.push_back(m.key);
      if (list.size() < kMaxListed) {
        list.push_back(StructOf({{"path", StringValue(m.path)}, {"key", StringValue(m.key)}}));
      }
    }
    if (keys.size() > kMaxSummaryRenames) keys.resize(kMaxSummaryRenames);
    if (diff.content_changed()) parts.push_back("records matched by " + absl::StrJoin(keys, ", "));
    SetDetail(node, "matched_by", ListValue(std::move(list)));
  }
  SetExamples(node, "records_added_examples", diff.records_added_examples);
  SetExamples(node, "records_removed_examples", diff.records_removed_examples);
  SetExamples(node, "items_added_examples", diff.items_added_examples);
  SetExamples(node, "items_removed_examples", diff.items_removed_examples);
  SetExamples(node, "keys_added_examples", diff.keys_added_examples);
  SetExamples(node, "keys_removed_examples", diff.keys_removed_examples);
  SetExamples(node, "values_changed_examples", diff.values_changed_examples);

  if (diff.content_changed()) {
    node.set_summary(absl::StrJoin(parts, "; "));
  } else if (diff.records_moved == 0 && diff.objects_reordered == 0) {
    node.set_summary("Formatting changed (content unchanged)");
    AddTag(node, "format-change");
  } else {
    node.set_action("reorder");
    node.set_summary(diff.records_moved == 0 ? "Key order changed (content unchanged)"
                     : diff.objects_reordered == 0
                         ? "Records reordered (content unchanged)"
                         : "Records and key order changed (content unchanged)");
  }
  return node;
}

// The node of an added or removed file.
DiffNode DescribeWhole(const JsonTree& tree, bool added, bool lines) {
  DiffNode node = MakeNode(added ? "add" : "remove", kItemType, "", "json");
  AddTag(node, added ? "file-addition" : "file-removal");
  const auto count = static_cast<int64_t>(tree.ChildCount(tree.root()));
  std::string what = lines ? "JSON Lines file" : "JSON document";
  std::string size;
  if (lines) {
    size = Plural(count, "record", "records");
    SetDetail(node, "record_count", count);
  } else if (tree.type(tree.root()) == JsonType::kObject) {
    size = Plural(count, "key", "keys");
    SetDetail(node, "key_count", count);
  } else if (tree.type(tree.root()) == JsonType::kArray) {
    size = Plural(count, "item", "items");
    SetDetail(node, "item_count", count);
  }
  const std::string suffix = size.empty() ? "" : absl::StrCat(" (", size, ")");
  node.set_summary(added ? absl::StrCat("New ", what, suffix)
                         : absl::StrCat(what, " removed", suffix));
  return node;
}

class JsonComparator : public Comparator {
 public:
  JsonComparator() : text_(MakeTextComparator()) {
    descriptor_.name = "json";
    descriptor_.scope = Scope::kFiles;
    descriptor_.extensions = {".json", ".geojson", ".jsonl", ".ndjson"};
  }
  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext& context) override {
    const bool lines = IsJsonLines(pair.path);
    std::optional<JsonTree> left, right;
    for (auto [item, tree, side] : {std::tuple{pair.left.get(), &left, "left"},
                                    std::tuple{pair.right.get(), &right, "right"}}) {
      if (!item) continue;
      absl::StatusOr<JsonTree> parsed = JsonTree::Parse(item->physical(), lines);
      if (absl::IsFailedPrecondition(parsed.status()) ||
          absl::IsResourceExhausted(parsed.status())) {
        return AsText(pair, context, parsed.status(), side);
      }
      if (!parsed.ok()) return parsed.status();
      tree->emplace(std::move(*parsed));
    }
    DiffNode node;
    if (!left || !right) {
      node = DescribeWhole(left ? *left : *right, !left, lines);
    } else {
      absl::StatusOr<JsonDiff> diff = DiffJsonTrees(
          *left, *right, static_cast<size_t>(std::max(0, context.options().max_examples)),
          [&context] { return context.cancelled(); });
      if (!diff.ok()) return diff.status();
      node = DescribeDiff(*diff, *left, *right, lines);
    }
    node.set_path(pair.path);
    return CompareResult::Leaf(std::move(node));
  }

 private:
  // The text comparator's answer, noting why the structure was not compared: the change is
  // still described (or, for content that is not text either, left to the binary comparator).
  absl::StatusOr<CompareResult> AsText(const ItemPair& pair, CompareContext& context,
                                       const absl::Status& why, const char* side) {
    absl::StatusOr<CompareResult> result = text_->Compare(pair, context);
    if (!result.ok() || result->kind != CompareResult::Kind::kLeaf) return result;
    DiffNode& node = result->node;
    node.set_comparator(descriptor_.name);
    node.set_item_type(kItemType);
    const std::string brief =
        absl::IsResourceExhausted(why) ? std::string(why.message()) : "not valid JSON";
    node.set_summary(absl::StrCat(node.summary(), " (compared as text: ", brief, ")"));
    SetDetail(node, "text_fallback", absl::StrCat(side, " side: ", why.message()));
    return result;
  }

  ComparatorDescriptor descriptor_;
  std::shared_ptr<Comparator> text_;
};

}  // namespace

std::shared_ptr<Comparator> MakeJsonComparator() { return std::make_shared<JsonComparator>(); }

}  // namespace deltascope
