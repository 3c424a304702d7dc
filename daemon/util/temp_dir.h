// A private temporary directory (mode 0700), removed with its contents on destruction.
#ifndef DELTASCOPE_DAEMON_UTIL_TEMP_DIR_H_
#define DELTASCOPE_DAEMON_UTIL_TEMP_DIR_H_

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace deltascope {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>XXXXXX (or /tmp when TMPDIR is unset).
  static absl::StatusOr<TempDir> Create(const std::string& prefix);
  // Takes ownership of an existing directory (e.g. a scratch directory): removed likewise.
  static TempDir Adopt(std::filesystem::path path) { return TempDir(std::move(path)); }

  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void Remove();
  std::filesystem::path path_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_TEMP_DIR_H_
