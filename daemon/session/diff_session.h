// The core API: one diff, from snapshots to changesets and an exit status. Both front ends call
// this and nothing below it: the CLI once per run, the daemon once per request.
//
//   absl::StatusOr<std::shared_ptr<ComparatorSource>> comparators = OpenComparators(plugins);
//   absl::StatusOr<std::unique_ptr<DiffSession>> session =
//       DiffSession::Open({.comparators = *comparators, .jobs = 4});
//   absl::StatusOr<DiffOutcome> outcome = (*session)->Diff({{"a/", "a/"}, {"b/", "b/"}}, nullptr);
//   // outcome->changesets: one per consecutive pair; outcome->exit_status: 0, 1 or 2.
//
// Everything a diff needs while it runs (progress, bytes hashed, scratch folders, archive
// budgets) belongs to the session's Diff call, never to the process: concurrent sessions in one
// daemon do not see each other's counters.
#ifndef DELTASCOPE_DAEMON_SESSION_DIFF_SESSION_H_
#define DELTASCOPE_DAEMON_SESSION_DIFF_SESSION_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/options.h"
#include "daemon/session/comparator_source.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

// Exit statuses (diff(1) convention), for the CLI and the daemon's Done event alike.
inline constexpr int kExitNoChanges = 0;
inline constexpr int kExitChanges = 1;
inline constexpr int kExitTrouble = 2;

// 2 when any changeset has an error diagnostic, else 1 when any has changes, else 0.
int ExitStatusOf(const std::vector<Changeset>& changesets);

struct SessionOptions {
  std::shared_ptr<ComparatorSource> comparators;  // required (OpenComparators)
  std::vector<std::string> comparator_names;      // pipeline by name; empty: the default
  int jobs = 0;                                   // worker threads; 0: one per core
  bool detect_moves = true;
  std::vector<TableKey> table_keys;  // --key: win over the config's tables
  std::optional<Config> config;      // its tables and archive limits (not its moves setting)
  // Told when workers start and stop waiting on a plugin (the daemon lends the diff's slot).
  std::shared_ptr<ExternalWaitObserver> external_waits;
};

// One snapshot: the path read and the label the changesets name it by.
struct Snapshot {
  std::string path;
  std::string label;
};

struct DiffOutcome {
  std::vector<Changeset> changesets;  // one per consecutive pair of snapshots
  int exit_status = kExitNoChanges;   // ExitStatusOf(changesets)
};

// What a front end sees of a running diff. Every method has a default; all are called on the
// thread that called Diff.
class DiffObserver {
 public:
  virtual ~DiffObserver() = default;
  // Pair `index` (snapshot index → index + 1) starts; `progress` is live until PairEnded.
  virtual void PairStarted(size_t index, const DiffProgress& progress) {}
  // How often OnProgress is called while a pair runs; zero: never (the diff then runs on the
  // calling thread).
  virtual std::chrono::milliseconds ProgressInterval() const { return {}; }
  // False cancels the diff (Diff returns a Cancelled error).
  virtual bool OnProgress(size_t index, const DiffProgress& progress) { return true; }
  // The pair is over (its changeset follows, unless it failed).
  virtual void PairEnded(size_t index) {}
  // The pair's changeset. False stops the diff (Diff returns a Cancelled error).
  virtual bool OnChangeset(size_t index, const Changeset& changeset) { return true; }
};

class DiffSession {
 public:
  // Resolves the pipeline (an unknown comparator name is an InvalidArgument error listing the
  // known ones) and the engine options. The comparators stay alive for the session.
  static absl::StatusOr<std::unique_ptr<DiffSession>> Open(SessionOptions options);

  // Diffs each consecutive pair of `snapshots` (two or more). Fails only when a pair cannot be
  // diffed at all (a snapshot is missing) or the observer cancelled; problems with single items
  // are diagnostics in the changesets. `observer` may be null.
  absl::StatusOr<DiffOutcome> Diff(const std::vector<Snapshot>& snapshots, DiffObserver* observer);

 private:
  DiffSession(std::shared_ptr<const ComparatorRegistry> registry, Engine engine)
      : registry_(std::move(registry)), engine_(std::move(engine)) {}
  absl::StatusOr<Changeset> DiffPair(const Snapshot& from, const Snapshot& to, size_t index,
                                     DiffObserver& observer);

  std::shared_ptr<const ComparatorRegistry> registry_;  // keeps the plugin generation alive
  Engine engine_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SESSION_DIFF_SESSION_H_
