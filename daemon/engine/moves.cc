#include "daemon/engine/moves.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
#include "daemon/engine/similar_files.h"

namespace deltascope {
namespace {

using Record = MoveTracker::Record;

// Hashes a file record on first use (files on disk are hashed lazily, here).
const std::optional<ContentHash>& HashOf(Record& record) {
  if (record.item) {
    absl::StatusOr<ContentHash> hash = record.item->Hash();
    if (hash.ok()) record.hash = *hash;
    record.item.reset();
  }
  return record.hash;
}

// Inside a pair compared as one (an archive and its unpacked folder), both sides' items are
// named under the new path: a move's source is given its old path back.
void RebaseSources(DiffNode& node, const std::string& new_path, const std::string& old_path) {
  const std::string prefix = new_path + "/";
  if (absl::StartsWith(node.source_path(), prefix)) {
    node.set_source_path(absl::StrCat(old_path, "/", node.source_path().substr(prefix.size())));
  }
  for (DiffNode& child : *node.mutable_children()) RebaseSources(child, new_path, old_path);
}

bool Prunable(const DiffNode& node) {
  return node.children_size() == 0 && node.summary().empty() &&
         (node.action().empty() || node.action() == "modify");
}

// Matches the records of one run against the nodes of its changeset tree and rewrites it.
class Matcher {
 public:
  Matcher(std::vector<Record>& records, const UnchangedFiles& unchanged, const DiffNode& root)
      : records_(records), unchanged_(unchanged), consumed_(records.size(), false) {
    std::sort(records_.begin(), records_.end(),
              [](const Record& a, const Record& b) { return a.path < b.path; });
    for (size_t i = 0; i < records_.size(); ++i) {
      (records_[i].added ? added_ : removed_).push_back(i);
    }
    IndexNodes(root);
  }

  void MatchFolders();
  void MatchFiles();
  void MatchSimilar(const EditComparer& compare_edit);
  void MatchUnpacked(const EditComparer& compare_edit);
  // Replaces matched add nodes, deletes matched remove nodes, prunes emptied containers.
  void Apply(DiffNode& node);

 private:
  void IndexNodes(const DiffNode& node);
  // True when record `i` still may be matched: not consumed, and its node is in the tree.
  bool Eligible(size_t i) const;
  // True for a folder, and for a file read as a container (an archive: its node lists files).
  bool Container(size_t i) const;
  // Record indices below container record `dir` on its side, in path order; with `same_depth`
  // only its own (not members of archives inside it).
  std::vector<size_t> Descendants(size_t dir, bool same_depth) const;
  // Marks `i` and everything below it as matched.
  void Consume(size_t i);
  // A digest of a folder's shape (relative paths, kinds, sizes), or nothing when it holds no
  // non-empty file.
  std::optional<ContentHash> ShapeKey(size_t dir) const;
  // True when folders `a` and `b` hold the same files with the same contents.
  bool SameContent(size_t a, size_t b);
  // Records that added item `to` is a move or copy of `source` (record `source_index`, when
  // it is one).
  void AddMatch(size_t to, const std::string& source, bool move,
                std::optional<size_t> source_index = std::nullopt);
  // Records that added item `to` is removed item `from`, moved and described by `node`.
  void AddMove(size_t from, size_t to, DiffNode node);
  // Unmatched text files on disk of one side, in path order (at most kMaxSimilarCandidates).
  std::vector<size_t> SimilarityCandidates(const std::vector<size_t>& side) const;

