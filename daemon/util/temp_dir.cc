#include "daemon/util/temp_dir.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace deltascope {
namespace {

// The folders made by Create and not yet removed: what a terminating signal removes.
struct LiveDirs {
  std::mutex mu;
  std::set<std::string> paths;
  bool closed = false;  // RemoveAllLive ran: the process is exiting, no new folders
};
LiveDirs& Live() {
  static LiveDirs* live = new LiveDirs();  // never destroyed: used until the process exits
  return *live;
}

void RemoveTree(const std::filesystem::path& path) {
  std::error_code ec;
  // Make every directory writable first: extracted archives may hold read-only folders.
  for (auto it = std::filesystem::recursive_directory_iterator(
           path, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
  }
  // A worker may still be writing into it, or its owner removing it too (the process is exiting
  // on a signal): retry until it is gone.
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::filesystem::remove_all(path, ec);
    if (!ec || !std::filesystem::exists(std::filesystem::symlink_status(path, ec))) break;
  }
}

}  // namespace

std::filesystem::path TempDir::DefaultBase() {
  const char* base = std::getenv("TMPDIR");
  return base && *base ? base : "/tmp";
}

absl::StatusOr<TempDir> TempDir::Create(const std::string& prefix,
                                        const std::filesystem::path& base) {
  std::string pattern =
      absl::StrCat((base.empty() ? DefaultBase() : base).string(), "/", prefix, "XXXXXX");
  {
    // Made and registered at once: a terminating signal's RemoveAllLive, which takes the same
    // lock, either sees the folder or runs before it exists (and then no folder is made).
    std::lock_guard<std::mutex> guard(Live().mu);
    if (Live().closed) return absl::CancelledError("exiting on a signal");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot create temporary directory ", pattern, ": ", std::strerror(errno)));
    }
    Live().paths.insert(pattern);
  }
  const int lock = ::open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  return TempDir(std::filesystem::path(pattern), lock);
}

int TempDir::RemoveStale(const std::string& prefix, const std::filesystem::path& base) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  const auto now = fs::file_time_type::clock::now();
  for (const fs::directory_entry& e :
       fs::directory_iterator(base.empty() ? DefaultBase() : base, ec)) {
    if (!e.path().filename().string().starts_with(prefix)) continue;
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
      continue;
    }
    if (now - e.last_write_time(ec) < std::chrono::minutes(1) || ec) continue;
    TempDir stale(e.path(),
                  ::open(e.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (stale.lock_ < 0 || ::flock(stale.lock_, LOCK_EX | LOCK_NB) != 0) {
      stale.path_.clear();  // alive (or not ours to judge): leave it
      continue;
    }
    ++removed;  // ~TempDir removes it
  }
  return removed;
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
    lock_ = std::exchange(other.lock_, -1);
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::RemoveAllLive() {
  std::lock_guard<std::mutex> guard(Live().mu);
  Live().closed = true;
  for (const std::string& path : Live().paths) RemoveTree(path);
  Live().paths.clear();
}

void TempDir::Remove() {
  if (lock_ >= 0) ::close(lock_);  // the lock goes with the descriptor
  lock_ = -1;
  if (path_.empty()) return;
  // Removed while still listed as live: a terminating signal arriving meanwhile removes it too,
  // and the process cannot exit with the folder half gone.
  RemoveTree(path_);
  {
    std::lock_guard<std::mutex> guard(Live().mu);
    Live().paths.erase(path_.string());
  }
  path_.clear();
}

}  // namespace deltascope
