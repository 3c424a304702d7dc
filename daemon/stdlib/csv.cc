// csv: delimited tables (.csv, .tsv, .tab, .psv). Column-aware (added, removed, reordered) and
// row-aware (rows added and removed, edited cells of rows paired by a key column, given or
// inferred, or by position), and aware of '#' comment lines. Streams both files: memory grows
// by 8 bytes a row of the smaller file (csv_rows.h).
// A file that is not a table is skipped, left to text and binary.
#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/csv_rows.h"
#include "daemon/stdlib/line_diff.h"
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
namespace {

using google::protobuf::Value;

// Column names listed in details are capped (a table may have thousands).
constexpr size_t kMaxListedColumns = 100;

Value StringList(const std::vector<std::string>& items, size_t cap = SIZE_MAX) {
  std::vector<Value> values;
  for (size_t i = 0; i < items.size() && i < cap; ++i) values.push_back(StringValue(items[i]));
  return ListValue(std::move(values));
}

std::string DelimiterName(char d) { return std::string(1, d); }

std::string EncodingName(bool windows1252) { return windows1252 ? "windows-1252" : "utf-8"; }

std::string EncodingLabel(bool windows1252, bool bom) {
  return absl::StrCat(EncodingName(windows1252), bom ? " with BOM" : "");
}

bool NotATable(const absl::Status& s) { return absl::IsFailedPrecondition(s); }

// The key columns configured for `path`, if any.
std::optional<std::vector<std::string>> KeyColumnsFor(const std::string& path,
                                                      CompareContext& context) {
  for (const TableKey& key : context.options().table_keys) {
    // RE2: linear time and bounded memory, whatever the pattern (configs may come from anyone).
    const RE2 pattern(key.path_regex, RE2::Quiet);
    if (!pattern.ok()) {
      context.AddDiagnostic(
          changeset::v1::SEVERITY_WARNING, "invalid-table-key",
          absl::StrCat("table key pattern '", key.path_regex, "' is invalid: ", pattern.error()),
          path);
    } else if (RE2::FullMatch(path, pattern)) {
      return key.columns;
    }
  }
  return std::nullopt;
}

void SetSideDetail(DiffNode& node, std::string_view key, const std::string& before,
                   const std::string& after) {
  if (before == after) {
    SetDetail(node, key, after);
  } else {
    SetDetail(node, std::string(key) + "_before", before);
    SetDetail(node, std::string(key) + "_after", after);
  }
}

class CsvComparator : public Comparator {
 public:
  CsvComparator() {
    descriptor_.name = "csv";
    descriptor_.scope = Scope::kFiles;
    descriptor_.extensions = {".csv", ".tsv", ".tab", ".psv"};
    descriptor_.media_types = {"text/csv", "text/tab-separated-values"};
  }
  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext& context) override {
    absl::StatusOr<CompareResult> result = CompareTables(pair, context);
    if (!result.ok() && NotATable(result.status())) return CompareResult::Skip();
    return result;
  }

 private:
  absl::StatusOr<CompareResult> CompareTables(const ItemPair& pair, CompareContext& context);
  absl::StatusOr<DiffNode> DescribeWhole(CsvSide& side, bool added, CompareContext& context);
  absl::StatusOr<DiffNode> DiffSides(CsvSide& left, CsvSide& right, const std::string& path,
                                     CompareContext& context);

  ComparatorDescriptor descriptor_;
};

