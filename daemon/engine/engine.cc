#include "daemon/engine/engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/compare_context.h"
#include "daemon/engine/contents.h"
#include "daemon/engine/moves.h"
#include "daemon/engine/node_util.h"
#include "daemon/engine/task_pool.h"
#include "daemon/util/fd.h"
#include "daemon/util/temp_dir.h"

namespace deltascope {
namespace {

constexpr char kScratchPrefix[] = "deltascope-scratch-";

bool InScope(const ComparatorDescriptor& d, const ItemPair& pair) {
  const Item& a = pair.left ? *pair.left : *pair.right;
  const Item& b = pair.right ? *pair.right : *pair.left;
  switch (d.scope) {
    case Scope::kFiles:
      // An archive paired with a folder goes to the comparators that read archives as folders.
      return (a.is_file() && b.is_file()) ||
             (d.unpacks && (a.is_file() || b.is_file()) && (a.is_directory() || b.is_directory()));
    case Scope::kContainers:
      return a.is_directory() && b.is_directory();
    case Scope::kAny:
      return true;
  }
  return false;
}

bool Claims(const ComparatorDescriptor& d, const ItemPair& pair, const std::string& format_name) {
  if (!InScope(d, pair)) return false;
  if (d.catch_all()) return true;
  for (const std::string& ext : d.extensions) {
    if (absl::EndsWith(format_name, ext)) return true;
  }
  if (!d.media_types.empty()) {
    for (const auto* side : {pair.left.get(), pair.right.get()}) {
      if (!side || !side->is_file()) continue;
      const std::string& type = side->MediaType();
      if (std::find(d.media_types.begin(), d.media_types.end(), type) != d.media_types.end()) {
        return true;
      }
    }
  }
  return false;
}

// One diff run: the pipeline, a thread pool and the shared context.
class Run {
 public:
  Run(const std::vector<std::shared_ptr<Comparator>>& pipeline, CompareContext& context,
      TaskPool& pool, MoveTracker* tracker, DiffProgress* progress)
      : pipeline_(pipeline),
        context_(context),
        pool_(pool),
        tracker_(tracker),
        progress_(progress),
        identical_files_handled_(
            std::any_of(pipeline.begin(), pipeline.end(), [](const std::shared_ptr<Comparator>& c) {
              return c->descriptor().handles_identical &&
                     c->descriptor().scope != Scope::kContainers;
            })) {}

  // The changed node for `pair`, or nothing when it is identical.
  std::optional<DiffNode> Compare(const ItemPair& pair);

 private:
  // Not inlined: its frame must not weigh on every level of a deep tree's recursion.
  ABSL_ATTRIBUTE_NOINLINE std::optional<DiffNode> CompareLinksOrTypeChange(const ItemPair& pair);
  // Asks the pipeline. With `answered`, a pair no comparator takes gives nothing (and
  // *answered false) instead of a generic "Changed" node.
  std::optional<DiffNode> Dispatch(const ItemPair& pair, bool identical, bool* answered = nullptr);
  std::optional<DiffNode> ExpandChildren(CompareResult result, const ItemPair& pair);
  // Returns true (and records why) when both sides are files with equal content.
  std::optional<bool> ContentIdentical(const ItemPair& pair);

