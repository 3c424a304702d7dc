#include "daemon/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"

namespace deltascope {
namespace {

absl::Status Errno(absl::string_view what, const std::filesystem::path& path) {
  return absl::InternalError(absl::StrCat(what, " ", path.string(), ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<AtomicFile> AtomicFile::Create(const std::filesystem::path& target, int mode) {
  // O_EXCL on a random name rather than mkstemp, so that `mode` goes through the umask.
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::filesystem::path temp = absl::StrCat(target.string(), ".tmp", ::getpid(), "-", random());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return AtomicFile(target, std::move(temp), fd);
    if (errno != EEXIST) return Errno("cannot create a temporary next to", target);
  }
  return absl::InternalError(absl::StrCat("no free temporary name next to ", target.string()));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      fd_(std::exchange(other.fd_, -1)) {
  other.temp_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    target_ = std::move(other.target_);
    temp_ = std::move(other.temp_);
    fd_ = std::exchange(other.fd_, -1);
    other.temp_.clear();
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

absl::Status AtomicFile::Write(absl::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError("write after commit");
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", temp_);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status AtomicFile::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError("commit twice");
  // fsync first: after a crash the target is the old file or the whole new one.
  if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
    return Errno("cannot write", temp_);
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) return Errno("cannot replace", target_);
  temp_.clear();
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::filesystem::path& target, absl::string_view data,
                                 int mode) {
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(target, mode);
  if (!file.ok()) return file.status();
  if (absl::Status s = file->Write(data); !s.ok()) return s;
  return file->Commit();
}

}  // namespace deltascope
