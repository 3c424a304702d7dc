// A private temporary directory (mode 0700), removed with its contents on destruction. While it
// lives, its owner holds a lock on it (flock), so that a later run can tell the folders of dead
// owners (a killed host) and remove them (RemoveStale).
#ifndef DELTASCOPE_DAEMON_UTIL_TEMP_DIR_H_
#define DELTASCOPE_DAEMON_UTIL_TEMP_DIR_H_

#include <filesystem>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace deltascope {

class TempDir {
 public:
  // Creates <base>/<prefix>XXXXXX, locked; `base` defaults to $TMPDIR (or /tmp when unset).
  static absl::StatusOr<TempDir> Create(const std::string& prefix,
                                        const std::filesystem::path& base = {});
  // Takes ownership of an existing directory (e.g. a scratch directory): removed likewise.
  static TempDir Adopt(std::filesystem::path path) { return TempDir(std::move(path)); }
  // Removes the folders <base>/<prefix>* of this user that no live owner locks and that are
  // over a minute old (younger ones may be between creation and locking). Returns how many.
  static int RemoveStale(const std::string& prefix, const std::filesystem::path& base = {});
  // Removes the folders of every TempDir made by Create that is still alive: for a process that
  // is about to exit on a signal (their owners' destructors will not run).
  static void RemoveAllLive();
  // $TMPDIR, or /tmp when unset.
  static std::filesystem::path DefaultBase();

  TempDir(TempDir&& other) noexcept
      : path_(std::move(other.path_)), lock_(std::exchange(other.lock_, -1)) {
    other.path_.clear();
  }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path, int lock = -1)
      : path_(std::move(path)), lock_(lock) {}
  void Remove();
  std::filesystem::path path_;
  int lock_ = -1;  // an open descriptor of the folder, flock'ed while we own it
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_TEMP_DIR_H_
