#include "json_comparator.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "json_diff.h"

namespace deltascope::json_plugin {
namespace {

using plugin::AddTag;
using plugin::DiffNode;
using plugin::MakeNode;
using plugin::Plural;
using plugin::Result;
using plugin::SetDetail;

constexpr char kItemType[] = "json";

bool IsJsonLines(const plugin::Pair& pair) {
  return absl::EndsWith(absl::AsciiStrToLower(pair.any().logical_path), ".jsonl");
}

// Parse errors mean "not mine" (Skip); anything else (unreadable file) fails the call.
Result FromError(const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) return Result::Skip();
  return Result::Error(absl::InvalidArgumentError(status.message()));
}

void SetExamples(DiffNode& node, const std::vector<Change>& examples) {
  if (examples.empty()) return;
  std::vector<plugin::Value> list;
  for (const Change& c : examples) {
    std::vector<std::pair<std::string, plugin::Value>> fields = {
        {"change", plugin::StringValue(c.change)}, {"path", plugin::StringValue(c.path)}};
    if (c.before) fields.emplace_back("before", plugin::StringValue(*c.before));
    if (c.after) fields.emplace_back("after", plugin::StringValue(*c.after));
    list.push_back(plugin::StructValue(std::move(fields)));
  }
  SetDetail(node, "examples", plugin::ListValue(std::move(list)));
}

// "N keys" / "N items" / "" for a document's top level.
std::string SizePhrase(const nlohmann::ordered_json& doc) {
  if (doc.is_object()) return Plural(static_cast<int64_t>(doc.size()), "key", "keys");
  if (doc.is_array()) return Plural(static_cast<int64_t>(doc.size()), "item", "items");
  return "";
}

Result AddedOrRemoved(const plugin::Pair& pair) {
  bool added = pair.added();
  DiffNode node = MakeNode(added ? "add" : "remove", kItemType);
  AddTag(node, added ? "file-addition" : "file-removal");
  std::string what, size;
  if (IsJsonLines(pair)) {
    absl::StatusOr<int64_t> records = CountJsonLines(pair.any().path);
    if (!records.ok()) return FromError(records.status());
    what = "JSON Lines file";
    size = Plural(*records, "record", "records");
    SetDetail(node, "record_count", *records);
  } else {
    absl::StatusOr<nlohmann::ordered_json> doc = ParseDocument(pair.any().path);
    if (!doc.ok()) return FromError(doc.status());
    what = "JSON document";
    size = SizePhrase(*doc);
    if (doc->is_object() || doc->is_array()) {
      SetDetail(node, doc->is_object() ? "key_count" : "item_count",
                static_cast<int64_t>(doc->size()));
    }
  }
  std::string suffix = size.empty() ? "" : absl::StrCat(" (", size, ")");
  node.set_summary(added ? absl::StrCat("New ", what, suffix)
                         : absl::StrCat(what, " removed", suffix));
  return Result::Leaf(std::move(node));
}

// Same content, same order, other bytes: whitespace or number formatting.
Result FormattingOnly() {
  DiffNode node = MakeNode("modify", kItemType, "Formatting changed (content unchanged)");
  AddTag(node, "whitespace-change");
  return Result::Leaf(std::move(node));
}

Result CompareDocuments(const plugin::Pair& pair, plugin::Context& ctx) {
  absl::StatusOr<nlohmann::ordered_json> left = ParseDocument(pair.left->path);
  if (!left.ok()) return FromError(left.status());
  absl::StatusOr<nlohmann::ordered_json> right = ParseDocument(pair.right->path);
  if (!right.ok()) return FromError(right.status());
  std::optional<JsonDiff> diff =
      DiffDocuments(*left, *right, ctx.max_examples(), [&ctx] { return ctx.cancelled(); });
  if (!diff) return Result::Error(absl::CancelledError("cancelled by the host"));

  if (!diff->content_changed()) {
    if (diff->objects_reordered == 0) return FormattingOnly();
    DiffNode node = MakeNode("reorder", kItemType, "Key order changed (content unchanged)");
    AddTag(node, "key-order");
    SetDetail(node, "objects_reordered", diff->objects_reordered);
    std::vector<plugin::Value> paths;
    for (const std::string& p : diff->reordered) paths.push_back(plugin::StringValue(p));
    SetDetail(node, "reordered_paths", plugin::ListValue(std::move(paths)));
    return Result::Leaf(std::move(node));
  }

  DiffNode node = MakeNode("modify", kItemType);
  std::vector<std::string> parts;
  struct Count {
    int64_t n;
    const char* singular;
    const char* plural;
    const char* tag;
    const char* detail;
  };
  for (const Count& c :
       {Count{diff->keys_added, "key added", "keys added", "key-addition", "keys_added"},
        Count{diff->keys_removed, "key removed", "keys removed", "key-removal", "keys_removed"},
        Count{diff->items_added, "item added", "items added", "item-addition", "items_added"},
        Count{diff->items_removed, "item removed", "items removed", "item-removal",
              "items_removed"},
        Count{diff->values_changed, "value changed", "values changed", "value-change",
              "values_changed"}}) {
    if (c.n == 0) continue;
    parts.push_back(Plural(c.n, c.singular, c.plural));
    AddTag(node, c.tag);
    SetDetail(node, c.detail, c.n);
  }
  if (diff->objects_reordered > 0) {
    parts.push_back("key order changed");
    AddTag(node, "key-order");
    SetDetail(node, "objects_reordered", diff->objects_reordered);
  }
  node.set_summary(absl::StrJoin(parts, "; "));
  SetExamples(node, diff->examples);
  return Result::Leaf(std::move(node));
}

Result CompareJsonLines(const plugin::Pair& pair, plugin::Context& ctx) {
  absl::StatusOr<JsonLinesDiff> diff =
      DiffJsonLines(pair.left->path, pair.right->path, ctx.max_examples());
  if (!diff.ok()) return FromError(diff.status());
  if (diff->records_added == 0 && diff->records_removed == 0) {
    if (!diff->order_changed) return FormattingOnly();
    DiffNode node = MakeNode("reorder", kItemType, "Record order changed (content unchanged)");
    AddTag(node, "record-order");
    SetDetail(node, "record_count", diff->records_after);
    return Result::Leaf(std::move(node));
  }
  DiffNode node = MakeNode("modify", kItemType);
  std::vector<std::string> parts;
  if (diff->records_added > 0) {
    parts.push_back(Plural(diff->records_added, "record added", "records added"));
    AddTag(node, "record-addition");
  }
  if (diff->records_removed > 0) {
    parts.push_back(Plural(diff->records_removed, "record removed", "records removed"));
    AddTag(node, "record-removal");
  }
  node.set_summary(absl::StrJoin(parts, "; "));
  SetDetail(node, "records_added", diff->records_added);
  SetDetail(node, "records_removed", diff->records_removed);
  SetDetail(node, "record_count_before", diff->records_before);
  SetDetail(node, "record_count_after", diff->records_after);
  SetExamples(node, diff->examples);
  return Result::Leaf(std::move(node));
}

}  // namespace

Result JsonComparator::Compare(const plugin::Pair& pair, plugin::Context& ctx) {
  if (ctx.options().count("debug_throw")) throw std::runtime_error(ctx.option("debug_throw"));
  if (pair.identical) return Result::Identical();
  if (pair.added() || pair.removed()) return AddedOrRemoved(pair);
  return IsJsonLines(pair) ? CompareJsonLines(pair, ctx) : CompareDocuments(pair, ctx);
}

}  // namespace deltascope::json_plugin