absl::StatusOr<CompareResult> CsvComparator::CompareTables(const ItemPair& pair,
                                                           CompareContext& context) {
  const std::string lower = absl::AsciiStrToLower(pair.path);
  std::optional<CsvSide> left, right;
  for (auto [item, side] :
       {std::pair{pair.left.get(), &left}, std::pair{pair.right.get(), &right}}) {
    if (!item) continue;
    absl::StatusOr<CsvDialect> dialect = SniffCsvFile(item->physical(), lower);
    if (!dialect.ok()) return dialect.status();
    side->emplace();
    (*side)->table.path = item->physical();
    (*side)->table.dialect = *dialect;
  }
  if (left && right) {  // one header decision for both, so the columns line up
    const bool header = left->table.dialect.header || right->table.dialect.header;
    left->table.dialect.header = right->table.dialect.header = header;
  }
  for (std::optional<CsvSide>* side : {&left, &right}) {
    if (!*side) continue;
    if (absl::Status s = ReadCsvColumns((*side)->table); !s.ok()) return s;
  }
  absl::StatusOr<DiffNode> node = left && right
                                      ? DiffSides(*left, *right, pair.path, context)
                                      : DescribeWhole(left ? *left : *right, !left, context);
  if (!node.ok()) return node.status();
  node->set_path(pair.path);
  return CompareResult::Leaf(std::move(*node));
}

absl::StatusOr<DiffNode> CsvComparator::DescribeWhole(CsvSide& side, bool added,
                                                      CompareContext& context) {
  if (absl::Status s = ScanSide(
          side, context, NoRowValue, NoFinish,
          [](uint32_t, const CsvRowValue&, const CsvRowRef&) { return true; },
          CsvScanTuning{.fields = false});
      !s.ok()) {
    return s;
  }
  const CsvTable& t = side.table;
  const auto rows = static_cast<int64_t>(side.scan.rows);
  const auto cols = static_cast<int64_t>(t.columns.size());
  DiffNode node = MakeNode(added ? "add" : "remove", "tabular", "", descriptor_.name);
  node.set_summary(absl::StrCat(added ? "New table (" : "Table removed (",
                                Plural(rows, "row", "rows"), ", ",
                                Plural(cols, "column", "columns"), ")"));
  AddTag(node, added ? "file-addition" : "file-removal");
  SetDetail(node, "row_count", rows);
  SetDetail(node, "column_count", cols);
  SetDetail(node, "columns", StringList(t.columns, kMaxListedColumns));
  SetDetail(node, "delimiter", DelimiterName(t.dialect.delimiter));
  SetDetail(node, "encoding", EncodingName(side.scan.windows1252));
  SetDetail(node, "header", t.dialect.header);
  if (t.bom) SetDetail(node, "bom", true);
  if (side.scan.comment_lines > 0) {
    SetDetail(node, "comment_lines", static_cast<int64_t>(side.scan.comment_lines));
  }
  return node;
}

// The first `n` unmatched rows, in file order.
std::vector<uint32_t> FirstUnmatched(const std::vector<bool>& matched, size_t n) {
  std::vector<uint32_t> rows;
  for (size_t i = 0; i < matched.size() && rows.size() < n; ++i) {
    if (!matched[i]) rows.push_back(static_cast<uint32_t>(i));
  }
  return rows;
}

Value RowValue(const std::vector<std::string>& fields) { return StringList(fields); }

