#include "daemon/render/markdown.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/render/markdown_details.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope {
namespace {

using changeset::v1::DiffNode;

// How many names a collapsed line gives as examples.
constexpr size_t kCollapsedExamples = 3;

struct Bullet {
  const DiffNode* node;
  std::string text;
};

bool IsAddOrRemove(const DiffNode& node) {
  return node.action() == "add" || node.action() == "remove";
}

bool IsMoveOrCopy(const DiffNode& node) {
  return node.action() == "move" || node.action() == "copy";
}

// The words of a summary before any number, parenthesis or colon: "Content changed (131 B →
// 131 B)" gives "Content changed", "2 lines added, 1 removed" gives "".
std::string SummaryStem(const std::string& summary) {
  size_t end = summary.find_first_of("0123456789(:");
  std::string stem = summary.substr(0, end);
  while (!stem.empty() && (stem.back() == ' ' || stem.back() == ',')) stem.pop_back();
  return stem;
}

// Leaves of one folder with the same kind of change share a key; moves and copies (which say
// where each came from) and containers never do.
std::string CollapseKey(const DiffNode& node) {
  if (node.children_size() > 0 || IsMoveOrCopy(node) || node.summary().empty()) return "";
  return absl::StrCat(node.action(), "\n", node.item_type(), "\n", absl::StrJoin(node.tags(), ","),
                      "\n", SummaryStem(node.summary()));
}

const char* ActionWords(const std::string& action) {
  if (action == "add") return "Added";
  if (action == "remove") return "Removed";
  if (action == "reorder") return "Reordered";
  return "Changed";
}

// One line for `members` (siblings under `parent`, in path order): their count, what they share
// (the summary when all say the same) and the first few names.
Bullet CollapsedBullet(const std::string& parent, const std::vector<const DiffNode*>& members) {
  const DiffNode& first = *members.front();
  bool same = std::all_of(members.begin(), members.end(),
                          [&](const DiffNode* n) { return n->summary() == first.summary(); });
  std::string what = same ? first.summary() : SummaryStem(first.summary());
  if (what.empty()) what = absl::StrCat(ActionWords(first.action()), " (", first.summary(), ", …)");
  std::vector<std::string> names;
  for (size_t i = 0; i < members.size() && i < kCollapsedExamples; ++i) {
    std::string name = members[i]->path();
    if (!parent.empty() && name.size() > parent.size()) name = name.substr(parent.size() + 1);
    names.push_back(EscapeForMarkdown(name));
  }
  std::string text = absl::StrCat("- **", EscapeForMarkdown(parent.empty() ? "." : parent),
                                  "/**: ", members.size(), " files: ", EscapeForMarkdown(what),
                                  "; e.g. ", absl::StrJoin(names, ", "));
  if (members.size() > names.size()) {
    absl::StrAppend(&text, " and ", members.size() - names.size(), " more");
  }
  return {&first, std::move(text)};
}

// A node is reported when it is a leaf, or a change of its own (added or removed folder, move,
// reorder, ...). Children of added and removed containers are summarised by the container,
// except moves and copies (`moves_only`): they say where content went. More than
// `collapse_threshold` sibling leaves of one kind make one line.
void CollectBullets(const DiffNode& node, const std::string& root_label, size_t collapse_threshold,
                    std::vector<Bullet>& out, bool moves_only = false) {
  if ((node.children_size() == 0 || !node.summary().empty()) &&
      (!moves_only || IsMoveOrCopy(node))) {
    std::string path = node.path().empty() ? root_label : node.path();
    std::string text =
        absl::StrCat("- **", EscapeForMarkdown(path), "**: ", EscapeForMarkdown(node.summary()));
    if (!node.source_path().empty()) {
      absl::StrAppend(&text, " (from ", EscapeForMarkdown(node.source_path()), ")");
    }
    absl::StrAppend(&text, RenderContents(node), RenderHunks(node));
    out.push_back({&node, std::move(text)});
  }
  const bool hidden = moves_only || IsAddOrRemove(node);
  std::map<std::string, std::vector<const DiffNode*>> kinds;
  if (!hidden && collapse_threshold > 0) {
    for (const DiffNode& child : node.children()) {
      std::string key = CollapseKey(child);
      if (!key.empty()) kinds[key].push_back(&child);
    }
  }
  for (const DiffNode& child : node.children()) {
    auto kind = kinds.find(CollapseKey(child));
    if (kind != kinds.end() && kind->second.size() > collapse_threshold) {
      // The group's line stands where its first member would.
      if (kind->second.front() == &child) out.push_back(CollapsedBullet(node.path(), kind->second));
      continue;
    }
    CollectBullets(child, root_label, collapse_threshold, out, hidden);
  }
}

std::string SnapshotLabel(const std::string& s) { return s.empty() ? "(snapshot)" : s; }

// Every string printed below (paths, summaries, messages, snapshot names, headings) may come
// from a plugin or a file name: it goes through EscapeForMarkdown, which keeps it on its line
// and inert (docs/security.md, "Untrusted text").
void RenderOne(const Changeset& cs, const MarkdownOptions& options, std::string& out) {
  absl::StrAppend(&out, "# Changelog: ", EscapeForMarkdown(SnapshotLabel(cs.from_snapshot())),
                  " → ", EscapeForMarkdown(SnapshotLabel(cs.to_snapshot())), "\n\n");
  std::vector<Bullet> bullets;
  if (cs.has_root()) {
    CollectBullets(cs.root(), SnapshotLabel(cs.to_snapshot()), options.collapse_threshold, bullets);
  }
  const bool errors = std::any_of(cs.diagnostics().begin(), cs.diagnostics().end(), [](auto& d) {
    return d.severity() == changeset::v1::SEVERITY_ERROR;
  });
  if (bullets.empty()) {
    // An error means something went unread: never claim that nothing changed then.
    out += errors ? "No changes found in what could be read; see the errors below.\n"
                  : "No changes detected.\n";
  } else if (options.groups.empty()) {
    for (const Bullet& b : bullets) absl::StrAppend(&out, b.text, "\n");
  } else {
    std::vector<std::vector<const Bullet*>> grouped(options.groups.size() + 1);
    for (const Bullet& b : bullets) {
      size_t g = 0;
      for (; g < options.groups.size(); ++g) {
        const auto& tags = options.groups[g].tags;
        const bool inverted = options.groups[g].inverted;
        bool match = std::any_of(b.node->tags().begin(), b.node->tags().end(), [&](const auto& t) {
          return (std::find(tags.begin(), tags.end(), t) != tags.end()) != inverted;
        });
        if (match) break;
      }
      grouped[g].push_back(&b);
    }
    bool first = true;
    for (size_t g = 0; g < grouped.size(); ++g) {
      if (grouped[g].empty()) continue;
      const std::string heading =
          g < options.groups.size() ? options.groups[g].heading : "Other changes";
      absl::StrAppend(&out, first ? "" : "\n", "## ", EscapeForMarkdown(heading), "\n\n");
      first = false;
      for (const Bullet* b : grouped[g]) absl::StrAppend(&out, b->text, "\n");
    }
  }
  if (cs.diagnostics_size() > 0) {
    out += "\n## Diagnostics\n\n";
    for (const auto& d : cs.diagnostics()) {
      const char* severity = d.severity() == changeset::v1::SEVERITY_ERROR     ? "error"
                             : d.severity() == changeset::v1::SEVERITY_WARNING ? "warning"
                                                                               : "info";
      absl::StrAppend(&out, "- ", severity, " (", EscapeForMarkdown(d.code()),
                      "): ", EscapeForMarkdown(d.message()), "\n");
    }
  }
}

}  // namespace

const std::vector<std::string>& ClericalTags() {
  static const std::vector<std::string> tags = {
      "column-reorder", "whitespace-change", "folder-rename", "encoding-change",
      "file-move",      "file-copy",         "folder-move",   "key-order",
      "row-reorder",    "format-change",     "comment-change"};
  return tags;
}

std::vector<MarkdownGroup> ClericalSubstantiveGroups() {
  // Substantive first: a change carrying any tag that is not clerical (a plugin's own included).
  return {{"Substantive changes", ClericalTags(), /*inverted=*/true},
          {"Clerical changes", ClericalTags()}};
}

std::string RenderMarkdown(const std::vector<Changeset>& changesets,
                           const MarkdownOptions& options) {
  std::string out;
  for (size_t i = 0; i < changesets.size(); ++i) {
    if (i > 0) out += "\n";
    RenderOne(changesets[i], options, out);
  }
  return out;
}

}  // namespace deltascope
