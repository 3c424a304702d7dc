// Replacing a file atomically: the new contents go to a temporary file in the same folder,
// which is renamed over the target on Commit. Readers see the old file or the new one, never a
// half-written one; a writer that fails or is abandoned leaves no temporary behind.
#ifndef DELTASCOPE_DAEMON_UTIL_ATOMIC_FILE_H_
#define DELTASCOPE_DAEMON_UTIL_ATOMIC_FILE_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace deltascope {

class AtomicFile {
 public:
  // Creates a new temporary <target>.tmpPID-RANDOM (mode `mode`, less the umask).
  static absl::StatusOr<AtomicFile> Create(const std::filesystem::path& target, int mode = 0644);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  // Removes the temporary unless committed.
  ~AtomicFile();

  absl::Status Write(absl::string_view data);
  // Flushes, closes and renames the temporary over the target.
  absl::Status Commit();

 private:
  AtomicFile(std::filesystem::path target, std::filesystem::path temp, int fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(fd) {}
  void Abandon();
  std::filesystem::path target_, temp_;
  int fd_ = -1;
};

// Writes `data` to `target` atomically (AtomicFile).
absl::Status WriteFileAtomically(const std::filesystem::path& target, absl::string_view data,
                                 int mode = 0644);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_ATOMIC_FILE_H_
