// What a comparator may use while comparing: the run's options, a diagnostics sink and private
// scratch space. Shared by all threads of one diff run; every method is thread-safe.
#ifndef DELTASCOPE_DAEMON_ENGINE_COMPARE_CONTEXT_H_
#define DELTASCOPE_DAEMON_ENGINE_COMPARE_CONTEXT_H_

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/options.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::Diagnostic;
using changeset::v1::Severity;

class CompareContext {
 public:
  // `scratch_root` is a private directory that outlives the run's comparisons; the owner
  // removes it.
  CompareContext(const DiffOptions& options, std::filesystem::path scratch_root);

  const DiffOptions& options() const { return options_; }

  void AddDiagnostic(Severity severity, std::string code, std::string message, std::string path);
  // The diagnostics so far, sorted by (path, code, message).
  std::vector<Diagnostic> SortedDiagnostics() const;

  // Creates a fresh, empty directory under the scratch root (mode 0700).
  absl::StatusOr<std::filesystem::path> MakeScratchDir(const std::string& hint);

  // Set when the run should stop early (client went away, SIGINT); comparators may poll it.
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }

  // State a comparator shares across the pairs of this diff only (e.g. the archive budgets):
  // a `T` made on first use under `key`, dropped with the diff, never shared between diffs.
  template <typename T>
  std::shared_ptr<T> DiffState(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<void>& slot = state_[key];
    if (!slot) slot = std::make_shared<T>();
    return std::static_pointer_cast<T>(slot);
  }

  // Counters for progress reporting.
  std::atomic<uint64_t> items_compared{0};

 private:
  const DiffOptions& options_;
  std::filesystem::path scratch_root_;
  std::atomic<uint64_t> scratch_counter_{0};
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  std::vector<Diagnostic> diagnostics_;
  std::map<std::string, std::shared_ptr<void>> state_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_COMPARE_CONTEXT_H_
