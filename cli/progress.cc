#include "cli/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "daemon/engine/node_util.h"

namespace deltascope::cli {

ProgressLine::ProgressLine(const DiffProgress& progress, bool enabled) : progress_(progress) {
  if (enabled && ::isatty(STDERR_FILENO)) thread_ = std::thread([this] { Loop(); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

void ProgressLine::Loop() {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t hashed_at_start = Item::BytesHashed();
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stop_; })) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t hashed = Item::BytesHashed() - hashed_at_start;
    uint64_t rate = seconds > 0 ? static_cast<uint64_t>(static_cast<double>(hashed) / seconds) : 0;
    std::fprintf(
        stderr, "\r\033[K%s",
        absl::StrFormat("compared %d items, hashed %s (%s/s)", progress_.items_compared.load(),
                        HumanSize(hashed), HumanSize(rate))
            .c_str());
    std::fflush(stderr);
  }
}

}  // namespace deltascope::cli
