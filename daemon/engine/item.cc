#include "daemon/engine/item.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/engine/media_type.h"
#include "daemon/util/fd.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope {
namespace {

constexpr size_t kReadBufferBytes = 1 << 16;

// One read buffer per thread, allocated (and zeroed) once instead of once per file.
char* ReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kReadBufferBytes);
  return buffer.get();
}

struct FreeState {
  void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
};

// One streaming hash state per thread (null when out of memory), for files of several buffers.
XXH3_state_t* StreamingState() {
  thread_local std::unique_ptr<XXH3_state_t, FreeState> state(XXH3_createState());
  return state.get();
}

absl::Status StatError(const std::filesystem::path& physical, int err) {
  std::string message = absl::StrCat(physical.string(), ": ", std::strerror(err));
  // Only a missing entry has vanished; anything else (a path longer than PATH_MAX, permission
  // denied on a parent) is an entry that exists but cannot be read.
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  return absl::UnavailableError(message);
}

}  // namespace

const char* ItemKindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kFile:
      return "file";
    case ItemKind::kDirectory:
      return "directory";
    case ItemKind::kSymlink:
      return "symlink";
    case ItemKind::kOther:
      return "other";
  }
  return "other";
}

std::string ContentHash::Hex() const { return absl::StrFormat("%016x%016x", high, low); }

absl::StatusOr<std::shared_ptr<Item>> Item::FromPath(const std::filesystem::path& physical) {
  struct stat st;
  if (::lstat(physical.c_str(), &st) != 0) return StatError(physical, errno);
  std::shared_ptr<Item> item(new Item());
  item->physical_ = physical;
  item->Describe(st, AT_FDCWD, physical.c_str());
  return item;
}

absl::StatusOr<std::shared_ptr<Item>> Item::FromDirEntry(const std::shared_ptr<const DirFd>& parent,
                                                         const std::string& name,
                                                         std::filesystem::path physical,
                                                         unsigned char type) {
  // Relative to the folder the kernel resolves any depth. An item whose full path is too long
  // to resolve from the root keeps its folder open (deep_parent_), so it stays reachable after
  // the walk (the move pass); only callers that insist on the path get "File name too long".
  // A regular file as listed is not stat'ed: most files of a big tree are only opened to be
  // hashed, and the open tells their size (one name lookup per file instead of two).
  struct stat st;
  if (type != DT_REG && ::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return StatError(physical, errno);
  }
  std::shared_ptr<Item> item(new Item());
  item->physical_ = std::move(physical);
  item->name_offset_ = item->physical_.native().size() - name.size();
  item->parent_ = parent;
  if (item->physical_.native().size() >= PATH_MAX) item->deep_parent_ = parent;
  if (type == DT_REG) {
    item->kind_ = ItemKind::kFile;
    item->size_.store(kUnknownSize, std::memory_order_relaxed);
  } else {
    item->Describe(st, parent->get(), name.c_str());
  }
  return item;
}

uint64_t Item::size() const {
  const uint64_t known = size_.load(std::memory_order_acquire);
  if (known != kUnknownSize) return known;
  struct stat st;
  const std::shared_ptr<const DirFd> parent = parent_.lock();
  const int rc =
      parent ? ::fstatat(parent->get(), physical_.c_str() + name_offset_, &st, AT_SYMLINK_NOFOLLOW)
             : ::lstat(physical_.c_str(), &st);
  // Gone or no longer a file since it was listed: reading it fails later, with the reason.
  LearnSize(rc == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0);
  return size_.load(std::memory_order_acquire);
}

void Item::LearnSize(uint64_t size) const {
  uint64_t unknown = kUnknownSize;
  size_.compare_exchange_strong(unknown, size, std::memory_order_acq_rel);
}

