#include "daemon/render/markdown_details.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/contents.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/text_hunks.h"
#include "daemon/util/untrusted_text.h"

namespace deltascope {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

size_t LongestBacktickRun(absl::string_view text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

const Value* Field(const Struct& s, const char* key) {
  auto it = s.fields().find(key);
  return it == s.fields().end() ? nullptr : &it->second;
}

int64_t Number(const Struct& s, const char* key) {
  const Value* v = Field(s, key);
  if (!v || !v->has_number_value()) return 0;
  double d = v->number_value();
  return d >= 0 && d < 1e15 ? static_cast<int64_t>(d) : 0;
}

// Up to `budget` strings of a list detail (others ignored), each cut to the line limit.
std::vector<std::string> Lines(const Struct& s, const char* key, size_t& budget,
                               const ExcerptLimits& limits) {
  std::vector<std::string> out;
  const Value* v = Field(s, key);
  if (!v || !v->has_list_value()) return out;
  for (const Value& line : v->list_value().values()) {
    if (budget == 0) break;
    if (!line.has_string_value()) continue;
    out.push_back(CutLine(line.string_value(), limits.max_line_bytes + 64));
    --budget;
  }
  return out;
}

struct Hunk {
  int64_t old_start, old_lines, new_start, new_lines;
  std::vector<std::string> removed, added;
};

}  // namespace

std::string MarkdownCodeSpan(absl::string_view text) {
  if (text.empty()) return "(empty)";
  std::string escaped = EscapeForTerminal(text);
  std::string delim(LongestBacktickRun(escaped) + 1, '`');
  // A space pads content that starts or ends with a backtick (or starts and ends with a
  // space); CommonMark strips exactly one such pair.
  bool pad = escaped.front() == '`' || escaped.back() == '`' ||
             (escaped.front() == ' ' && escaped.back() == ' ');
  const char* sp = pad ? " " : "";
  return absl::StrCat(delim, sp, escaped, sp, delim);
}

std::string RenderHunks(const changeset::v1::DiffNode& node) {
  const Value* list = Field(node.details(), "hunks");
  if (!list || !list->has_list_value()) return "";
  const ExcerptLimits limits;
  size_t budget = limits.max_lines;
  std::vector<Hunk> hunks;
  for (const Value& v : list->list_value().values()) {
    if (hunks.size() >= limits.max_hunks) break;
    if (!v.has_struct_value()) continue;
    const Struct& s = v.struct_value();
    Hunk h{Number(s, "old_start"),
           Number(s, "old_lines"),
           Number(s, "new_start"),
           Number(s, "new_lines"),
           {},
           {}};
    h.removed = Lines(s, "removed", budget, limits);
    h.added = Lines(s, "added", budget, limits);
    hunks.push_back(std::move(h));
  }
  if (hunks.empty()) return "";
  const Value* total = Field(node.details(), "hunk_count");
  const Value* cut = Field(node.details(), "excerpt_cut");
  const bool was_cut = cut && cut->has_bool_value() && cut->bool_value();
  if (hunks.size() == 1 && !was_cut && hunks[0].old_lines == 1 && hunks[0].new_lines == 1 &&
      hunks[0].removed.size() == 1 && hunks[0].added.size() == 1) {
    return absl::StrCat(": ", MarkdownCodeSpan(hunks[0].removed[0]), " → ",
                        MarkdownCodeSpan(hunks[0].added[0]));
  }
  std::vector<std::string> lines;
  for (const Hunk& h : hunks) {
    lines.push_back(absl::StrCat("@@ -", h.old_start, ",", h.old_lines, " +", h.new_start, ",",
                                 h.new_lines, " @@"));
    for (const std::string& l : h.removed) lines.push_back(absl::StrCat("-", EscapeForTerminal(l)));
    for (const std::string& l : h.added) lines.push_back(absl::StrCat("+", EscapeForTerminal(l)));
  }
  size_t run = 0;
  for (const std::string& l : lines) run = std::max(run, LongestBacktickRun(l));
  const std::string fence(std::max<size_t>(3, run + 1), '`');
  std::string out = absl::StrCat("\n  ", fence, "diff\n");
  for (const std::string& l : lines) absl::StrAppend(&out, "  ", l, "\n");
  absl::StrAppend(&out, "  ", fence);
  if (was_cut) {
    int64_t n =
        total && total->has_number_value() ? static_cast<int64_t>(total->number_value()) : 0;
    absl::StrAppend(&out, "\n\n  (excerpt cut");
    if (n > 0 && n < 1'000'000'000)
      absl::StrAppend(&out, "; ", Plural(n, "hunk", "hunks"), " in all");
    absl::StrAppend(&out, ")");
  }
  return out;
}

std::string RenderContents(const changeset::v1::DiffNode& node) {
  if (node.action() != "add" && node.action() != "remove") return "";
  const Value* list = Field(node.details(), "files");
  if (!list || !list->has_list_value()) return "";
  std::vector<std::string> names;
  for (const Value& v : list->list_value().values()) {
    if (names.size() >= kListedFiles) break;
    if (v.has_string_value()) names.push_back(EscapeForMarkdown(v.string_value()));
  }
  if (names.empty()) return "";
  const int64_t count = Number(node.details(), "file_count");
  std::string out = absl::StrCat(": ", absl::StrJoin(names, ", "));
  if (count > static_cast<int64_t>(names.size())) {
    absl::StrAppend(&out, ", … and ", count - static_cast<int64_t>(names.size()), " more");
  }
  return out;
}

}  // namespace deltascope
