#include "ini_comparator.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ini_file.h"

namespace deltascope::ini_plugin {
namespace {

using plugin::AddTag;
using plugin::DiffNode;
using plugin::MakeNode;
using plugin::Plural;
using plugin::Result;
using plugin::SetDetail;

constexpr size_t kMaxExampleBytes = 200;

Dialect DialectOf(const plugin::Pair& pair) {
  return absl::EndsWith(absl::AsciiStrToLower(pair.any().logical_path), ".properties")
             ? Dialect::kProperties
             : Dialect::kIni;
}

const char* ItemType(Dialect d) { return d == Dialect::kIni ? "ini" : "properties"; }
const char* FileKind(Dialect d) { return d == Dialect::kIni ? "INI file" : "properties file"; }

// Not a settings file: Skip (the host's next comparator describes it). Anything else fails the
// call with the reason.
Result FromError(const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) return Result::Skip();
  return Result::Error(status);
}

// "[section] key", or "key" outside any section.
std::string SettingName(const Entry& e) {
  return e.section.empty() ? e.key : absl::StrCat("[", e.section, "] ", e.key);
}

std::string Abbreviate(std::string text) {
  if (text.size() <= kMaxExampleBytes) return text;
  size_t cut = kMaxExampleBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "\u2026";
}

// The lines (ascending, unique) whose settings the examples show.
std::vector<uint64_t> Lines(std::vector<uint64_t> a, const std::vector<uint64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

const Entry* EntryAt(const std::vector<Entry>& entries, uint64_t line) {
  auto it = std::lower_bound(entries.begin(), entries.end(), line,
                             [](const Entry& e, uint64_t l) { return e.line < l; });
  return it != entries.end() && it->line == line ? &*it : nullptr;
}

// The setting differences of two files, as line numbers (the first `max` of each kind).
struct Differences {
  int64_t added = 0, removed = 0, changed = 0;
  std::vector<uint64_t> added_lines;                         // right side
  std::vector<uint64_t> removed_lines;                       // left side
  std::vector<std::pair<uint64_t, uint64_t>> changed_lines;  // (left, right), by right line
};

Differences Compare(const Settings& left, const Settings& right, size_t max) {
  Differences d;
  auto l = left.by_name.begin(), r = right.by_name.begin();
  while (l != left.by_name.end() || r != right.by_name.end()) {
    if (r == right.by_name.end() || (l != left.by_name.end() && l->name < r->name)) {
      ++d.removed;
      d.removed_lines.push_back((l++)->line);
    } else if (l == left.by_name.end() || r->name < l->name) {
      ++d.added;
      d.added_lines.push_back((r++)->line);
    } else {
      if (l->value != r->value) {
        ++d.changed;
        d.changed_lines.emplace_back(l->line, r->line);
      }
      ++l, ++r;
    }
  }
  std::sort(d.added_lines.begin(), d.added_lines.end());
  std::sort(d.removed_lines.begin(), d.removed_lines.end());
  std::sort(d.changed_lines.begin(), d.changed_lines.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  d.added_lines.resize(std::min(d.added_lines.size(), max));
  d.removed_lines.resize(std::min(d.removed_lines.size(), max));
  d.changed_lines.resize(std::min(d.changed_lines.size(), max));
  return d;
}

int64_t SectionsOnlyIn(const Settings& a, const Settings& b) {
  std::vector<uint64_t> only;
  std::set_difference(a.sections.begin(), a.sections.end(), b.sections.begin(), b.sections.end(),
                      std::back_inserter(only));
  return static_cast<int64_t>(only.size());
}

Result AddedOrRemoved(const plugin::Pair& pair, Dialect dialect, plugin::Context& ctx) {
  absl::StatusOr<Settings> settings =
      ReadSettings(pair.any().path, dialect, [&ctx] { return ctx.cancelled(); });
  if (!settings.ok()) return FromError(settings.status());
  const bool added = pair.added();
  DiffNode node = MakeNode(added ? "add" : "remove", ItemType(dialect));
  AddTag(node, added ? "file-addition" : "file-removal");
  std::vector<std::string> size;
  if (dialect == Dialect::kIni) {
    size.push_back(Plural(static_cast<int64_t>(settings->sections.size()), "section", "sections"));
    SetDetail(node, "section_count", settings->sections.size());
  }
  size.push_back(Plural(static_cast<int64_t>(settings->by_name.size()), "key", "keys"));
  SetDetail(node, "key_count", settings->by_name.size());
  const std::string what = FileKind(dialect);
  const std::string suffix = absl::StrCat(" (", absl::StrJoin(size, ", "), ")");
  node.set_summary(added ? absl::StrCat("New ", what, suffix)
                         : absl::StrCat(absl::AsciiStrToUpper(what.substr(0, 1)), what.substr(1),
                                        " removed", suffix));
  return Result::Leaf(std::move(node));
}

// Adds details[key] = [{key, before?, after?}] for the examples.
void SetExamples(DiffNode& node, const char* key, const std::vector<const Entry*>& before,
                 const std::vector<const Entry*>& after) {
  std::vector<plugin::Value> list;
  for (size_t i = 0; i < std::max(before.size(), after.size()); ++i) {
    const Entry* b = i < before.size() ? before[i] : nullptr;
    const Entry* a = i < after.size() ? after[i] : nullptr;
    if (!a && !b) continue;
    std::vector<std::pair<std::string, plugin::Value>> fields = {
        {"key", plugin::StringValue(SettingName(a ? *a : *b))}};
    if (b) fields.emplace_back("before", plugin::StringValue(Abbreviate(b->value)));
    if (a) fields.emplace_back("after", plugin::StringValue(Abbreviate(a->value)));
    list.push_back(plugin::StructValue(std::move(fields)));
  }
  if (!list.empty()) SetDetail(node, key, plugin::ListValue(std::move(list)));
}

Result Modified(const plugin::Pair& pair, Dialect dialect, plugin::Context& ctx) {
  const auto cancelled = [&ctx] { return ctx.cancelled(); };
  absl::StatusOr<Settings> left = ReadSettings(pair.left->path, dialect, cancelled);
  if (!left.ok()) return FromError(left.status());
  absl::StatusOr<Settings> right = ReadSettings(pair.right->path, dialect, cancelled);
  if (!right.ok()) return FromError(right.status());
  const Differences d = Compare(*left, *right, ctx.max_examples());
  const int64_t sections_added = SectionsOnlyIn(*right, *left);
  const int64_t sections_removed = SectionsOnlyIn(*left, *right);

  DiffNode node = MakeNode("modify", ItemType(dialect));
  SetDetail(node, "key_count_before", left->by_name.size());
  SetDetail(node, "key_count_after", right->by_name.size());
  struct Count {
    int64_t n;
    const char* singular;
    const char* plural;
    const char* tag;
    const char* detail;
  };
  std::vector<std::string> parts;
  for (const Count& c : {
           Count{sections_added, "section added", "sections added", "section-addition",
                 "sections_added"},
           Count{sections_removed, "section removed", "sections removed", "section-removal",
                 "sections_removed"},
           Count{d.added, "key added", "keys added", "key-addition", "keys_added"},
           Count{d.removed, "key removed", "keys removed", "key-removal", "keys_removed"},
           Count{d.changed, "value changed", "values changed", "value-change", "values_changed"},
       }) {
    if (c.n == 0) continue;
    parts.push_back(Plural(c.n, c.singular, c.plural));
    AddTag(node, c.tag);
    SetDetail(node, c.detail, c.n);
  }
  if (parts.empty()) {  // the same settings: what changed is clerical
    if (left->order != right->order) {
      node.set_action("reorder");
      node.set_summary("Key order changed (settings unchanged)");
      AddTag(node, "key-order");
    } else if (left->comments != right->comments) {
      node.set_summary("Comments changed (settings unchanged)");
      AddTag(node, "comment-change");
    } else {
      node.set_summary("Formatting changed (settings unchanged)");
      AddTag(node, "format-change");
    }
    return Result::Leaf(std::move(node));
  }
  node.set_summary(absl::StrJoin(parts, "; "));

  // Examples: the text of the first settings of each kind, read again.
  std::vector<uint64_t> changed_left, changed_right;
  for (const auto& [l, r] : d.changed_lines) {
    changed_left.push_back(l);
    changed_right.push_back(r);
  }
  absl::StatusOr<std::vector<Entry>> left_entries =
      ReadEntriesAt(pair.left->path, dialect, Lines(d.removed_lines, changed_left));
  if (!left_entries.ok()) return FromError(left_entries.status());
  absl::StatusOr<std::vector<Entry>> right_entries =
      ReadEntriesAt(pair.right->path, dialect, Lines(d.added_lines, changed_right));
  if (!right_entries.ok()) return FromError(right_entries.status());
  auto at = [](const std::vector<Entry>& entries, const std::vector<uint64_t>& lines) {
    std::vector<const Entry*> out;
    for (uint64_t line : lines) out.push_back(EntryAt(entries, line));
    return out;
  };
  SetExamples(node, "keys_added_examples", {}, at(*right_entries, d.added_lines));
  SetExamples(node, "keys_removed_examples", at(*left_entries, d.removed_lines), {});
  SetExamples(node, "values_changed_examples", at(*left_entries, changed_left),
              at(*right_entries, changed_right));
  return Result::Leaf(std::move(node));
}

}  // namespace

Result IniComparator::Compare(const plugin::Pair& pair, plugin::Context& ctx) {
  if (ctx.options().count("debug_throw")) throw std::runtime_error(ctx.option("debug_throw"));
  if (pair.identical) return Result::Identical();
  const Dialect dialect = DialectOf(pair);
  if (pair.added() || pair.removed()) return AddedOrRemoved(pair, dialect, ctx);
  return Modified(pair, dialect, ctx);
}

}  // namespace deltascope::ini_plugin
