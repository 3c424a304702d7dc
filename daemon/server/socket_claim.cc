#include "daemon/server/socket_claim.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace deltascope {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

// True when something accepts connections on the socket at `path`.
bool Answers(const std::filesystem::path& path) {
  sockaddr_un addr{};
  if (path.native().size() >= sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

// The pid the lock holder wrote into the lock file ("" when unreadable).
std::string HolderPid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  int pid = 0;
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(std::string(buf, n)), &pid) && pid > 0
             ? absl::StrCat(" (pid ", pid, ")")
             : "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<SocketClaim>> SocketClaim::Acquire(
    const std::filesystem::path& socket) {
  std::error_code ec;
  std::filesystem::create_directories(socket.parent_path(), ec);
  const std::filesystem::path lock_path = socket.string() + ".lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock.valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the lock file ", lock_path.string(), ": ", ErrnoText()));
  }
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot lock ", lock_path.string(), ": ", ErrnoText()));
    }
    return absl::AlreadyExistsError(absl::StrCat("another deltascoped", HolderPid(lock.get()),
                                                 " is serving ", socket.string()));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(lock.get(), 0) != 0 || ::pwrite(lock.get(), pid.data(), pid.size(), 0) < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", lock_path.string(), ": ", ErrnoText()));
  }
  struct stat st;
  if (::lstat(socket.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(socket.string(),
                       " exists and is not a socket; not replacing it (choose another --listen)"));
    }
    // A daemon of a version without the lock file may still be serving it.
    if (Answers(socket)) {
      return absl::AlreadyExistsError(absl::StrCat("another daemon answers on ", socket.string()));
    }
    if (::unlink(socket.c_str()) != 0 && errno != ENOENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot remove the stale socket ", socket.string(), ": ", ErrnoText()));
    }
  } else if (errno != ENOENT) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat ", socket.string(), ": ", ErrnoText()));
  }
  return std::unique_ptr<SocketClaim>(new SocketClaim(socket, std::move(lock)));
}

absl::Status SocketClaim::Bound() {
  struct stat st;
  if (::lstat(socket_.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the server did not create the socket ", socket_.string()));
  }
  bound_ = true;
  device_ = st.st_dev;
  inode_ = st.st_ino;
  return absl::OkStatus();
}

SocketClaim::~SocketClaim() {
  struct stat st;
  if (bound_ && ::lstat(socket_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
      st.st_dev == device_ && st.st_ino == inode_) {
    ::unlink(socket_.c_str());
  }
}

}  // namespace deltascope