void Item::Describe(const struct stat& st, int dir_fd, const char* name) {
  if (S_ISREG(st.st_mode)) {
    kind_ = ItemKind::kFile;
    size_.store(static_cast<uint64_t>(st.st_size), std::memory_order_relaxed);
  } else if (S_ISDIR(st.st_mode)) {
    kind_ = ItemKind::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    kind_ = ItemKind::kSymlink;
    std::vector<char> buf(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
    ssize_t n = ::readlinkat(dir_fd, name, buf.data(), buf.size());
    if (n >= 0) link_target_.assign(buf.data(), static_cast<size_t>(n));
  } else {
    kind_ = ItemKind::kOther;
  }
}

absl::StatusOr<UniqueFd> Item::OpenFile(uint64_t* size) const {
  if (std::shared_ptr<const DirFd> parent = parent_.lock()) {
    return OpenForReadingAt(parent->get(), physical_.c_str() + name_offset_, physical_, size);
  }
  return OpenForReadingAt(AT_FDCWD, physical_.c_str(), physical_, size);
}

absl::StatusOr<DirFd> Item::OpenDir() const {
  if (std::shared_ptr<const DirFd> parent = parent_.lock()) {
    return DirFd::OpenAt(*parent, physical_.c_str() + name_offset_, physical_);
  }
  return DirFd::Open(physical_);
}

absl::StatusOr<ContentHash> Item::Hash(const std::atomic<bool>* cancel,
                                       std::atomic<uint64_t>* bytes_hashed) const {
  absl::call_once(hash_once_,
                  [this, cancel, bytes_hashed] { hash_ = ComputeHash(cancel, bytes_hashed); });
  return hash_;
}

absl::StatusOr<ContentHash> Item::ComputeHash(const std::atomic<bool>* cancel,
                                              std::atomic<uint64_t>* bytes_hashed) const {
  if (kind_ != ItemKind::kFile) {
    return absl::FailedPreconditionError(absl::StrCat(physical_.string(), ": not a regular file"));
  }
  uint64_t size = 0;
  absl::StatusOr<UniqueFd> fd = OpenFile(&size);
  if (!fd.ok()) return fd.status();
  LearnSize(size);
  char* buf = ReadBuffer();
  XXH3_state_t* state = nullptr;  // only for files larger than one buffer
  uint64_t total = 0;
  while (true) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return absl::CancelledError("cancelled");
    ssize_t n = ::read(fd->get(), buf, kReadBufferBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InternalError(
          absl::StrCat(physical_.string(), ": read failed: ", std::strerror(errno)));
    }
    const size_t got = static_cast<size_t>(n);
    total += got;
    if (bytes_hashed) bytes_hashed->fetch_add(got, std::memory_order_relaxed);
    // A regular file reads short only at its end: once past the size fstat saw, a short read
    // is the end, and the read of 0 bytes that would confirm it is spared. A file still growing
    // is read until it reads short.
    const bool at_end = got == 0 || (got < kReadBufferBytes && total >= size);
    if (!state && at_end) {  // the whole file in one buffer: one-shot (same digest as streaming)
      XXH128_hash_t h = XXH3_128bits(buf, got);
      return ContentHash{h.high64, h.low64};
    }
    if (!state) {
      state = StreamingState();
      if (!state) return absl::ResourceExhaustedError("out of memory for a hash state");
      XXH3_128bits_reset(state);
    }
    XXH3_128bits_update(state, buf, got);
    if (at_end) break;
  }
  XXH128_hash_t h = XXH3_128bits_digest(state);
  return ContentHash{h.high64, h.low64};
}

const std::string& Item::MediaType() const {
  absl::call_once(media_once_, [this] {
    media_type_ = "application/octet-stream";
    if (kind_ != ItemKind::kFile) return;
    absl::StatusOr<UniqueFd> fd = OpenFile(nullptr);
    if (!fd.ok()) return;
    char* head = ReadBuffer();
    static_assert(kSniffBytes <= kReadBufferBytes);
    absl::StatusOr<size_t> n = ReadFully(fd->get(), head, kSniffBytes);
    if (!n.ok()) return;
    media_type_ = SniffMediaType(std::string_view(head, *n));
  });
  return media_type_;
}

std::string JoinLogicalPath(const std::string& parent, const std::string& name) {
  if (parent.empty()) return EscapeName(name);
  return absl::StrCat(parent, "/", EscapeName(name));
}

std::string LogicalBaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string FormatName(const ItemPair& pair) {
  const bool mixed = pair.left && pair.right && pair.left->kind() != pair.right->kind();
  if (!pair.path.empty() && !mixed) return absl::AsciiStrToLower(pair.path);
  for (const auto* side : {pair.right.get(), pair.left.get()}) {
    if (side && side->is_file()) return absl::AsciiStrToLower(side->physical().filename().string());
  }
  return absl::AsciiStrToLower(pair.path);
}

}  // namespace deltascope
