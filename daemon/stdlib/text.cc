// text: line-oriented UTF-8 text. Counts lines added and removed and keeps a bounded excerpt
// of the changed lines (hunks); whitespace-only edits are tagged clerical. Content that is not
// UTF-8 is skipped (left to the next comparator).
#include <xxhash.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/media_type.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/line_diff.h"
#include "daemon/stdlib/stdlib.h"
#include "daemon/stdlib/text_hunks.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

struct TextLines {
  std::vector<uint64_t> exact;       // hash of each line as written (without '\n')
  std::vector<uint64_t> normalized;  // hash of each non-blank line with whitespace collapsed
};

uint64_t HashNormalized(std::string_view line) {
  std::string folded;
  folded.reserve(line.size());
  bool pending_space = false;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = !folded.empty();
      continue;
    }
    if (pending_space) folded.push_back(' ');
    pending_space = false;
    folded.push_back(c);
  }
  return XXH3_64bits(folded.data(), folded.size());
}

// Calls `on_line` with each line of the file (without its '\n'), in order. Returns
// FailedPrecondition when the content is not UTF-8 text.
template <typename OnLine>
absl::Status ForEachLine(const Item& item, OnLine on_line) {
  absl::StatusOr<UniqueFd> fd = OpenForReading(item.physical());
  if (!fd.ok()) return fd.status();
  std::string buf(1 << 16, '\0');
  std::string carry;  // an unfinished line, or an unfinished UTF-8 sequence
  while (true) {
    absl::StatusOr<size_t> n = ReadFully(fd->get(), buf.data(), buf.size());
    if (!n.ok())
      return absl::Status(n.status().code(),
                          absl::StrCat(item.physical().string(), ": ", n.status().message()));
    bool eof = *n < buf.size();
    carry.append(buf.data(), *n);
    size_t start = 0;
    for (size_t nl; (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(carry.data() + start, nl - start);
      if (line.find('\0') != std::string_view::npos || !IsValidUtf8(line)) {
        return absl::FailedPreconditionError("not UTF-8 text");
      }
      on_line(line);
    }
    carry.erase(0, start);
    if (eof) break;
  }
  if (!carry.empty()) {
    if (carry.find('\0') != std::string::npos || !IsValidUtf8(carry)) {
      return absl::FailedPreconditionError("not UTF-8 text");
    }
    on_line(std::string_view(carry));
  }
  return absl::OkStatus();
}

absl::StatusOr<TextLines> ReadLines(const Item& item) {
  TextLines lines;
  absl::Status status = ForEachLine(item, [&](std::string_view line) {
    lines.exact.push_back(XXH3_64bits(line.data(), line.size()));
    bool blank = line.find_first_not_of(" \t\r\v\f") == std::string_view::npos;
    if (!blank) lines.normalized.push_back(HashNormalized(line));
  });
  if (!status.ok()) return status;
  return lines;
}

// The lines at `wanted` (sorted 0-based indices), each cut to the excerpt's line limit.
absl::StatusOr<std::vector<std::string>> ReadLinesAt(const Item& item,
                                                     const std::vector<int64_t>& wanted,
                                                     const ExcerptLimits& limits) {
  std::vector<std::string> out;
  if (wanted.empty()) return out;
  int64_t index = 0;
  size_t next = 0;
  absl::Status status = ForEachLine(item, [&](std::string_view line) {
    if (next < wanted.size() && wanted[next] == index) {
      out.push_back(CutLine(line, limits.max_line_bytes));
      ++next;
    }
    ++index;
  });
  if (!status.ok()) return status;
  return out;
}

// Adds the hunks and their bounded excerpt to a modified text's node. Returns the line counts.
absl::StatusOr<LineDiffCounts> AddHunks(const ItemPair& pair, const TextLines& left,
                                        const TextLines& right, DiffNode& node) {
  LineHunks diff = DiffHunks(left.exact, right.exact);
  LineDiffCounts counts;
  if (diff.exact) {
    for (const LineHunk& h : diff.hunks) counts.added += h.new_count, counts.removed += h.old_count;
  } else {
    counts = CountLineChanges(left.exact, right.exact);
    SetDetail(node, "hunks_approximate", true);
  }
  const ExcerptLimits limits;
  ExcerptPlan plan = PlanExcerpt(diff.hunks, limits);
  absl::StatusOr<std::vector<std::string>> old_lines =
      ReadLinesAt(*pair.left, LinesNeeded(plan, true), limits);
  if (!old_lines.ok()) return old_lines.status();
  absl::StatusOr<std::vector<std::string>> new_lines =
      ReadLinesAt(*pair.right, LinesNeeded(plan, false), limits);
  if (!new_lines.ok()) return new_lines.status();
  bool cut = plan.cut;
  for (const auto* lines : {&*old_lines, &*new_lines}) {
    for (const std::string& l : *lines) cut = cut || l.size() > limits.max_line_bytes;
  }
  SetDetail(node, "hunks", HunksDetail(plan, *old_lines, *new_lines, limits, cut));
  SetDetail(node, "hunk_count", static_cast<int64_t>(diff.hunks.size()));
  if (cut) SetDetail(node, "excerpt_cut", true);
  return counts;
}

class TextComparator : public Comparator {
 public:
  TextComparator() {
    descriptor_.name = "text";
    descriptor_.scope = Scope::kFiles;
    descriptor_.extensions = {".txt", ".md",   ".markdown", ".rst",  ".log", ".xml", ".html",
                              ".htm", ".yaml", ".yml",      ".toml", ".ini", ".cfg", ".conf",
                              ".tex", ".bib",  ".sql",      ".py",   ".r",   ".sh",  ".c",
                              ".h",   ".cc",   ".cpp",      ".js",   ".ts",  ".css", ".svg"};
    descriptor_.media_types = {"text/plain"};
  }
  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext&) override {
    TextLines left, right;
    for (auto [item, out] :
         {std::pair{pair.left.get(), &left}, std::pair{pair.right.get(), &right}}) {
      if (!item) continue;
      absl::StatusOr<TextLines> lines = ReadLines(*item);
      if (absl::IsFailedPrecondition(lines.status())) return CompareResult::Skip();
      if (!lines.ok()) return lines.status();
      *out = std::move(*lines);
    }
    if (pair.added() || pair.removed()) {
      bool added = pair.added();
      int64_t count = static_cast<int64_t>((added ? right : left).exact.size());
      DiffNode node = MakeNode(added ? "add" : "remove", "text", pair.path, descriptor_.name);
      node.set_summary(absl::StrCat(added ? "New file (" : "File removed (",
                                    Plural(count, "line", "lines"), ")"));
      AddTag(node, added ? "file-addition" : "file-removal");
      SetDetail(node, "line_count", count);
      return CompareResult::Leaf(std::move(node));
    }
    DiffNode node = MakeNode("modify", "text", pair.path, descriptor_.name);
    SetDetail(node, "line_count_before", static_cast<int64_t>(left.exact.size()));
    SetDetail(node, "line_count_after", static_cast<int64_t>(right.exact.size()));
    if (left.normalized == right.normalized) {
      node.set_summary("Whitespace changes only");
      AddTag(node, "whitespace-change");
      return CompareResult::Leaf(std::move(node));
    }
    absl::StatusOr<LineDiffCounts> counted = AddHunks(pair, left, right, node);
    if (absl::IsFailedPrecondition(counted.status())) return CompareResult::Skip();
    if (!counted.ok()) return counted.status();
    const LineDiffCounts& counts = *counted;
    node.set_summary(absl::StrCat(Plural(counts.added, "line", "lines"), " added, ", counts.removed,
                                  " removed"));
    AddTag(node, "content-changed");
    SetDetail(node, "lines_added", counts.added);
    SetDetail(node, "lines_removed", counts.removed);
    if (!counts.exact) SetDetail(node, "line_counts_approximate", true);
    return CompareResult::Leaf(std::move(node));
  }

 private:
  ComparatorDescriptor descriptor_;
};

}  // namespace

std::shared_ptr<Comparator> MakeTextComparator() { return std::make_shared<TextComparator>(); }

}  // namespace deltascope