  std::vector<Record>& records_;
  const UnchangedFiles& unchanged_;
  std::vector<bool> consumed_;
  std::vector<size_t> added_, removed_;  // record indices, in path order
  std::map<std::string, const DiffNode*> add_nodes_, remove_nodes_;
  std::map<std::string, DiffNode> replacements_;  // by added path
  std::set<std::string> deletions_;               // removed paths
};

void Matcher::IndexNodes(const DiffNode& node) {
  if (node.action() == "add") add_nodes_.emplace(node.path(), &node);
  if (node.action() == "remove") remove_nodes_.emplace(node.path(), &node);
  for (const DiffNode& child : node.children()) IndexNodes(child);
}

bool Matcher::Eligible(size_t i) const {
  if (consumed_[i]) return false;
  const auto& nodes = records_[i].added ? add_nodes_ : remove_nodes_;
  return nodes.count(records_[i].path) > 0;
}

std::vector<size_t> Matcher::Descendants(size_t dir, bool same_depth) const {
  const Record& parent = records_[dir];
  const std::vector<size_t>& side = parent.added ? added_ : removed_;
  const std::string prefix = parent.path + "/";
  const int depth = parent.directory ? parent.depth : parent.depth + 1;  // an archive's members
  auto it = std::lower_bound(side.begin(), side.end(), prefix,
                             [&](size_t i, const std::string& p) { return records_[i].path < p; });
  std::vector<size_t> out;
  for (; it != side.end() && absl::StartsWith(records_[*it].path, prefix); ++it) {
    if (!same_depth || records_[*it].depth == depth) out.push_back(*it);
  }
  return out;
}

bool Matcher::Container(size_t i) const {
  const Record& r = records_[i];
  if (r.directory) return true;
  const auto& nodes = r.added ? add_nodes_ : remove_nodes_;
  auto it = nodes.find(r.path);
  return it != nodes.end() && it->second->details().fields().contains("file_count");
}

void Matcher::Consume(size_t i) {
  consumed_[i] = true;
  for (size_t d : Descendants(i, false)) consumed_[d] = true;
}

std::optional<ContentHash> Matcher::ShapeKey(size_t dir) const {
  const size_t prefix = records_[dir].path.size() + 1;
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  bool any_file = false;
  for (size_t i : Descendants(dir, true)) {
    const Record& r = records_[i];
    // NUL cannot occur in a path: it separates the fields unambiguously.
    const std::string entry = absl::StrCat(r.path.substr(prefix), absl::string_view("\0", 1),
                                           r.directory ? "d" : "f", r.size, "\n");
    XXH3_128bits_update(state, entry.data(), entry.size());
    any_file = any_file || (!r.directory && r.size > 0);
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  if (!any_file) return std::nullopt;
  return ContentHash{h.high64, h.low64};
}

bool Matcher::SameContent(size_t a, size_t b) {
  const std::vector<size_t> left = Descendants(a, true);
  const std::vector<size_t> right = Descendants(b, true);
  if (left.size() != right.size()) return false;
  const size_t prefix_a = records_[a].path.size() + 1;
  const size_t prefix_b = records_[b].path.size() + 1;
  for (size_t k = 0; k < left.size(); ++k) {
    Record& x = records_[left[k]];
    Record& y = records_[right[k]];
    if (consumed_[left[k]] || consumed_[right[k]]) return false;
    if (x.directory != y.directory || x.size != y.size ||
        x.path.compare(prefix_a, std::string::npos, y.path, prefix_b) != 0) {
      return false;
    }
    if (x.directory) continue;
    const std::optional<ContentHash>& hx = HashOf(x);
    const std::optional<ContentHash>& hy = HashOf(y);
    if (!hx || !hy || *hx != *hy) return false;
  }
  return true;
}

void Matcher::AddMatch(size_t to, const std::string& source, bool move,
                       std::optional<size_t> source_index) {
  const Record& dest = records_[to];
  const DiffNode& added = *add_nodes_.at(dest.path);
  DiffNode node = MakeNode(move ? "move" : "copy", added.item_type(), dest.path, "");
  node.set_source_path(source);
  int64_t files = 0;
  for (size_t i : Descendants(to, true)) files += records_[i].directory ? 0 : 1;
  if (dest.directory) {
    node.set_summary(absl::StrCat("Folder moved with ", Plural(files, "file", "files")));
    AddTag(node, "folder-move");
    SetDetail(node, "files", files);
  } else if (source_index && Container(to) &&
             HashOf(records_[to]) != HashOf(records_[*source_index])) {
    // An archive renamed with the same members in other bytes, as a renamed folder.
    node.set_summary(absl::StrCat("Moved and repacked with identical contents (",
                                  Plural(files, "file", "files"), ")"));
    AddTag(node, "file-move");
    AddTag(node, "format-change");
    SetDetail(node, "files", files);
  } else {
    node.set_summary(move ? "Moved" : "Copied");
    AddTag(node, move ? "file-move" : "file-copy");
    SetDetail(node, "size", static_cast<int64_t>(dest.size));
  }
  replacements_[dest.path] = std::move(node);
  if (move) deletions_.insert(source);
}

void Matcher::MatchFolders() {
  // Removed folders and archives by shape; a key's list stays in path order.
  std::map<ContentHash, std::vector<size_t>> by_shape;
  for (size_t r : removed_) {
    if (!Eligible(r) || !Container(r)) continue;
    if (std::optional<ContentHash> key = ShapeKey(r)) by_shape[*key].push_back(r);
  }
  if (by_shape.empty()) return;
  // Parents come before their children in path order, so the outermost renamed folder wins.
  for (size_t a : added_) {
    if (!Eligible(a) || !Container(a)) continue;
    std::optional<ContentHash> key = ShapeKey(a);
    if (!key) continue;
    auto it = by_shape.find(*key);
    if (it == by_shape.end()) continue;
    for (size_t r : it->second) {
      // A folder and an archive of one shape are paired by name only (MatchUnpacked).
      if (records_[r].directory != records_[a].directory || !Eligible(r) || !SameContent(a, r)) {
        continue;
      }
      AddMatch(a, records_[r].path, /*move=*/true, r);
      Consume(a);
      Consume(r);
      break;
    }
  }
}

void Matcher::MatchFiles() {
  std::map<uint64_t, std::vector<size_t>> removed_by_size;
  for (size_t r : removed_) {
    const Record& rec = records_[r];
    if (!rec.directory && rec.size > 0 && Eligible(r)) removed_by_size[rec.size].push_back(r);
  }
  // Removed files by content, filled one size at a time, only for sizes an added file has.
  std::map<ContentHash, std::vector<size_t>> removed_by_hash;
  std::set<uint64_t> hashed_sizes;
  for (size_t a : added_) {
    Record& rec = records_[a];
    if (rec.directory || rec.size == 0 || !Eligible(a)) continue;
    auto same_size = removed_by_size.find(rec.size);
    if (same_size == removed_by_size.end() && !unchanged_.HasSize(rec.size)) continue;
    if (same_size != removed_by_size.end() && hashed_sizes.insert(rec.size).second) {
      for (size_t r : same_size->second) {
        if (const std::optional<ContentHash>& h = HashOf(records_[r])) {
          removed_by_hash[*h].push_back(r);
        }
      }
    }
    const std::optional<ContentHash> hash = HashOf(rec);
    if (!hash) continue;
    if (auto it = removed_by_hash.find(*hash); it != removed_by_hash.end()) {
      auto unused = std::find_if(it->second.begin(), it->second.end(),
                                 [&](size_t r) { return !consumed_[r]; });
      const bool move = unused != it->second.end();
      const size_t source = move ? *unused : it->second.front();
      AddMatch(a, records_[source].path, move);
      if (move) Consume(source);
      Consume(a);
    } else if (std::optional<std::string> kept = unchanged_.Find(*hash)) {
      AddMatch(a, *kept, /*move=*/false);
      Consume(a);
    }
  }
}

// As Binoc: a bound on the quadratic pairing (and kMaxSimilarBytes on the bytes read per file).
constexpr size_t kMaxSimilarCandidates = 400;

std::string LowerExtension(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? "" : absl::AsciiStrToLower(name.substr(dot));
}

std::vector<size_t> Matcher::SimilarityCandidates(const std::vector<size_t>& side) const {
  std::vector<size_t> out;
  for (size_t i : side) {
    const Record& r = records_[i];
    if (r.directory || !r.file || r.size == 0 || r.size > kMaxSimilarBytes || !Eligible(i)) {
      continue;
    }
    if (!absl::StartsWith(r.file->MediaType(), "text/")) continue;
    out.push_back(i);
    if (out.size() == kMaxSimilarCandidates) break;
  }
  return out;
}

void Matcher::MatchSimilar(const EditComparer& compare_edit) {
  std::vector<size_t> added = SimilarityCandidates(added_);
  std::vector<size_t> removed = SimilarityCandidates(removed_);
  if (added.empty() || removed.empty()) return;
  std::map<size_t, std::optional<std::vector<uint64_t>>> prints;
  auto print = [&](size_t i) -> const std::optional<std::vector<uint64_t>>& {
    auto it = prints.find(i);
    if (it == prints.end())
      it = prints.emplace(i, LineFingerprint(records_[i].file->physical())).first;
    return it->second;
  };
  struct Candidate {
    double similarity;
    size_t removed, added;
  };
  std::vector<Candidate> candidates;
  for (size_t a : added) {
    for (size_t r : removed) {
      const uint64_t small = std::min(records_[a].size, records_[r].size);
      const uint64_t big = std::max(records_[a].size, records_[r].size);
      if (static_cast<double>(small) < kRenameSimilarity * static_cast<double>(big)) continue;
      if (LowerExtension(records_[a].path) != LowerExtension(records_[r].path)) continue;
      const auto& pa = print(a);
      const auto& pr = print(r);
      if (!pa || !pr) continue;
      double similarity = LineSimilarity(*pa, *pr);
      if (similarity >= kRenameSimilarity) candidates.push_back({similarity, r, a});
    }
  }
  // Most similar first; ties in path order (record indices follow paths).
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
    if (x.similarity != y.similarity) return x.similarity > y.similarity;
    return std::tie(x.removed, x.added) < std::tie(y.removed, y.added);
  });
  for (const Candidate& c : candidates) {
    if (consumed_[c.removed] || consumed_[c.added]) continue;
    const Record& from = records_[c.removed];
    const Record& to = records_[c.added];
    std::optional<DiffNode> edit = compare_edit(ItemPair{to.path, from.file, to.file, to.depth});
    if (!edit) continue;
    edit->set_summary(edit->summary().empty()
                          ? "Moved and edited"
                          : absl::StrCat("Moved and edited: ", edit->summary()));
    SetDetail(*edit, "similarity_percent", static_cast<int64_t>(c.similarity * 100));
    AddMove(c.removed, c.added, std::move(*edit));
  }
}

void Matcher::AddMove(size_t from, size_t to, DiffNode node) {
  node.set_action("move");
  node.set_path(records_[to].path);
  node.set_source_path(records_[from].path);
  AddTag(node, "file-move");
  replacements_[records_[to].path] = std::move(node);
  deletions_.insert(records_[from].path);
  Consume(from);
  Consume(to);
}

void Matcher::MatchUnpacked(const EditComparer& compare_edit) {
  // Folders on disk still unmatched, by path, on each side.
  std::map<std::string_view, size_t> added_dirs, removed_dirs;
  for (const auto& [side, dirs] : {std::pair{&added_, &added_dirs}, {&removed_, &removed_dirs}}) {
    for (size_t i : *side) {
      if (records_[i].directory && records_[i].file && Eligible(i)) {
        dirs->emplace(records_[i].path, i);
      }
    }
  }
  if (added_dirs.empty() && removed_dirs.empty()) return;
  // Each file on disk whose name is a folder's of the other side plus an extension, in path
  // order: "data.tar.gz" meets "data.tar" and "data".
  for (const auto& [side, dirs] : {std::pair{&removed_, &added_dirs}, {&added_, &removed_dirs}}) {
    for (size_t f : *side) {
      const Record& file = records_[f];
      // Only a file read as a container when added or removed: not one that could not be
      // (a corrupt archive) or is no archive at all.
      if (file.directory || !file.file || !Eligible(f) || !Container(f)) continue;
      const size_t name = file.path.rfind('/') + 1;  // npos + 1 == 0
      for (size_t dot = file.path.find('.', name + 1); dot != std::string::npos;
           dot = file.path.find('.', dot + 1)) {
        auto it = dirs->find(std::string_view(file.path).substr(0, dot));
        if (it == dirs->end() || !Eligible(it->second)) continue;
        const bool unpacked = !file.added;
        const size_t from = unpacked ? f : it->second;
        const size_t to = unpacked ? it->second : f;
        const Record& dest = records_[to];
        std::optional<DiffNode> edit =
            compare_edit(ItemPair{dest.path, records_[from].file, dest.file, dest.depth});
        // Without a comparator that unpacks it, the engine says the kind changed: no pair.
        if (!edit || std::find(edit->tags().begin(), edit->tags().end(), "type-change") !=
                         edit->tags().end()) {
          continue;
        }
        RebaseSources(*edit, dest.path, records_[from].path);
        AddMove(from, to, std::move(*edit));
        break;
      }
    }
  }
}

void Matcher::Apply(DiffNode& node) {
  google::protobuf::RepeatedPtrField<DiffNode> kept;
  for (DiffNode& child : *node.mutable_children()) {
    if (child.action() == "remove" && deletions_.count(child.path()) > 0) continue;
    if (child.action() == "add") {
      if (auto it = replacements_.find(child.path()); it != replacements_.end()) {
        *kept.Add() = std::move(it->second);
        continue;
      }
    }
    const bool container = child.children_size() > 0;
    Apply(child);
    if (container && Prunable(child)) continue;
    *kept.Add() = std::move(child);
  }
  node.mutable_children()->Swap(&kept);
}

}  // namespace

