#include "daemon/stdlib/text_hunks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/line_diff.h"

namespace deltascope {
namespace {

// Marks, for each line of `a` and `b`, whether a shortest edit script deletes or inserts it
// (Myers, keeping each step's frontier to walk back). False when it needs more than max_d edits.
bool MarkEdits(std::span<const uint64_t> a, std::span<const uint64_t> b, int64_t max_d,
               std::vector<bool>& deleted, std::vector<bool>& inserted) {
  const int64_t n = static_cast<int64_t>(a.size());
  const int64_t m = static_cast<int64_t>(b.size());
  deleted.assign(a.size(), false);
  inserted.assign(b.size(), false);
  const int64_t limit = std::min(max_d, n + m);
  const int64_t offset = limit + 1;
  std::vector<int64_t> v(static_cast<size_t>(2 * limit + 3), 0);
  std::vector<std::vector<int64_t>> trace;  // trace[d][k + d]: v before step d
  int64_t found = -1;
  for (int64_t d = 0; d <= limit && found < 0; ++d) {
    trace.emplace_back(v.begin() + (offset - d), v.begin() + (offset + d + 1));
    for (int64_t k = -d; k <= d; k += 2) {
      int64_t x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
                      ? v[offset + k + 1]
                      : v[offset + k - 1] + 1;
      int64_t y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return false;
  int64_t x = n, y = m;
  for (int64_t d = found; d > 0; --d) {
    const std::vector<int64_t>& prev = trace[d];  // indices k + d, k in [-d, d]
    auto at = [&](int64_t k) { return prev[k + d]; };
    const int64_t k = x - y;
    const int64_t prev_k = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    const int64_t prev_x = at(prev_k);
    const int64_t prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) --x, --y;
    if (x == prev_x) {
      inserted[prev_y] = true;
    } else {
      deleted[prev_x] = true;
    }
    x = prev_x;
    y = prev_y;
  }
  return true;
}

}  // namespace

LineHunks DiffHunks(std::span<const uint64_t> a_in, std::span<const uint64_t> b_in,
                    int64_t max_edits) {
  const auto [a, b, prefix] = TrimCommonLines(a_in, b_in);
  const int64_t base = static_cast<int64_t>(prefix);
  LineHunks out;
  if (a.empty() && b.empty()) return out;
  std::vector<bool> deleted, inserted;
  if (!MarkEdits(a, b, max_edits, deleted, inserted)) {
    out.exact = false;
    out.hunks.push_back(
        {base, static_cast<int64_t>(a.size()), base, static_cast<int64_t>(b.size())});
    return out;
  }
  const size_t n = a.size(), m = b.size();
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if ((i < n && deleted[i]) || (j < m && inserted[j])) {
      LineHunk h{base + static_cast<int64_t>(i), 0, base + static_cast<int64_t>(j), 0};
      bool moved = true;
      while (moved) {
        moved = false;
        for (; i < n && deleted[i]; ++i, moved = true) ++h.old_count;
        for (; j < m && inserted[j]; ++j, moved = true) ++h.new_count;
      }
      out.hunks.push_back(h);
    } else {
      ++i, ++j;  // an unchanged line on both sides
    }
  }
  return out;
}

ExcerptPlan PlanExcerpt(const std::vector<LineHunk>& hunks, const ExcerptLimits& limits) {
  ExcerptPlan plan;
  int64_t budget = static_cast<int64_t>(limits.max_lines);
  for (const LineHunk& h : hunks) {
    if (plan.parts.size() >= limits.max_hunks || budget <= 0) {
      plan.cut = true;
      break;
    }
    ExcerptPlan::Part part{h};
    // Removed lines may take half the budget left, more when few lines were added: a long
    // replacement shows both its old and its new start.
    part.removed_shown = std::min(h.old_count, std::max(budget / 2, budget - h.new_count));
    budget -= part.removed_shown;
    part.added_shown = std::min(h.new_count, budget);
    budget -= part.added_shown;
    if (part.removed_shown < h.old_count || part.added_shown < h.new_count) plan.cut = true;
    plan.parts.push_back(part);
  }
  return plan;
}

std::vector<int64_t> LinesNeeded(const ExcerptPlan& plan, bool old_side) {
  std::vector<int64_t> lines;
  for (const ExcerptPlan::Part& p : plan.parts) {
    const int64_t start = old_side ? p.hunk.old_start : p.hunk.new_start;
    const int64_t count = old_side ? p.removed_shown : p.added_shown;
    for (int64_t i = 0; i < count; ++i) lines.push_back(start + i);
  }
  return lines;  // hunks are in order and disjoint, so already sorted
}

std::string CutLine(std::string_view line, size_t max_bytes) {
  if (line.size() <= max_bytes) return std::string(line);
  size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is never split.
  while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(absl::string_view(line.data(), end), "… [", line.size() - end,
                      " more bytes]");
}

google::protobuf::Value HunksDetail(const ExcerptPlan& plan,
                                    const std::vector<std::string>& old_lines,
                                    const std::vector<std::string>& new_lines,
                                    const ExcerptLimits& limits, bool& cut) {
  size_t bytes = 0, next_old = 0, next_new = 0;
  std::vector<google::protobuf::Value> hunks;
  auto take = [&](const std::vector<std::string>& from, size_t& next, int64_t count) {
    std::vector<google::protobuf::Value> lines;
    for (int64_t i = 0; i < count && next < from.size(); ++i, ++next) {
      if (bytes + from[next].size() > limits.max_bytes) {
        cut = true;
        continue;  // still consume it, so the next hunk's lines line up
      }
      bytes += from[next].size();
      lines.push_back(StringValue(from[next]));
    }
    return ListValue(std::move(lines));
  };
  for (const ExcerptPlan::Part& p : plan.parts) {
    google::protobuf::Value hunk;
    auto& f = *hunk.mutable_struct_value()->mutable_fields();
    f["old_start"] = NumberValue(static_cast<double>(p.hunk.old_start + 1));
    f["old_lines"] = NumberValue(static_cast<double>(p.hunk.old_count));
    f["new_start"] = NumberValue(static_cast<double>(p.hunk.new_start + 1));
    f["new_lines"] = NumberValue(static_cast<double>(p.hunk.new_count));
    f["removed"] = take(old_lines, next_old, p.removed_shown);
    f["added"] = take(new_lines, next_new, p.added_shown);
    hunks.push_back(std::move(hunk));
  }
  return ListValue(std::move(hunks));
}

}  // namespace deltascope
