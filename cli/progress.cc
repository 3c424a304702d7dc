#include "cli/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/engine/node_util.h"
#include "daemon/util/io_stats.h"

namespace deltascope::cli {

ProgressLine::ProgressLine(const DiffProgress& progress, bool enabled, std::filesystem::path from,
                           std::filesystem::path to)
    : progress_(progress), from_(std::move(from)), to_(std::move(to)) {
  if (!enabled || !::isatty(STDERR_FILENO)) return;
  measure_ = std::thread([this] {
    const uint64_t total = TreeBytes(from_, stop_measuring_) + TreeBytes(to_, stop_measuring_);
    if (!stop_measuring_) total_bytes_ = total;
  });
  thread_ = std::thread([this] { Loop(); });
}

ProgressLine::~ProgressLine() {
  stop_measuring_ = true;
  if (measure_.joinable()) measure_.join();
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
  const uint64_t read_at_start = ProcessBytesRead();
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stop_; })) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const uint64_t read = ProcessBytesRead() - read_at_start;
    const uint64_t rate =
        seconds > 0 ? static_cast<uint64_t>(static_cast<double>(read) / seconds) : 0;
    // Archives are read once as files and again as members: "of" is the snapshots' size.
    const uint64_t total = total_bytes_.load();
    const std::string of = total > 0 ? absl::StrCat(" of ", HumanSize(total)) : "";
    std::fprintf(
        stderr, "\r\033[K%s",
        absl::StrFormat("compared %d items, read %s%s (%s/s)", progress_.items_compared.load(),
                        HumanSize(read), of, HumanSize(rate))
            .c_str());
    std::fflush(stderr);
  }
}

}  // namespace deltascope::cli
