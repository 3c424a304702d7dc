// text: line-oriented UTF-8 text. Counts lines added and removed; whitespace-only edits are
// tagged clerical. Content that is not UTF-8 is skipped (left to the next comparator).
#include <xxhash.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/media_type.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/line_diff.h"
#include "daemon/stdlib/stdlib.h"
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

// Streams a file into line hashes. Returns nullopt-like NotFound... no: returns
// FailedPrecondition when the content is not UTF-8 text.
absl::StatusOr<TextLines> ReadLines(const Item& item) {
  absl::StatusOr<UniqueFd> fd = OpenForReading(item.physical());
  if (!fd.ok()) return fd.status();
  TextLines lines;
  std::string buf(1 << 16, '\0');
  std::string carry;  // an unfinished line, or an unfinished UTF-8 sequence
  auto add_line = [&](std::string_view line) {
    lines.exact.push_back(XXH3_64bits(line.data(), line.size()));
    bool blank = line.find_first_not_of(" \t\r\v\f") == std::string_view::npos;
    if (!blank) lines.normalized.push_back(HashNormalized(line));
  };
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
      add_line(line);
    }
    carry.erase(0, start);
    if (eof) break;
  }
  if (!carry.empty()) {
    if (carry.find('\0') != std::string::npos || !IsValidUtf8(carry)) {
      return absl::FailedPreconditionError("not UTF-8 text");
    }
    add_line(carry);
  }
  return lines;
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
    LineDiffCounts counts = CountLineChanges(left.exact, right.exact);
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
