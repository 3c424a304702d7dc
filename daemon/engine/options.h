// Settings of one diff run, gathered from the command line and the config file.
#ifndef DELTASCOPE_DAEMON_ENGINE_OPTIONS_H_
#define DELTASCOPE_DAEMON_ENGINE_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deltascope {

// Key columns for tables whose logical path matches `path_regex` (a full match).
struct TableKey {
  std::string path_regex;
  std::vector<std::string> columns;
};

// Safety caps for archive extraction (zip bombs, deep nesting).
struct ArchiveLimits {
  uint64_t max_total_bytes = 8ull << 30;     // decompressed bytes per archive
  uint64_t max_ratio = 1000;                 // decompressed / compressed, per member
  uint64_t ratio_floor_bytes = 16ull << 20;  // the ratio cap applies past this many bytes
  int max_depth = 8;                         // archives inside archives
  uint64_t max_members = 1'000'000;
};

// Told, from any worker thread, when a worker starts and stops waiting on something outside the
// process (a plugin call, including the wait for a free plugin instance): a server gives the
// run's concurrency slot to others meanwhile. Every WaitBegins is followed by one WaitEnds.
class ExternalWaitObserver {
 public:
  virtual ~ExternalWaitObserver() = default;
  virtual void WaitBegins() = 0;
  virtual void WaitEnds() = 0;
};

struct DiffOptions {
  // Worker threads; 0 means one per core.
  int jobs = 0;
  // Comparator pipeline by name, in priority order; empty means the default pipeline.
  std::vector<std::string> comparators;
  std::vector<TableKey> table_keys;
  ArchiveLimits archive_limits;
  // Detect moves and copies (add + remove with equal content).
  bool detect_moves = true;
  // Bounded example count in details (rows, cells).
  int max_examples = 8;
  // Optional; see ExternalWaitObserver.
  std::shared_ptr<ExternalWaitObserver> external_waits;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_OPTIONS_H_
