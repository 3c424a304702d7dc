#include "daemon/stdlib/line_diff.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace deltascope {
namespace {

LineDiffCounts MultisetDifference(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  std::unordered_map<uint64_t, int64_t> balance;
  for (uint64_t h : a) ++balance[h];
  for (uint64_t h : b) --balance[h];
  LineDiffCounts counts;
  counts.exact = false;
  for (const auto& [hash, n] : balance) {
    if (n > 0) counts.removed += n;
    if (n < 0) counts.added += -n;
  }
  return counts;
}

}  // namespace

TrimmedLines TrimCommonLines(std::span<const uint64_t> a, std::span<const uint64_t> b) {
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  a = a.subspan(prefix);
  b = b.subspan(prefix);
  size_t suffix = 0;
  while (suffix < a.size() && suffix < b.size() &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  return {a.first(a.size() - suffix), b.first(b.size() - suffix), prefix};
}

LineDiffCounts CountLineChanges(std::span<const uint64_t> a_in, std::span<const uint64_t> b_in,
                                uint64_t max_work) {
  const auto [a, b, prefix] = TrimCommonLines(a_in, b_in);
  const int64_t n = static_cast<int64_t>(a.size());
  const int64_t m = static_cast<int64_t>(b.size());
  if (n == 0 || m == 0) return {m, n, true};

  // Myers: v[k] is the furthest x reached on diagonal k = x - y with d edits.
  const int64_t max_d = n + m;
  const int64_t offset = max_d + 1;
  std::vector<int64_t> v(static_cast<size_t>(2 * max_d + 3), 0);
  uint64_t work = 0;
  for (int64_t d = 0; d <= max_d; ++d) {
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x;
      if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) {
        x = v[offset + k + 1];
      } else {
        x = v[offset + k - 1] + 1;
      }
      int64_t y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        // d = insertions + deletions and n - m = deletions - insertions.
        int64_t deletions = (d + n - m) / 2;
        return {d - deletions, deletions, true};
      }
    }
    work += static_cast<uint64_t>(2 * d + 1) + static_cast<uint64_t>(n + m) / 64;
    if (work > max_work) break;
  }
  return MultisetDifference(a, b);
}

}  // namespace deltascope
