// Streamed content written to private temporary files, so that CompareStream hands authors the
// same readable paths as Compare without ever holding a whole file in memory.
#ifndef DELTASCOPE_PLUGIN_SDK_SRC_SPOOL_H_
#define DELTASCOPE_PLUGIN_SDK_SRC_SPOOL_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace deltascope::plugin::internal {

// A mode-0700 directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class SpoolDir {
 public:
  static absl::StatusOr<SpoolDir> Create();
  SpoolDir(SpoolDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  SpoolDir& operator=(SpoolDir&&) = delete;
  SpoolDir(const SpoolDir&) = delete;
  ~SpoolDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit SpoolDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// One file being written chunk by chunk; closed on destruction.
class SpoolFile {
 public:
  // Creates `path` (exclusive, mode 0600).
  static absl::StatusOr<SpoolFile> Create(const std::filesystem::path& path);
  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  ~SpoolFile();

  absl::Status Append(std::string_view data);
  absl::Status Close();
  uint64_t bytes() const { return bytes_; }

 private:
  SpoolFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
  uint64_t bytes_ = 0;
};

}  // namespace deltascope::plugin::internal

#endif  // DELTASCOPE_PLUGIN_SDK_SRC_SPOOL_H_