// The example rows and cells, fetched in one more pass over each file.
absl::Status AddExamples(const CsvSide& left, const CsvSide& right, const CsvTableDiff& d,
                         size_t max_examples, const CompareContext& context, DiffNode& node) {
  const std::vector<uint32_t> removed = FirstUnmatched(d.left_matched, max_examples);
  const std::vector<uint32_t> added = FirstUnmatched(d.right_matched, max_examples);
  std::vector<uint32_t> lneed = removed, rneed = added;
  for (const CellDiff::Cell& c : d.cells.examples) {
    lneed.push_back(d.pairs[c.pair].left);
    rneed.push_back(d.pairs[c.pair].right);
  }
  auto lrows = FetchRows(left.table, lneed, context);
  if (!lrows.ok()) return lrows.status();
  auto rrows = FetchRows(right.table, rneed, context);
  if (!rrows.ok()) return rrows.status();
  auto rows_value = [](const std::vector<uint32_t>& rows,
                       const std::map<uint32_t, std::vector<std::string>>& fetched) {
    std::vector<Value> values;
    for (uint32_t r : rows) values.push_back(RowValue(fetched.at(r)));
    return ListValue(std::move(values));
  };
  if (!added.empty()) SetDetail(node, "rows_added_examples", rows_value(added, *rrows));
  if (!removed.empty()) SetDetail(node, "rows_removed_examples", rows_value(removed, *lrows));
  // The names of the example rows' columns (each in its file's order), so readers need not count.
  if ((!added.empty() || !removed.empty()) && right.table.dialect.header) {
    if (left.table.columns == right.table.columns) {
      SetDetail(node, "columns", StringList(right.table.columns, kMaxListedColumns));
    } else if (!d.columns_reordered) {
      SetDetail(node, "columns_before", StringList(left.table.columns, kMaxListedColumns));
      SetDetail(node, "columns_after", StringList(right.table.columns, kMaxListedColumns));
    }
  }
  if (d.cells.examples.empty()) return absl::OkStatus();
  const std::vector<int> lpos = ColumnPositions(left.table, d.common);
  const std::vector<int> rpos = ColumnPositions(right.table, d.common);
  const std::vector<int> kpos = d.key ? ColumnPositions(right.table, *d.key) : std::vector<int>{};
  auto cell = [](const std::vector<std::string>& fields, int p) {
    return std::string(FieldAt(fields, p));
  };
  std::vector<Value> cells;
  for (const CellDiff::Cell& c : d.cells.examples) {
    const std::vector<std::string>& before = lrows->at(d.pairs[c.pair].left);
    const std::vector<std::string>& after = rrows->at(d.pairs[c.pair].right);
    Value v;
    auto& fields = *v.mutable_struct_value()->mutable_fields();
    if (d.key) {
      std::vector<std::string> key;
      for (int p : kpos) key.push_back(cell(after, p));
      fields["key"] = key.size() == 1 ? StringValue(key[0]) : StringList(key);
    } else {
      fields["row"] = NumberValue(d.pairs[c.pair].right + 1.0);
    }
    fields["column"] = StringValue(d.common[c.column]);
    fields["before"] = StringValue(cell(before, lpos[c.column]));
    fields["after"] = StringValue(cell(after, rpos[c.column]));
    cells.push_back(std::move(v));
  }
  SetDetail(node, "cells_changed_examples", ListValue(std::move(cells)));
  return absl::OkStatus();
}

// How the comment lines of two sides differ.
struct CommentDiff {
  int64_t added = 0, removed = 0;
  bool changed() const { return added > 0 || removed > 0; }
  int64_t lines() const { return std::max(added, removed); }  // an edited line counts once
  std::string Summary() const {
    return Plural(lines(), "comment line", "comment lines") + " changed";
  }
};

CommentDiff DiffComments(const CsvScanInfo& l, const CsvScanInfo& r) {
  CommentDiff c;
  if (l.comment_lines == r.comment_lines && l.comment_digest == r.comment_digest) return c;
  const LineDiffCounts counts = CountLineChanges(l.comment_hashes, r.comment_hashes);
  c.added = counts.added;
  c.removed = counts.removed;
  if (!c.changed()) {  // the difference lies past the kept hashes: what the counts say
    const auto before = static_cast<int64_t>(l.comment_lines);
    const auto after = static_cast<int64_t>(r.comment_lines);
    c.added = std::max<int64_t>(after - before, before == after ? 1 : 0);
    c.removed = std::max<int64_t>(before - after, before == after ? 1 : 0);
  }
  return c;
}

