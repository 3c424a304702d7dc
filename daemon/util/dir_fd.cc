#include "daemon/util/dir_fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace deltascope {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

absl::Status ListError(const std::filesystem::path& path, int err) {
  return absl::PermissionDeniedError(
      absl::StrCat("cannot list ", path.string(), ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<DirFd> DirFd::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), kDirFlags);
  if (fd < 0) return ListError(path, errno);
  return DirFd(UniqueFd(fd), path);
}

absl::StatusOr<DirFd> DirFd::OpenAt(const DirFd& parent, std::string_view name,
                                    const std::filesystem::path& path) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot list ", path.string(), ": not a single entry name"));
  }
  int fd = ::openat(parent.get(), std::string(name).c_str(), kDirFlags);
  if (fd < 0) return ListError(path, errno);
  return DirFd(UniqueFd(fd), path);
}

absl::StatusOr<std::vector<std::string>> DirFd::ListNames() const {
  absl::StatusOr<std::vector<Entry>> entries = ListEntries();
  if (!entries.ok()) return entries.status();
  std::vector<std::string> names;
  names.reserve(entries->size());
  for (Entry& e : *entries) names.push_back(std::move(e.name));
  return names;
}

absl::StatusOr<std::vector<DirFd::Entry>> DirFd::ListEntries() const {
  // From the start, whoever listed before: the offset is shared by every user of the fd.
  if (::lseek(fd_.get(), 0, SEEK_SET) != 0) return ListError(path_, errno);
  std::vector<Entry> names;
  alignas(struct dirent64) char buf[32 << 10];
  while (true) {
    ssize_t n = ::getdents64(fd_.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ListError(path_, errno);
    if (n == 0) break;
    for (ssize_t offset = 0; offset < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buf + offset);
      offset += entry->d_reclen;
      std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.push_back({std::string(name), entry->d_type});
    }
  }
  return names;
}

}  // namespace deltascope
