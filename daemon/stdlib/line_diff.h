// Counting the lines added and removed between two sequences (of line hashes).
#ifndef DELTASCOPE_DAEMON_STDLIB_LINE_DIFF_H_
#define DELTASCOPE_DAEMON_STDLIB_LINE_DIFF_H_

#include <cstdint>
#include <span>

namespace deltascope {

struct LineDiffCounts {
  int64_t added = 0;
  int64_t removed = 0;
  // False when the edit script was too long for an exact answer within the work budget and
  // the counts come from a multiset difference (a lower bound).
  bool exact = true;
};

// `a` and `b` without their common prefix (`prefix` lines long) and common suffix.
struct TrimmedLines {
  std::span<const uint64_t> a;
  std::span<const uint64_t> b;
  size_t prefix = 0;
};
TrimmedLines TrimCommonLines(std::span<const uint64_t> a, std::span<const uint64_t> b);

// The size of a shortest edit script from `a` to `b` (Myers' O((N+M)D) algorithm after
// trimming the common prefix and suffix), split into insertions and deletions. The work is
// bounded by `max_work` cell visits; past it, a multiset difference is returned instead.
LineDiffCounts CountLineChanges(std::span<const uint64_t> a, std::span<const uint64_t> b,
                                uint64_t max_work = 400'000'000);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_LINE_DIFF_H_