// Summary, action and tags when no row, cell or column changed.
void DescribeUnchangedContent(const CsvSide& left, const CsvSide& right, const CsvTableDiff& d,
                              const CommentDiff& comments, DiffNode& node) {
  const std::string enc_before = EncodingLabel(left.scan.windows1252, left.table.bom);
  const std::string enc_after = EncodingLabel(right.scan.windows1252, right.table.bom);
  if (d.columns_reordered) {
    node.set_action("reorder");
    node.set_summary("Columns reordered (content unchanged)");
  } else if (!d.same_row_order) {
    node.set_action("reorder");
    node.set_summary("Rows reordered (content unchanged)");
    AddTag(node, "row-reorder");
  } else if (comments.changed()) {
    node.set_summary(absl::StrCat("Comments changed (", Plural(comments.lines(), "line", "lines"),
                                  "; data unchanged)"));
    return;
  } else if (enc_before != enc_after) {
    node.set_summary(
        absl::StrCat("Encoding changed (", enc_before, " → ", enc_after, "; content unchanged)"));
  } else if (left.table.dialect.delimiter != right.table.dialect.delimiter) {
    node.set_summary(
        absl::StrCat("Delimiter changed ('", DelimiterName(left.table.dialect.delimiter), "' → '",
                     DelimiterName(right.table.dialect.delimiter), "'; content unchanged)"));
    AddTag(node, "format-change");
  } else {
    node.set_summary("Formatting changed (quoting or line breaks; content unchanged)");
    AddTag(node, "format-change");
  }
  if (comments.changed()) node.set_summary(absl::StrCat(node.summary(), "; ", comments.Summary()));
}

// The key to match rows by: the first given one (--key, then the config) whose columns are on
// both sides, else the inferred candidates (tables with a header only).
absl::StatusOr<KeyPlan> PlanKey(const CsvSide& left, const CsvSide& right, const std::string& path,
                                const CsvTableDiff& d, CompareContext& context) {
  if (std::optional<std::vector<std::string>> key = KeyColumnsFor(path, context)) {
    std::vector<std::string> missing;
    for (const std::string& k : *key) {
      if (std::find(d.common.begin(), d.common.end(), k) == d.common.end()) missing.push_back(k);
    }
    if (missing.empty() && !key->empty()) return KeyPlan{{*std::move(key)}, false};
    context.AddDiagnostic(changeset::v1::SEVERITY_WARNING, "table-key-missing",
                          absl::StrCat(path, ": key column(s) ", absl::StrJoin(missing, ", "),
                                       " not on both sides; the key is ignored"),
                          path);
  }
  if (!right.table.dialect.header) return KeyPlan{};
  return InferKeyCandidates(left.table, right.table, d.common, context);
}

