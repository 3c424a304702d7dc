// An open folder whose entries are listed, stat'ed and opened relative to its descriptor
// (getdents64, fstatat, openat): the kernel resolves one name per entry instead of walking the
// full path from the root each time, which is what a tree of millions of files pays for.
#ifndef DELTASCOPE_DAEMON_UTIL_DIR_FD_H_
#define DELTASCOPE_DAEMON_UTIL_DIR_FD_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/util/fd.h"

namespace deltascope {

class DirFd {
 public:
  // Opens the folder at `path`. The final component is never followed (a link is an error);
  // errors name `path` and the reason ("cannot list PATH: Permission denied").
  static absl::StatusOr<DirFd> Open(const std::filesystem::path& path);
  // Opens entry `name` (one component, no '/') of `parent`; `path` is its full path, used in
  // errors only. Same guarantees as Open.
  static absl::StatusOr<DirFd> OpenAt(const DirFd& parent, std::string_view name,
                                      const std::filesystem::path& path);

  int get() const { return fd_.get(); }
  const std::filesystem::path& path() const { return path_; }

  // The folder's entries, without "." and "..", in the order the file system returns them,
  // with the type getdents64 reports (DT_REG, DT_DIR, ...; DT_UNKNOWN on file systems that do
  // not say). Errors name the folder.
  struct Entry {
    std::string name;
    unsigned char type = 0;
  };
  absl::StatusOr<std::vector<Entry>> ListEntries() const;
  // Their names only.
  absl::StatusOr<std::vector<std::string>> ListNames() const;

 private:
  DirFd(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}

  UniqueFd fd_;
  std::filesystem::path path_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_DIR_FD_H_
