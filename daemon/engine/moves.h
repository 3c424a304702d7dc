// Move and copy detection, a pass after comparison: an added and a removed item with equal
// content become one "move"; extra copies of existing content become "copy"; a renamed folder
// becomes one folder move instead of N file moves.
#ifndef DELTASCOPE_DAEMON_ENGINE_MOVES_H_
#define DELTASCOPE_DAEMON_ENGINE_MOVES_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "daemon/engine/item.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::DiffNode;

// Archive members larger than this are not hashed eagerly, so they never match: their
// extraction directory is gone by the time the tree is rewritten.
inline constexpr uint64_t kMaxEagerHashBytes = 64ull << 20;

// Renamed-and-edited text files are paired when at least this share of their lines is common.
inline constexpr double kRenameSimilarity = 0.5;

// Compares a removed and an added item as one modified pair (at the added path); nothing when
// the comparators find no difference.
using EditComparer = std::function<std::optional<DiffNode>(const ItemPair&)>;

// Files present, unchanged, in both snapshots (sources of copies): about one per file of a big
// tree, so held compactly (32 bytes and the path's bytes each) and indexed only when a move pass
// needs it.
class UnchangedFiles {
 public:
  void Add(const ContentHash& hash, uint64_t size, std::string_view path);
  // Sorts for lookups; call after the last Add.
  void Seal();
  bool HasSize(uint64_t size) const { return sizes_.contains(size); }
  // The smallest path of a file with this content (after Seal); nothing when there is none.
  std::optional<std::string> Find(const ContentHash& hash) const;

 private:
  struct Entry {
    ContentHash hash;
    uint64_t offset = 0;  // of the path in paths_
    uint32_t length = 0;
  };
  std::string_view PathOf(const Entry& e) const { return {paths_.data() + e.offset, e.length}; }

  std::vector<Entry> entries_;  // sorted by (hash, path) once sealed
  std::string paths_;
  absl::flat_hash_set<uint64_t> sizes_;
};

// Renamed-and-edited files are text files of at most this size.
inline constexpr uint64_t kMaxSimilarBytes = 4ull << 20;

// The archive members kept for that comparison hold at most this much in all; past it none is
// used (rather than whichever the threads kept first), so the output stays the same.
inline constexpr uint64_t kMaxKeptBytes = 1ull << 30;

class MoveTracker {
 public:
  // `scratch` is the run's scratch folder: items under it are archive members, whose extraction
  // is removed once their archive is compared. Empty: every item stays readable.
  explicit MoveTracker(std::filesystem::path scratch = {});

  // Called by the engine for every pair it compares (thread-safe). Records added and removed
  // items, and the content of unchanged files (sources of copies). Archive members are hashed
  // here, while their extraction directory still exists, and those that may be renamed and
  // edited text (kMaxSimilarBytes) are kept (a hard link, else a copy, in the scratch folder)
  // for comparison; files on disk are hashed later, and only when a file of the same size
  // exists on the other side.
  void Observe(const ItemPair& pair, bool identical);

  // Rewrites the changeset tree: pairs of add/remove nodes with equal content become moves,
  // added duplicates of existing content become copies, a removed and an added folder (or
  // archive) with the same files become one folder move (archive move, "repacked" when the
  // bytes differ); emptied containers are pruned. Deterministic: candidates
  // are matched in path order. Empty files never match (any two would). With `compare_edit`, a
  // removed and an added text file on disk with the same extension and similar lines (see
  // kRenameSimilarity; most similar first) become one move that also describes the edit, in
  // a folder or in an archive alike; and a removed archive and an added folder named like it
  // without its extension ("data.zip" and "data"), or the reverse, become one move that
  // compares their contents, when the archive was read as one (it lists its files) and a
  // comparator unpacks it.
  void Rewrite(DiffNode& root, const EditComparer& compare_edit = nullptr);

  struct Record {
    std::string path;
    bool added = false;
    bool directory = false;
    int depth = 0;  // archive depth
    uint64_t size = 0;
    std::shared_ptr<const Item> item;  // null once hashed
    // A readable copy, for comparing it with another: files and folders on disk, kept archive
    // members; null for the rest.
    std::shared_ptr<const Item> file;
    std::optional<ContentHash> hash;  // files only; absent when unreadable or too big
    bool kept = false;                // an archive member that `file` keeps (or would)
  };

 private:
  // A lasting copy of archive member `member`, or null.
  std::shared_ptr<const Item> Keep(const Item& member);

  const std::filesystem::path scratch_;
  std::once_flag kept_dir_once_;
  std::filesystem::path kept_dir_;  // empty when it cannot be created
  std::atomic<uint64_t> kept_{0};
  std::atomic<uint64_t> kept_bytes_{0};  // of every member to keep, kept or not
  std::mutex mu_;
  std::vector<Record> records_;
  UnchangedFiles unchanged_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_MOVES_H_
