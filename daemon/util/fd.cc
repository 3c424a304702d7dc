#include "daemon/util/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace deltascope {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

absl::StatusOr<UniqueFd> OpenForReading(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    std::string message = absl::StrCat(path.string(), ": ", std::strerror(err));
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  return UniqueFd(fd);
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
