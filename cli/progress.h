// A progress line on standard error while a diff runs, only when standard error is a terminal.
#ifndef DELTASCOPE_CLI_PROGRESS_H_
#define DELTASCOPE_CLI_PROGRESS_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/engine/engine.h"

namespace deltascope::cli {

class ProgressLine {
 public:
  // Starts reporting `progress` when `enabled` and standard error is a terminal.
  ProgressLine(const DiffProgress& progress, bool enabled);
  // Stops and erases the line.
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Loop();
  const DiffProgress& progress_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_PROGRESS_H_