void UnchangedFiles::Add(const ContentHash& hash, uint64_t size, std::string_view path) {
  entries_.push_back(Entry{hash, paths_.size(), static_cast<uint32_t>(path.size())});
  paths_.append(path);
  sizes_.insert(size);
}

void UnchangedFiles::Seal() {
  // By (hash, path): the output does not depend on the order the threads added them in.
  std::sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    return PathOf(a) < PathOf(b);
  });
}

std::optional<std::string> UnchangedFiles::Find(const ContentHash& hash) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), hash,
                             [](const Entry& e, const ContentHash& h) { return e.hash < h; });
  if (it == entries_.end() || it->hash != hash) return std::nullopt;
  return std::string(PathOf(*it));
}

MoveTracker::MoveTracker(std::filesystem::path scratch) : scratch_(std::move(scratch)) {}

std::shared_ptr<const Item> MoveTracker::Keep(const Item& member) {
  std::call_once(kept_dir_once_, [this] {
    // Its own folder: the tracker of a renamed pair's comparison keeps members too.
    std::string dir = (scratch_ / "kept-XXXXXX").string();
    if (::mkdtemp(dir.data()) != nullptr) kept_dir_ = std::move(dir);
  });
  if (kept_dir_.empty()) return nullptr;
  const std::filesystem::path kept =
      kept_dir_ / std::to_string(kept_.fetch_add(1, std::memory_order_relaxed));
  // A second name for the extracted file costs no copy; across file systems, a copy.
  if (::link(member.physical().c_str(), kept.c_str()) != 0) {
    std::error_code ec;
    if (!std::filesystem::copy_file(member.physical(), kept, ec)) return nullptr;
  }
  absl::StatusOr<std::shared_ptr<Item>> item = Item::FromPath(kept);
  return item.ok() ? std::move(*item) : nullptr;
}