  const std::vector<std::shared_ptr<Comparator>>& pipeline_;
  CompareContext& context_;
  TaskPool& pool_;
  MoveTracker* tracker_;  // null when move detection is off
  DiffProgress* progress_;
  // False when no comparator may claim a pair of identical files: then they are settled
  // without asking which comparator claims them (sniffing media types opens both files).
  const bool identical_files_handled_;
};

std::optional<DiffNode> Run::Compare(const ItemPair& pair) {
  if (progress_) {
    progress_->items_compared.fetch_add(1, std::memory_order_relaxed);
    if (progress_->cancel.load(std::memory_order_relaxed)) {
      context_.Cancel();
      return std::nullopt;
    }
  }
  if (std::optional<DiffNode> special = CompareLinksOrTypeChange(pair)) return special;
  const Item& a = pair.left ? *pair.left : *pair.right;
  const Item& b = pair.right ? *pair.right : *pair.left;
  if (a.kind() == ItemKind::kSymlink || a.kind() == ItemKind::kOther || a.kind() != b.kind()) {
    return std::nullopt;  // handled above: identical links or special files
  }
  bool identical = false;
  if (pair.left && pair.right && a.is_file()) {
    std::optional<bool> same = ContentIdentical(pair);
    if (!same.has_value()) return std::nullopt;  // unreadable, equal sizes: reported as diagnostic
    identical = *same;
  }
  if (tracker_) tracker_->Observe(pair, identical);
  return Dispatch(pair, identical);
}

std::optional<bool> Run::ContentIdentical(const ItemPair& pair) {
  // Files listed by type only learn their size when opened to hash. Sizes are compared before
  // any read when both are known or either is known to be over kStatFirstBytes, and again once
  // the left one is hashed if it is large: of two large files of different sizes the right one
  // is never read (the left one is, when neither size was known; its comparator reads it next
  // anyway, as it does a right file grown large from a small left one).
  constexpr uint64_t kStatFirstBytes = 1 << 20;
  const Item& l = *pair.left;
  const Item& r = *pair.right;
  const auto large = [](const Item& i) { return i.size_known() && i.size() > kStatFirstBytes; };
  if ((l.size_known() && r.size_known()) || large(l) || large(r)) {
    if (l.size() != r.size()) return false;
  }
  const std::atomic<bool>* cancel = progress_ ? &progress_->cancel : nullptr;
  std::atomic<uint64_t>* hashed = progress_ ? &progress_->bytes_hashed : nullptr;
  absl::StatusOr<ContentHash> left = l.Hash(cancel, hashed);
  if (left.ok() && large(l) && l.size() != r.size()) return false;
  absl::StatusOr<ContentHash> right = r.Hash(cancel, hashed);
  if (absl::IsCancelled(left.status()) || absl::IsCancelled(right.status())) return std::nullopt;
  // Unreadable, but of different sizes (a stat needs no read permission): changed, and the
  // comparators say what they can, as when the listing had stat'ed both.
  if ((absl::IsPermissionDenied(left.status()) || absl::IsPermissionDenied(right.status())) &&
      l.size() != r.size()) {
    return false;
  }
  for (const auto* status : {&left.status(), &right.status()}) {
    if (!status->ok()) {
      context_.AddDiagnostic(changeset::v1::SEVERITY_ERROR, "unreadable",
                             absl::StrCat("cannot compare ", pair.path, ": ", status->message()),
                             pair.path);
      return std::nullopt;
    }
  }
  return l.size() == r.size() && *left == *right;
}

// Symlinks and special files are never followed or read: they are compared by what they are.
std::optional<DiffNode> Run::CompareLinksOrTypeChange(const ItemPair& pair) {
  auto describe = [](const Item& item) {
    return item.kind() == ItemKind::kSymlink ? absl::StrCat("link → ", item.link_target())
                                             : std::string(ItemKindName(item.kind()));
  };
  if (!pair.left || !pair.right) {
    const Item& item = pair.any();
    if (item.kind() != ItemKind::kSymlink && item.kind() != ItemKind::kOther) return std::nullopt;
    bool added = pair.added();
    DiffNode node = MakeNode(added ? "add" : "remove", ItemKindName(item.kind()), pair.path, "");
    node.set_summary(absl::StrCat(added ? "New " : "Removed ", describe(item)));
    AddTag(node, added ? "file-addition" : "file-removal");
    if (item.kind() == ItemKind::kSymlink) SetDetail(node, "target", item.link_target());
    return node;
  }
  const Item& l = *pair.left;
  const Item& r = *pair.right;
  if (l.kind() == r.kind()) {
    if (l.kind() == ItemKind::kSymlink && l.link_target() != r.link_target()) {
      DiffNode node = MakeNode("modify", "symlink", pair.path, "");
      node.set_summary(
          absl::StrCat("Link target changed: ", l.link_target(), " → ", r.link_target()));
      AddTag(node, "link-change");
      SetDetail(node, "target_before", l.link_target());
      SetDetail(node, "target_after", r.link_target());
      return node;
    }
    return std::nullopt;
  }
  // An archive and a folder: their contents are compared, when a comparator unpacks it.
  if ((l.is_file() && r.is_directory()) || (l.is_directory() && r.is_file())) {
    bool answered = false;
    std::optional<DiffNode> node = Dispatch(pair, false, &answered);
    if (answered) return node;
  }
  // The kind changed (file ↔ directory ↔ link): report it, with what the new side holds.
  DiffNode node = MakeNode("modify", ItemKindName(r.kind()), pair.path, "");
  node.set_summary(absl::StrCat("Changed from ", describe(l), " to ", describe(r)));
  AddTag(node, "type-change");
  if (r.is_directory() || r.is_file()) {
    ItemPair added{pair.path, nullptr, pair.right, pair.archive_depth};
    if (std::optional<DiffNode> inner = Dispatch(added, false)) {
      for (DiffNode& child : *inner->mutable_children()) *node.add_children() = std::move(child);
      if (!inner->details().fields().empty()) *node.mutable_details() = inner->details();
    }
  }
  return node;
}

std::optional<DiffNode> Run::Dispatch(const ItemPair& pair, bool identical, bool* answered) {
  // The loop below would return nothing for them too: at the first claim or after the last.
  if (identical && !identical_files_handled_) return std::nullopt;
  const std::string format_name = FormatName(pair);
  for (const std::shared_ptr<Comparator>& comparator : pipeline_) {
    const ComparatorDescriptor& d = comparator->descriptor();
    if (!Claims(d, pair, format_name)) continue;
    if (identical && !d.handles_identical) return std::nullopt;
    absl::StatusOr<CompareResult> result = absl::InternalError("no result");
    try {
      result = comparator->Compare(pair, context_);
    } catch (const std::exception& e) {
      result = absl::InternalError(absl::StrCat("exception: ", e.what()));
    }
    if (!result.ok()) {
      const std::string code = DiagnosticCodeOf(result.status(), "comparator-failed");
      const std::string where = pair.path.empty() ? "<root>" : pair.path;
      // A plugin's messages name the plugin ("plugin x timed out after 10 s on a.json"), and
      // most name the path; a quarantined plugin was not even called.
      std::string what;
      if (!absl::StartsWith(code, "plugin-")) {
        what = absl::StrCat("comparator ", d.name, " failed on ", where, ": ");
      } else if (!absl::StrContains(result.status().message(), where)) {
        what = absl::StrCat(where, ": ");
      }
      context_.AddDiagnostic(
          changeset::v1::SEVERITY_WARNING, code,
          absl::StrCat(what, result.status().message(), "; fell back to the next comparator"),
          pair.path);
      continue;
    }
    if (result->kind != CompareResult::Kind::kSkip && answered) *answered = true;
    switch (result->kind) {
      case CompareResult::Kind::kSkip:
        continue;
      case CompareResult::Kind::kIdentical:
        return std::nullopt;
      case CompareResult::Kind::kLeaf:
      case CompareResult::Kind::kExpand: {
        DiffNode& node = result->node;
        node.set_path(pair.path);
        if (node.comparator().empty()) node.set_comparator(d.name);
        if (result->kind == CompareResult::Kind::kLeaf) return std::move(node);
        return ExpandChildren(std::move(*result), pair);
      }
    }
  }
  // Only reachable when the pipeline lacks a catch-all: never lose the change.
  if (identical || answered) return std::nullopt;
  DiffNode node = MakeNode(pair.added()     ? "add"
                           : pair.removed() ? "remove"
                                            : "modify",
                           ItemKindName(pair.any().kind()), pair.path, "");
  node.set_summary("Changed (no comparator could describe it)");
  AddTag(node, "content-changed");
  return node;
}

std::optional<DiffNode> Run::ExpandChildren(CompareResult result, const ItemPair& pair) {
  std::vector<std::optional<DiffNode>> children(result.children.size());
  pool_.ParallelFor(result.children.size(),
                    [&](size_t i) { children[i] = Compare(result.children[i]); });
  result.keepalive.reset();  // e.g. remove an archive's extraction directory now
  DiffNode node = std::move(result.node);
  AddContentsListing(node, result.children, children);
  std::vector<DiffNode> changed;
  for (auto& child : children) {
    if (child) changed.push_back(std::move(*child));
  }
  std::sort(changed.begin(), changed.end(),
            [](const DiffNode& a, const DiffNode& b) { return a.path() < b.path(); });
  for (DiffNode& child : changed) *node.add_children() = std::move(child);
  if (node.children_size() == 0 && result.if_unchanged) {
    DiffNode& same = *result.if_unchanged;
    same.set_path(node.path());
    if (same.comparator().empty()) same.set_comparator(node.comparator());
    return std::move(same);
  }
  // A folder whose entries are all identical is identical.
  if (node.children_size() == 0 && (node.action().empty() || node.action() == "modify") &&
      node.summary().empty()) {
    return std::nullopt;
  }
  return node;
}

absl::StatusOr<std::shared_ptr<const Item>> SnapshotRoot(const std::filesystem::path& path) {
  std::error_code ec;
  // A snapshot named through a symlink is followed once, at the root.
  std::filesystem::path resolved = std::filesystem::canonical(path, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat("snapshot ", path.string(), ": ", ec.message()));
  }
  absl::StatusOr<std::shared_ptr<Item>> item = Item::FromPath(resolved);
  if (!item.ok()) return item.status();
  if (!(*item)->is_file() && !(*item)->is_directory()) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot ", path.string(), ": not a folder or a regular file"));
  }
  // A root that cannot be listed or read is fatal: nothing under it could be compared.
  if ((*item)->is_directory()) {
    absl::StatusOr<DirFd> dir = (*item)->OpenDir();
    absl::StatusOr<std::vector<std::string>> names =
        dir.ok() ? dir->ListNames() : absl::StatusOr<std::vector<std::string>>(dir.status());
    if (!names.ok()) return names.status();
  } else if (absl::StatusOr<UniqueFd> fd = OpenForReading(resolved); !fd.ok()) {
    return fd.status();
  }
  return std::shared_ptr<const Item>(std::move(*item));
}

}  // namespace

