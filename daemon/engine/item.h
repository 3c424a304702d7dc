// Items: the files, folders and links of one side of a snapshot pair, and their lazily computed
// facts (content hash, sniffed media type). Items are shared, immutable except for those caches.
#ifndef DELTASCOPE_DAEMON_ENGINE_ITEM_H_
#define DELTASCOPE_DAEMON_ENGINE_ITEM_H_

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/statusor.h"
#include "daemon/util/dir_fd.h"
#include "daemon/util/fd.h"

namespace deltascope {

enum class ItemKind { kFile, kDirectory, kSymlink, kOther };

// Returns "file", "directory", "symlink" or "other".
const char* ItemKindName(ItemKind kind);

// A 128-bit content hash (XXH3), printed as 32 hex digits.
struct ContentHash {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const ContentHash&) const = default;
  auto operator<=>(const ContentHash&) const = default;
  std::string Hex() const;
  template <typename H>
  friend H AbslHashValue(H h, const ContentHash& hash) {
    return H::combine(std::move(h), hash.high, hash.low);
  }
};

class Item {
 public:
  // Describes the entry at `physical` without following a final symlink. Fails when it
  // cannot be lstat'ed (vanished, permission denied on the parent).
  static absl::StatusOr<std::shared_ptr<Item>> FromPath(const std::filesystem::path& physical);
  // The same for entry `name` of the open folder `parent`, whose full path is `physical`
  // (parent's path / name): stat'ed, and later opened, relative to the folder's descriptor while
  // `parent` is alive, through the full path once it is gone. An item whose path is PATH_MAX
  // bytes or more (a tree thousands of folders deep) keeps `parent` open instead, so Hash and
  // OpenDir reach it at any depth.
  // `type` is the entry's type as listed (DirFd::Entry): a regular file (DT_REG) is not stat'ed
  // now; its size is learnt when it is opened to hash, or by size() on first use.
  static absl::StatusOr<std::shared_ptr<Item>> FromDirEntry(
      const std::shared_ptr<const DirFd>& parent, const std::string& name,
      std::filesystem::path physical, unsigned char type = 0);

  const std::filesystem::path& physical() const { return physical_; }
  ItemKind kind() const { return kind_; }
  bool is_file() const { return kind_ == ItemKind::kFile; }
  bool is_directory() const { return kind_ == ItemKind::kDirectory; }
  // Size of a regular file (0 for other kinds, and for a file that can no longer be stat'ed).
  uint64_t size() const;
  // Whether size() is known without a system call.
  bool size_known() const { return size_.load(std::memory_order_acquire) != kUnknownSize; }
  // Target of a symlink, as stored in the link (never resolved).
  const std::string& link_target() const { return link_target_; }

  // Content hash of a regular file, computed once (thread-safe) by streaming the file. When
  // `cancel` becomes true mid-way the result is a Cancelled error (the run is being abandoned).
  // The bytes read are added to `bytes_hashed` (the diff's own counter), when given.
  absl::StatusOr<ContentHash> Hash(const std::atomic<bool>* cancel = nullptr,
                                   std::atomic<uint64_t>* bytes_hashed = nullptr) const;
  // Media type sniffed from the first bytes ("application/zip", "text/plain", ...); computed
  // once. Returns "application/octet-stream" when nothing matches or the file is unreadable.
  const std::string& MediaType() const;

  // Opens this folder item, relative to its parent folder's descriptor when that is still open.
  // Errors read "cannot list PATH: reason".
  absl::StatusOr<DirFd> OpenDir() const;

 private:
  Item() = default;
  // Opens the regular file (see OpenForReadingAt), relative to the parent folder when open.
  absl::StatusOr<UniqueFd> OpenFile(uint64_t* size) const;
  absl::StatusOr<ContentHash> ComputeHash(const std::atomic<bool>* cancel,
                                          std::atomic<uint64_t>* bytes_hashed) const;
  // Sets kind, size and link target from `st`, the lstat of entry `name` of `dir_fd`.
  void Describe(const struct stat& st, int dir_fd, const char* name);

  std::filesystem::path physical_;
  // The folder this item was listed from (not owned: the folder's comparison keeps it open for
  // as long as its entries are compared, and no longer, so that the items kept for move
  // detection hold no descriptors), and where the name starts in physical_.
  std::weak_ptr<const DirFd> parent_;
  // Set only for items too deep to reach by path: keeps their folder open.
  std::shared_ptr<const DirFd> deep_parent_;
  size_t name_offset_ = 0;
  ItemKind kind_ = ItemKind::kOther;
  static constexpr uint64_t kUnknownSize = ~uint64_t{0};
  // Set once, by whichever comes first: the listing's stat, the open to hash, or size().
  mutable std::atomic<uint64_t> size_{0};
  void LearnSize(uint64_t size) const;
  std::string link_target_;

  // absl's, not std's: glibc's pthread_once makes a futex call on every first run, a system
  // call per file on large trees; absl::call_once wakes only when a thread waits.
  mutable absl::once_flag hash_once_;
  mutable absl::StatusOr<ContentHash> hash_;
  mutable absl::once_flag media_once_;
  mutable std::string media_type_;
};

// The two sides of one logical path. A side is null when the item is absent there (added or
// removed).
struct ItemPair {
  std::string path;  // logical path, "" for the snapshot roots
  std::shared_ptr<const Item> left;
  std::shared_ptr<const Item> right;
  // How many archives deep this pair lies (0 on the file system).
  int archive_depth = 0;

  bool added() const { return !left && right; }
  bool removed() const { return left && !right; }
  // The side that exists (right preferred).
  const Item& any() const { return right ? *right : *left; }
};

// Joins a logical parent path and a raw child name (bytes, as the file system or archive gives
// it) with '/'; the name is escaped by EscapeName (daemon/util/untrusted_text.h).
std::string JoinLogicalPath(const std::string& parent, const std::string& name);

// Returns the last component of a logical path.
std::string LogicalBaseName(const std::string& path);

// The lower-case name whose suffix says a pair's format (".csv", ".tar.gz"): its logical path,
// except at the snapshot roots (path "") and for a regular file paired with a folder (an archive
// and its unpacked tree), where the path says nothing of the file: then the file's own name
// (right side preferred).
std::string FormatName(const ItemPair& pair);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_ITEM_H_
