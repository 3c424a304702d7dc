// A progress line on standard error while a diff runs, only when standard error is a terminal:
// items compared, bytes read (all reads, not only hashing) of the snapshots' total, and the rate.
#ifndef DELTASCOPE_CLI_PROGRESS_H_
#define DELTASCOPE_CLI_PROGRESS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "daemon/engine/engine.h"

namespace deltascope::cli {

class ProgressLine {
 public:
  // Starts reporting `progress` of the diff of `from` and `to` when `enabled` and standard error
  // is a terminal. The snapshots' total size is measured alongside, off the diff's path.
  ProgressLine(const DiffProgress& progress, bool enabled, std::filesystem::path from,
               std::filesystem::path to);
  // Stops and erases the line.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Loop();
  const DiffProgress& progress_;
  const std::filesystem::path from_, to_;
  std::atomic<bool> stop_measuring_{false};
  std::atomic<uint64_t> total_bytes_{0};  // 0 until measured
  std::thread measure_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_PROGRESS_H_
