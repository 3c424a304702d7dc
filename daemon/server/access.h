// What a daemon client may read: the snapshot folders and files under the roots the operator
// allowed (`deltascoped --allow-root`). A client names paths; the daemon never reads one that does
// not resolve, symlinks followed, under a root.
#ifndef DELTASCOPE_DAEMON_SERVER_ACCESS_H_
#define DELTASCOPE_DAEMON_SERVER_ACCESS_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace deltascope {

class AccessRoots {
 public:
  // No root: every path is refused.
  AccessRoots() = default;

  // Every path is allowed (the Unix socket's default: its clients are the daemon's own user).
  static AccessRoots Everything();

  // `roots` must be existing folders; each is resolved once, now. Errors name the root.
  static absl::StatusOr<AccessRoots> Create(const std::vector<std::string>& roots);

  // The resolved (canonical) form of `path`, which the daemon then reads instead of `path`;
  // PERMISSION_DENIED when it lies outside every root, said the same way whether or not it
  // exists, so a client learns nothing of the rest of the file system. `path` must be absolute.
  absl::StatusOr<std::filesystem::path> Resolve(const std::string& path) const;

  bool allows_everything() const { return everything_; }
  const std::vector<std::filesystem::path>& roots() const { return roots_; }

 private:
  bool everything_ = false;
  std::vector<std::filesystem::path> roots_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_ACCESS_H_
