// RAII file descriptors and small I/O helpers that report errors as absl::Status.
#ifndef DELTASCOPE_DAEMON_UTIL_FD_H_
#define DELTASCOPE_DAEMON_UTIL_FD_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace deltascope {

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Opens a regular file read-only (O_CLOEXEC, O_NOFOLLOW). The error names the path and reason.
// A path of PATH_MAX bytes or more is resolved one folder at a time: any depth is reachable.
absl::StatusOr<UniqueFd> OpenForReading(const std::filesystem::path& path);
// The same for entry `name` of the folder open as `dir_fd` (openat; AT_FDCWD for a path);
// `path` names the file in errors. When `size` is given it receives the file's size (fstat).
// The descriptor keeps O_NONBLOCK (no effect on a regular file's reads): for reading it here.
absl::StatusOr<UniqueFd> OpenForReadingAt(int dir_fd, const char* name,
                                          const std::filesystem::path& path,
                                          uint64_t* size = nullptr);

// Reads until `size` bytes or end of file; returns the count read.
absl::StatusOr<size_t> ReadFully(int fd, char* buf, size_t size);

// Reads a whole (small) file into a string.
absl::StatusOr<std::string> ReadFileToString(const std::filesystem::path& path);

// Writes all of `data`, retrying on EINTR and short writes.
absl::Status WriteFully(int fd, std::string_view data);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_FD_H_
