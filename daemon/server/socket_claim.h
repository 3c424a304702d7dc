// The daemon's claim on its Unix socket path, held for the daemon's lifetime. A lock file beside
// the socket (SOCKET.lock, flock) makes a second daemon on the same path fail at start instead of
// taking the socket over, and only a socket this daemon bound is ever removed: never a regular
// file, never another daemon's socket.
#ifndef DELTASCOPE_DAEMON_SERVER_SOCKET_CLAIM_H_
#define DELTASCOPE_DAEMON_SERVER_SOCKET_CLAIM_H_

#include <sys/types.h>

#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "daemon/util/fd.h"

namespace deltascope {

class SocketClaim {
 public:
  // Takes the lock, then clears a stale socket left by a daemon that died. Fails (one line naming
  // the path) when another daemon holds the lock or still answers on the socket, or when the path
  // is something other than a socket.
  static absl::StatusOr<std::unique_ptr<SocketClaim>> Acquire(const std::filesystem::path& socket);

  // Call once the server has bound the socket: remembers which file it is.
  absl::Status Bound();

  // Removes the socket if it is still the one this daemon bound; releases the lock.
  ~SocketClaim();
  SocketClaim(const SocketClaim&) = delete;
  SocketClaim& operator=(const SocketClaim&) = delete;

 private:
  SocketClaim(std::filesystem::path socket, UniqueFd lock)
      : socket_(std::move(socket)), lock_(std::move(lock)) {}

  std::filesystem::path socket_;
  UniqueFd lock_;
  bool bound_ = false;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_SOCKET_CLAIM_H_
