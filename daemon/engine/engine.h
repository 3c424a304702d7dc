// The engine: pairs the items of two snapshots by logical path, offers each pair to the
// comparator pipeline, recurses into containers in parallel and assembles the changeset.
#ifndef DELTASCOPE_DAEMON_ENGINE_ENGINE_H_
#define DELTASCOPE_DAEMON_ENGINE_ENGINE_H_

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/comparator.h"
#include "daemon/engine/options.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::Changeset;

// Live counters of a running diff, readable from another thread, and a way to stop it.
struct DiffProgress {
  std::atomic<uint64_t> items_compared{0};
  std::atomic<uint64_t> bytes_hashed{0};  // content hashed to find identical files
  // Set from any thread to abandon the diff: Engine::Diff then returns a Cancelled error.
  std::atomic<bool> cancel{false};
};

class Engine {
 public:
  Engine(std::vector<std::shared_ptr<Comparator>> pipeline, DiffOptions options);

  // Diffs snapshot `from` against snapshot `to` (folders, or single files such as archives).
  // `from_label`/`to_label` name them in the changeset. Fails only when the run cannot go on
  // (a snapshot is missing); problems with single items become diagnostics.
  absl::StatusOr<Changeset> Diff(const std::filesystem::path& from, const std::filesystem::path& to,
                                 const std::string& from_label, const std::string& to_label,
                                 DiffProgress* progress = nullptr);

  const DiffOptions& options() const { return options_; }

 private:
  std::vector<std::shared_ptr<Comparator>> pipeline_;
  DiffOptions options_;
};

// Default worker count: one per core.
int DefaultJobs();

// Removes the scratch folders that diffs of dead processes left in $TMPDIR (unlocked, over a
// minute old; TempDir::RemoveStale). Each diff's own scratch folder is made and removed by its
// Engine::Diff call; this sweep is the session's to run (DiffSession::Open), not a hidden
// once-per-process step of Diff, so a long-lived daemon keeps sweeping.
int RemoveStaleScratch();

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_ENGINE_H_
