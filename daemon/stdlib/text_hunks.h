// The changed regions (hunks) between two texts, and a bounded excerpt of their lines for a
// node's details (docs/comparators.md, "Text").
#ifndef DELTASCOPE_DAEMON_STDLIB_TEXT_HUNKS_H_
#define DELTASCOPE_DAEMON_STDLIB_TEXT_HUNKS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace deltascope {

// Lines [old_start, old_start + old_count) of the old text became lines
// [new_start, new_start + new_count) of the new one (0-based; a count may be 0).
struct LineHunk {
  int64_t old_start = 0;
  int64_t old_count = 0;
  int64_t new_start = 0;
  int64_t new_count = 0;
};

struct LineHunks {
  std::vector<LineHunk> hunks;
  // False when the edit script was longer than `max_edits`: then one hunk spans everything
  // between the common prefix and suffix.
  bool exact = true;
};

// The hunks of a shortest edit script from `a` to `b` (line hashes), in order. Memory and time
// grow with max_edits squared, so it stays small.
LineHunks DiffHunks(std::span<const uint64_t> a, std::span<const uint64_t> b,
                    int64_t max_edits = 1000);

// Bounds of the excerpt kept in details.
struct ExcerptLimits {
  size_t max_hunks = 5;
  size_t max_lines = 40;        // removed plus added lines, over all hunks shown
  size_t max_line_bytes = 200;  // longer lines are cut (at a UTF-8 boundary) with a marker
  size_t max_bytes = 8 * 1024;  // all lines shown
};

// The lines an excerpt needs: for each hunk shown, how many of its removed and added lines.
struct ExcerptPlan {
  struct Part {
    LineHunk hunk;
    int64_t removed_shown = 0;
    int64_t added_shown = 0;
  };
  std::vector<Part> parts;
  bool cut = false;  // hunks or lines left out
};
ExcerptPlan PlanExcerpt(const std::vector<LineHunk>& hunks, const ExcerptLimits& limits);

// Line indices (sorted, 0-based) of the old (`old_side`) or new text that `plan` shows.
std::vector<int64_t> LinesNeeded(const ExcerptPlan& plan, bool old_side);

// `line` cut to at most `max_bytes` (never inside a UTF-8 sequence) followed by
// "… [N more bytes]", or `line` itself when short enough.
std::string CutLine(std::string_view line, size_t max_bytes);

// The "hunks" detail: a list of {old_start, old_lines, new_start, new_lines (1-based starts),
// removed: [...], added: [...]}. `old_lines`/`new_lines` hold the (already cut) text of
// LinesNeeded(plan, true/false), in order. Sets `cut` when the byte budget left lines out.
google::protobuf::Value HunksDetail(const ExcerptPlan& plan,
                                    const std::vector<std::string>& old_lines,
                                    const std::vector<std::string>& new_lines,
                                    const ExcerptLimits& limits, bool& cut);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_TEXT_HUNKS_H_