absl::StatusOr<DiffNode> CsvComparator::DiffSides(CsvSide& left, CsvSide& right,
                                                  const std::string& path,
                                                  CompareContext& context) {
  const size_t max_examples = static_cast<size_t>(std::max(0, context.options().max_examples));
  CsvTableDiff d;
  DiffColumns(left.table, right.table, d);
  absl::StatusOr<KeyPlan> plan = PlanKey(left, right, path, d, context);
  if (!plan.ok()) return plan.status();
  if (absl::Status s = DiffRows(left, right, *plan, max_examples, context, d); !s.ok()) return s;
  if (!d.key && d.PairingMattered()) {
    // Which row became which was a guess: say how to make it exact.
    const std::string where = path.empty() ? right.table.path.filename().string() : path;
    context.AddDiagnostic(
        changeset::v1::SEVERITY_INFO, "table-key-not-found",
        absl::StrCat(where,
                     right.table.dialect.header
                         ? ": no column is unique on both sides"
                         : ": no header row to infer a key column from (columns are 1, 2, ...)",
                     "; rows matched by content and position (name a key with --key)"),
        path);
  }

  DiffNode node = MakeNode("modify", "tabular", path, descriptor_.name);
  std::vector<std::string> parts;
  auto count = [&](int64_t n, std::string_view one, std::string_view many, std::string_view what,
                   std::string_view tag) {
    if (n == 0) return;
    parts.push_back(Plural(n, one, many) + " " + std::string(what));
    AddTag(node, tag);
  };
  count(static_cast<int64_t>(d.added_columns.size()), "column", "columns", "added",
        "column-addition");
  count(static_cast<int64_t>(d.removed_columns.size()), "column", "columns", "removed",
        "column-removal");
  count(d.rows_added, "row", "rows", "added", "row-addition");
  count(d.rows_removed, "row", "rows", "removed", "row-removal");
  if (d.cells_changed > 0) {
    count(d.cells_changed, "cell", "cells", "changed", "cell-change");
  } else {
    count(d.rows_modified, "row", "rows", "modified", "cell-change");
  }
  if (d.columns_reordered) {
    AddTag(node, "column-reorder");
    if (!parts.empty()) parts.push_back("columns reordered");
  }
  const CommentDiff comments = DiffComments(left.scan, right.scan);
  if (comments.changed()) AddTag(node, "comment-change");
  if (parts.empty()) {
    DescribeUnchangedContent(left, right, d, comments, node);
  } else {
    if (comments.changed()) parts.push_back(comments.Summary());
    if (d.key_inferred && d.PairingMattered()) {
      parts.push_back(absl::StrCat("rows matched by ", absl::StrJoin(*d.key, ", "), " (inferred)"));
    }
    node.set_summary(absl::StrJoin(parts, "; "));
  }
  if (left.scan.windows1252 != right.scan.windows1252 || left.table.bom != right.table.bom) {
    AddTag(node, "encoding-change");
  }

  SetDetail(node, "row_count_before", static_cast<int64_t>(left.scan.rows));
  SetDetail(node, "row_count_after", static_cast<int64_t>(right.scan.rows));
  SetDetail(node, "column_count_before", static_cast<int64_t>(left.table.columns.size()));
  SetDetail(node, "column_count_after", static_cast<int64_t>(right.table.columns.size()));
  SetDetail(node, "rows_added", d.rows_added);
  SetDetail(node, "rows_removed", d.rows_removed);
  SetDetail(node, "rows_modified", d.rows_modified);
  SetDetail(node, "cells_changed", d.cells_changed);
  if (!d.added_columns.empty()) {
    SetDetail(node, "columns_added", StringList(d.added_columns, kMaxListedColumns));
  }
  if (!d.removed_columns.empty()) {
    SetDetail(node, "columns_removed", StringList(d.removed_columns, kMaxListedColumns));
  }
  if (d.columns_reordered) {
    SetDetail(node, "columns_before", StringList(left.table.columns, kMaxListedColumns));
    SetDetail(node, "columns_after", StringList(right.table.columns, kMaxListedColumns));
  }
  SetSideDetail(node, "delimiter", DelimiterName(left.table.dialect.delimiter),
                DelimiterName(right.table.dialect.delimiter));
  SetSideDetail(node, "encoding", EncodingName(left.scan.windows1252),
                EncodingName(right.scan.windows1252));
  if (left.table.bom || right.table.bom) {
    SetSideDetail(node, "bom", left.table.bom ? "yes" : "no", right.table.bom ? "yes" : "no");
  }
  SetDetail(node, "header", right.table.dialect.header);
  if (d.key) SetDetail(node, "key", StringList(*d.key));
  if (d.key_inferred) SetDetail(node, "key_inferred", true);
  if (left.scan.comment_lines > 0 || right.scan.comment_lines > 0) {
    SetDetail(node, "comment_lines_before", static_cast<int64_t>(left.scan.comment_lines));
    SetDetail(node, "comment_lines_after", static_cast<int64_t>(right.scan.comment_lines));
  }
  if (comments.changed()) {
    SetDetail(node, "comment_lines_added", comments.added);
    SetDetail(node, "comment_lines_removed", comments.removed);
  }
  if (d.duplicate_keys > 0)
    SetDetail(node, "duplicate_keys", static_cast<int64_t>(d.duplicate_keys));
  if (absl::Status s = AddExamples(left, right, d, max_examples, context, node); !s.ok()) return s;
  return node;
}

}  // namespace

std::shared_ptr<Comparator> MakeCsvComparator() { return std::make_shared<CsvComparator>(); }

}  // namespace deltascope
