#include "daemon/util/fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace deltascope {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "a special file";
}

}  // namespace

namespace {

// The folder holding `path` when `path` is too long for the kernel to resolve at once (a tree
// thousands of folders deep): entered one component at a time, as the kernel would.
absl::StatusOr<UniqueFd> OpenLongParent(const std::filesystem::path& path) {
  UniqueFd dir(::open(path.is_absolute() ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (const std::filesystem::path& part : path.relative_path().parent_path()) {
    if (!dir.valid()) break;
    dir = UniqueFd(::openat(dir.get(), part.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (!dir.valid()) {
    return absl::UnavailableError(absl::StrCat(path.string(), ": ", std::strerror(errno)));
  }
  return dir;
}

}  // namespace

absl::StatusOr<UniqueFd> OpenForReading(const std::filesystem::path& path) {
  UniqueFd parent;
  if (path.native().size() >= PATH_MAX) {
    absl::StatusOr<UniqueFd> opened = OpenLongParent(path);
    if (!opened.ok()) return opened.status();
    parent = std::move(*opened);
  }
  absl::StatusOr<UniqueFd> fd = parent.valid()
                                    ? OpenForReadingAt(parent.get(), path.filename().c_str(), path)
                                    : OpenForReadingAt(AT_FDCWD, path.c_str(), path);
  // The descriptor may be handed on (to a plugin, to libarchive): make it blocking again, as
  // any reader expects.
  if (fd.ok() && ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) & ~O_NONBLOCK) != 0) {
    return absl::UnavailableError(absl::StrCat(path.string(), ": ", std::strerror(errno)));
  }
  return fd;
}

absl::StatusOr<UniqueFd> OpenForReadingAt(int dir_fd, const char* name,
                                          const std::filesystem::path& path, uint64_t* size) {
  // O_NONBLOCK: opening a FIFO (say a file replaced by one while a diff runs) must not wait
  // for a writer. It is left set here: only regular files get past the check below, and on
  // those O_NONBLOCK has no effect (open(2)); clearing it costs two fcntl calls per file.
  int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    std::string message = absl::StrCat(path.string(), ": ", std::strerror(err));
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == ELOOP) {
      return absl::UnavailableError(
          absl::StrCat(path.string(), ": not a regular file (a symbolic link)"));
    }
    return absl::UnavailableError(message);
  }
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return absl::UnavailableError(absl::StrCat(path.string(), ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::UnavailableError(
        absl::StrCat(path.string(), ": not a regular file (", KindOf(st.st_mode), ")"));
  }
  if (size) *size = static_cast<uint64_t>(st.st_size);
  return owned;
}

absl::StatusOr<size_t> ReadFully(int fd, char* buf, size_t size) {
  size_t total = 0;
  while (total < size) {
    ssize_t n = ::read(fd, buf + total, size - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("read failed: ", std::strerror(errno)));
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

absl::StatusOr<std::string> ReadFileToString(const std::filesystem::path& path) {
  absl::StatusOr<UniqueFd> fd = OpenForReading(path);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[1 << 16];
  while (true) {
    absl::StatusOr<size_t> n = ReadFully(fd->get(), buf, sizeof(buf));
    if (!n.ok())
      return absl::Status(n.status().code(),
                          absl::StrCat(path.string(), ": ", n.status().message()));
    out.append(buf, *n);
    if (*n < sizeof(buf)) break;
  }
  return out;
}

absl::Status WriteFully(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("write failed: ", std::strerror(errno)));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace deltascope