void MoveTracker::Observe(const ItemPair& pair, bool identical) {
  if (pair.left && pair.right) {
    if (!identical || !pair.right->is_file() || pair.right->size() == 0) return;
    absl::StatusOr<ContentHash> hash = pair.right->Hash();  // cached: the engine compared it
    if (!hash.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    unchanged_.Add(*hash, pair.right->size(), pair.path);
    return;
  }
  const std::shared_ptr<const Item>& side = pair.added() ? pair.right : pair.left;
  if (!side->is_file() && !side->is_directory()) return;
  Record record;
  record.path = pair.path;
  record.added = pair.added();
  record.directory = side->is_directory();
  record.depth = pair.archive_depth;
  record.size = side->size();
  const std::string physical = side->physical().string();
  const bool member = !scratch_.empty() && absl::StartsWith(physical, scratch_.string() + "/");
  if (!member) {
    record.item = side->is_file() ? side : nullptr;
    record.file = side;
  } else if (side->is_file() && record.size > 0 && record.size <= kMaxEagerHashBytes) {
    // An archive member: its extraction directory is removed once its archive is compared.
    absl::StatusOr<ContentHash> hash = side->Hash();
    if (hash.ok()) record.hash = *hash;
    if (record.size <= kMaxSimilarBytes && absl::StartsWith(side->MediaType(), "text/")) {
      record.kept = true;
      if (kept_bytes_.fetch_add(record.size) + record.size <= kMaxKeptBytes) {
        record.file = Keep(*side);
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  records_.push_back(std::move(record));
}

void MoveTracker::Rewrite(DiffNode& root, const EditComparer& compare_edit) {
  std::lock_guard<std::mutex> lock(mu_);
  if (records_.empty()) return;
  unchanged_.Seal();
  if (kept_bytes_.load() > kMaxKeptBytes) {
    for (Record& r : records_) {
      if (r.kept) r.file.reset();
    }
  }
  Matcher matcher(records_, unchanged_, root);
  // An archive and its unpacked folder first: what lies inside them is compared there.
  if (compare_edit) matcher.MatchUnpacked(compare_edit);
  matcher.MatchFolders();
  matcher.MatchFiles();
  if (compare_edit) matcher.MatchSimilar(compare_edit);
  matcher.Apply(root);
}

}  // namespace deltascope