int RemoveStaleScratch() { return TempDir::RemoveStale(kScratchPrefix); }

int DefaultJobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

Engine::Engine(std::vector<std::shared_ptr<Comparator>> pipeline, DiffOptions options)
    : pipeline_(std::move(pipeline)), options_(std::move(options)) {}

absl::StatusOr<Changeset> Engine::Diff(const std::filesystem::path& from,
                                       const std::filesystem::path& to,
                                       const std::string& from_label, const std::string& to_label,
                                       DiffProgress* progress) {
  absl::StatusOr<std::shared_ptr<const Item>> left = SnapshotRoot(from);
  if (!left.ok()) return left.status();
  absl::StatusOr<std::shared_ptr<const Item>> right = SnapshotRoot(to);
  if (!right.ok()) return right.status();

  // This diff's own scratch folder: its extracted archives, spooled plugin content, move data.
  absl::StatusOr<TempDir> scratch = TempDir::Create(kScratchPrefix);
  if (!scratch.ok()) return scratch.status();
  CompareContext context(options_, scratch->path());
  TaskPool pool(options_.jobs > 0 ? options_.jobs : DefaultJobs());
  MoveTracker tracker(scratch->path());
  Run run(pipeline_, context, pool, options_.detect_moves ? &tracker : nullptr, progress);

  ItemPair root{"", *left, *right, 0};
  std::optional<DiffNode> node = run.Compare(root);

  if (context.cancelled() || (progress && progress->cancel.load())) {
    return absl::CancelledError("diff cancelled");
  }
  Changeset changeset;
  changeset.set_from_snapshot(from_label);
  changeset.set_to_snapshot(to_label);
  if (node) {
    if (options_.detect_moves) {
      // A renamed pair is compared outside the tracker (it is being rewritten), with moves of
      // its own: an archive and its unpacked folder hold files that moved too.
      EditComparer compare_edit = [&](const ItemPair& pair) {
        MoveTracker inner(scratch->path());
        Run edits(pipeline_, context, pool, &inner, nullptr);
        std::optional<DiffNode> edit = edits.Compare(pair);
        if (edit) inner.Rewrite(*edit, compare_edit);
        return edit;
      };
      tracker.Rewrite(*node, compare_edit);
    }
    *changeset.mutable_root() = std::move(*node);
  }
  for (Diagnostic& d : context.SortedDiagnostics()) *changeset.add_diagnostics() = std::move(d);
  return changeset;
}

}  // namespace deltascope
