#include "daemon/engine/item.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/engine/media_type.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

std::atomic<uint64_t> g_bytes_hashed{0};

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
  if (::lstat(physical.c_str(), &st) != 0) {
    const int err = errno;
    std::string message = absl::StrCat(physical.string(), ": ", std::strerror(err));
    // Only a missing entry has vanished; anything else (a path longer than PATH_MAX, permission
    // denied on a parent) is an entry that exists but cannot be read.
    if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  std::shared_ptr<Item> item(new Item());
  item->physical_ = physical;
  if (S_ISREG(st.st_mode)) {
    item->kind_ = ItemKind::kFile;
    item->size_ = static_cast<uint64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    item->kind_ = ItemKind::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    item->kind_ = ItemKind::kSymlink;
    std::vector<char> buf(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
    ssize_t n = ::readlink(physical.c_str(), buf.data(), buf.size());
    if (n >= 0) item->link_target_.assign(buf.data(), static_cast<size_t>(n));
  } else {
    item->kind_ = ItemKind::kOther;
  }
  return item;
}

absl::StatusOr<ContentHash> Item::Hash(const std::atomic<bool>* cancel) const {
  std::call_once(hash_once_, [this, cancel] {
    if (kind_ != ItemKind::kFile) {
      hash_ =
          absl::FailedPreconditionError(absl::StrCat(physical_.string(), ": not a regular file"));
      return;
    }
    absl::StatusOr<UniqueFd> fd = OpenForReading(physical_);
    if (!fd.ok()) {
      hash_ = fd.status();
      return;
    }
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    std::vector<char> buf(1 << 16);
    while (true) {
      if (cancel && cancel->load(std::memory_order_relaxed)) {
        hash_ = absl::CancelledError("cancelled");
        XXH3_freeState(state);
        return;
      }
      ssize_t n = ::read(fd->get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        hash_ = absl::InternalError(
            absl::StrCat(physical_.string(), ": read failed: ", std::strerror(errno)));
        XXH3_freeState(state);
        return;
      }
      if (n == 0) break;
      XXH3_128bits_update(state, buf.data(), static_cast<size_t>(n));
      g_bytes_hashed.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    }
    XXH128_hash_t h = XXH3_128bits_digest(state);
    XXH3_freeState(state);
    hash_ = ContentHash{h.high64, h.low64};
  });
  return hash_;
}

const std::string& Item::MediaType() const {
  std::call_once(media_once_, [this] {
    media_type_ = "application/octet-stream";
    if (kind_ != ItemKind::kFile) return;
    absl::StatusOr<UniqueFd> fd = OpenForReading(physical_);
    if (!fd.ok()) return;
    std::string head(kSniffBytes, '\0');
    absl::StatusOr<size_t> n = ReadFully(fd->get(), head.data(), head.size());
    if (!n.ok()) return;
    head.resize(*n);
    media_type_ = SniffMediaType(head);
  });
  return media_type_;
}

uint64_t Item::BytesHashed() { return g_bytes_hashed.load(std::memory_order_relaxed); }

std::string JoinLogicalPath(const std::string& parent, const std::string& name) {
  if (parent.empty()) return name;
  return absl::StrCat(parent, "/", name);
}

std::string LogicalBaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace deltascope
