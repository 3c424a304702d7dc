#include "daemon/session/diff_session.h"

#include <future>

namespace deltascope {

int ExitStatusOf(const std::vector<Changeset>& changesets) {
  int status = kExitNoChanges;
  for (const Changeset& cs : changesets) {
    for (const auto& d : cs.diagnostics()) {
      if (d.severity() == changeset::v1::SEVERITY_ERROR) return kExitTrouble;
    }
    if (cs.has_root()) status = kExitChanges;
  }
  return status;
}

absl::StatusOr<std::unique_ptr<DiffSession>> DiffSession::Open(SessionOptions options) {
  if (!options.comparators) return absl::InvalidArgumentError("a session needs comparators");
  RemoveStaleScratch();  // what diffs of killed processes left behind
  std::shared_ptr<const ComparatorRegistry> registry = options.comparators->Current();
  absl::StatusOr<std::vector<std::shared_ptr<Comparator>>> pipeline =
      registry->Pipeline(options.comparator_names);
  if (!pipeline.ok()) return pipeline.status();
  DiffOptions diff;
  diff.table_keys = std::move(options.table_keys);  // first: a matching --key wins
  if (options.config) options.config->ApplyTo(diff);
  diff.jobs = options.jobs;
  diff.detect_moves = options.detect_moves;
  diff.external_waits = std::move(options.external_waits);
  return std::unique_ptr<DiffSession>(
      new DiffSession(std::move(registry), Engine(*std::move(pipeline), std::move(diff))));
}

absl::StatusOr<Changeset> DiffSession::DiffPair(const Snapshot& from, const Snapshot& to,
                                                size_t index, DiffObserver& observer) {
  DiffProgress progress;
  observer.PairStarted(index, progress);
  struct Ended {
    DiffObserver& observer;
    size_t index;
    ~Ended() { observer.PairEnded(index); }
  } ended{observer, index};
  const std::chrono::milliseconds interval = observer.ProgressInterval();
  if (interval.count() <= 0) {
    return engine_.Diff(from.path, to.path, from.label, to.label, &progress);
  }
  std::future<absl::StatusOr<Changeset>> result = std::async(std::launch::async, [&] {
    return engine_.Diff(from.path, to.path, from.label, to.label, &progress);
  });
  while (result.wait_for(interval) != std::future_status::ready) {
    if (!progress.cancel.load() && !observer.OnProgress(index, progress)) progress.cancel = true;
  }
  return result.get();
}

absl::StatusOr<DiffOutcome> DiffSession::Diff(const std::vector<Snapshot>& snapshots,
                                              DiffObserver* observer) {
  if (snapshots.size() < 2) {
    return absl::InvalidArgumentError("a diff needs at least two snapshots");
  }
  DiffObserver quiet;
  DiffObserver& watcher = observer ? *observer : quiet;
  DiffOutcome outcome;
  for (size_t i = 0; i + 1 < snapshots.size(); ++i) {
    absl::StatusOr<Changeset> cs = DiffPair(snapshots[i], snapshots[i + 1], i, watcher);
    if (!cs.ok()) return cs.status();
    if (!watcher.OnChangeset(i, *cs)) return absl::CancelledError("the observer stopped the diff");
    outcome.changesets.push_back(*std::move(cs));
  }
  outcome.exit_status = ExitStatusOf(outcome.changesets);
  return outcome;
}

}  // namespace deltascope
