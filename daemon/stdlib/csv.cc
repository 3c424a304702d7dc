// csv: delimited tables (.csv, .tsv, .tab, .psv). Column-aware (added, removed, reordered) and
// row-aware (rows added and removed as a multiset, edited cells of aligned rows, or a keyed diff
// when the options name key columns). Streams both files: memory grows by 8 bytes a row of the
// smaller file (a few words a row with key columns).
// A file that is not a table is skipped, left to text and binary.
#include <re2/re2.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/csv_table.h"
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

// One side: where it is, how it reads, and what a full pass saw.
struct Side {
  CsvTable table;
  CsvScanInfo scan;
};

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

// Reads every row of `side`; `visit` gets each record (for hashing).
absl::Status Scan(Side& side, const CompareContext& context,
                  absl::FunctionRef<void(const std::vector<std::string>&)> visit) {
  absl::StatusOr<CsvScanInfo> info =
      ScanCsvRows(side.table, context, [&](uint32_t, const std::vector<std::string>& fields) {
        visit(fields);
        return true;
      });
  if (!info.ok()) return info.status();
  side.scan = *info;
  return absl::OkStatus();
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
  absl::StatusOr<DiffNode> DescribeWhole(Side& side, bool added, CompareContext& context);
  absl::StatusOr<DiffNode> DiffSides(Side& left, Side& right, const std::string& path,
                                     CompareContext& context);

  ComparatorDescriptor descriptor_;
};

absl::StatusOr<CompareResult> CsvComparator::CompareTables(const ItemPair& pair,
                                                           CompareContext& context) {
  const std::string lower = absl::AsciiStrToLower(pair.path);
  std::optional<Side> left, right;
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
  for (std::optional<Side>* side : {&left, &right}) {
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

absl::StatusOr<DiffNode> CsvComparator::DescribeWhole(Side& side, bool added,
                                                      CompareContext& context) {
  if (absl::Status s = Scan(side, context, [](const std::vector<std::string>&) {}); !s.ok()) {
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
  return node;
}

// The facts of one table diff, gathered before the node is written.
struct TableDiff {
  std::vector<std::string> common;  // common column ids, in the right side's order
  std::vector<std::string> added_columns, removed_columns;
  bool columns_reordered = false;
  std::optional<std::vector<std::string>> key;
  bool same_row_order = false;
  std::vector<bool> left_matched, right_matched;
  std::vector<RowPair> pairs;  // aligned rows compared cell by cell
  CellDiff cells;
  uint64_t duplicate_keys = 0;
  int64_t rows_added = 0, rows_removed = 0, rows_modified = 0, cells_changed = 0;
};

// Column sets and orders of both sides.
void DiffColumns(const CsvTable& l, const CsvTable& r, TableDiff& d) {
  // Hash sets of views: a million-column header took 150 MB in two std::set<std::string>.
  const absl::flat_hash_set<absl::string_view> lset(l.columns.begin(), l.columns.end());
  const absl::flat_hash_set<absl::string_view> rset(r.columns.begin(), r.columns.end());
  std::vector<std::string> common_left_order;
  for (const std::string& c : l.columns) {
    (rset.count(c) ? common_left_order : d.removed_columns).push_back(c);
  }
  for (const std::string& c : r.columns) (lset.count(c) ? d.common : d.added_columns).push_back(c);
  d.columns_reordered = common_left_order != d.common;
}

// Hashes a side's rows: the common columns in canonical order, then any ragged tail.
struct RowHasher {
  RowHasher(const CsvTable& table, const std::vector<std::string>& canonical)
      : positions(ColumnPositions(table, canonical)), width(table.columns.size()) {}
  uint64_t operator()(const std::vector<std::string>& fields) {
    return HashRow(fields, positions, width, scratch);
  }
  std::vector<int> positions;
  size_t width;
  std::string scratch;
};

// An order-sensitive digest of a side's row hashes: equal digests (and row counts) mean the
// same rows in the same order, without keeping the hashes in file order.
class RowOrderDigest {
 public:
  RowOrderDigest() : state_(XXH3_createState(), XXH3_freeState) {
    XXH3_128bits_reset(state_.get());
  }
  void Add(uint64_t hash) {
    buffer_[size_++] = hash;
    if (size_ == buffer_.size()) Flush();
  }
  XXH128_hash_t Finish() {
    Flush();
    return XXH3_128bits_digest(state_.get());
  }

 private:
  void Flush() {
    XXH3_128bits_update(state_.get(), buffer_.data(), size_ * sizeof(uint64_t));
    size_ = 0;
  }
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_;
  std::array<uint64_t, 512> buffer_;
  size_t size_ = 0;
};

// Room for a table's row hashes: reserved, not touched, so an overestimate costs no memory.
size_t EstimatedRows(const CsvTable& table) {
  std::error_code ec;
  const uintmax_t bytes = std::filesystem::file_size(table.path, ec);
  return ec ? 0 : static_cast<size_t>(std::min<uintmax_t>(bytes / 24 + 1024, uintmax_t{1} << 27));
}

// Keyed matching: key and row hashes of both sides in memory.
absl::Status MatchRowsByKey(Side& left, Side& right, const std::vector<std::string>& canonical,
                            const CompareContext& context, TableDiff& d) {
  std::vector<uint64_t> lrows, rrows, lkeys, rkeys;
  for (auto [side, rows, keys] :
       {std::tuple{&left, &lrows, &lkeys}, std::tuple{&right, &rrows, &rkeys}}) {
    RowHasher row_hash(side->table, canonical);
    const std::vector<int> key_positions = ColumnPositions(side->table, *d.key);
    // Plain pointers for the lambda: clang before 16 cannot capture structured bindings.
    std::vector<uint64_t>* row_hashes = rows;
    std::vector<uint64_t>* key_hashes = keys;
    absl::Status s = Scan(*side, context, [&](const std::vector<std::string>& fields) {
      row_hashes->push_back(row_hash(fields));
      key_hashes->push_back(HashRow(fields, key_positions, SIZE_MAX, row_hash.scratch));
    });
    if (!s.ok()) return s;
  }
  d.same_row_order = lrows == rrows;
  d.pairs =
      MatchByKey(lkeys, lrows, rkeys, rrows, d.left_matched, d.right_matched, d.duplicate_keys);
  return absl::OkStatus();
}

// Multiset matching in bounded memory (SortedMultisetMatcher): the smaller file's row hashes
// are held sorted, the other file streams past them, then the held file is read once more.
// Peak memory: 8 bytes a row of the smaller file, plus bits.
absl::Status MatchRowsMultiset(Side& left, Side& right, const std::vector<std::string>& canonical,
                               const CompareContext& context, TableDiff& d) {
  std::error_code ec;
  const bool hold_left = std::filesystem::file_size(left.table.path, ec) <
                         std::filesystem::file_size(right.table.path, ec);
  Side& held = hold_left ? left : right;
  Side& streamed = hold_left ? right : left;
  std::vector<bool>& held_matched = hold_left ? d.left_matched : d.right_matched;
  std::vector<bool>& streamed_matched = hold_left ? d.right_matched : d.left_matched;
  RowHasher held_hash(held.table, canonical), streamed_hash(streamed.table, canonical);
  RowOrderDigest held_order, streamed_order;

  std::vector<uint64_t> hashes;
  hashes.reserve(EstimatedRows(held.table));
  absl::Status s = Scan(held, context, [&](const std::vector<std::string>& fields) {
    hashes.push_back(held_hash(fields));
    held_order.Add(hashes.back());
  });
  if (!s.ok()) return s;
  SortedMultisetMatcher matcher(std::move(hashes));
  s = Scan(streamed, context, [&](const std::vector<std::string>& fields) {
    const uint64_t h = streamed_hash(fields);
    streamed_order.Add(h);
    streamed_matched.push_back(matcher.MatchStreamed(h));
  });
  if (!s.ok()) return s;
  if (matcher.AllHeldMatched()) {
    held_matched.assign(matcher.held_rows(), true);
  } else {
    s = Scan(held, context, [&](const std::vector<std::string>& fields) {
      held_matched.push_back(matcher.HeldMatched(held_hash(fields)));
    });
    if (!s.ok()) return s;
  }
  d.same_row_order = held.scan.rows == streamed.scan.rows &&
                     XXH128_isEqual(held_order.Finish(), streamed_order.Finish());
  d.pairs = PairUnmatched(d.left_matched, d.right_matched);
  return absl::OkStatus();
}

// Row matching on hashes, then the aligned pairs compared cell by cell.
absl::Status DiffRows(Side& left, Side& right, size_t max_examples, CompareContext& context,
                      TableDiff& d) {
  std::vector<std::string> canonical = d.common;  // column order must not change a row's hash
  std::sort(canonical.begin(), canonical.end());
  absl::Status s = d.key ? MatchRowsByKey(left, right, canonical, context, d)
                         : MatchRowsMultiset(left, right, canonical, context, d);
  if (!s.ok()) return s;
  absl::StatusOr<CellDiff> cells = CompareCells(left.table, right.table, d.common, d.pairs,
                                                max_examples, !d.key.has_value(), context);
  if (!cells.ok()) return cells.status();
  d.cells = std::move(*cells);
  for (size_t i = 0; i < d.pairs.size(); ++i) {
    if (d.cells.changed[i] == CellDiff::kUnlike) continue;
    d.left_matched[d.pairs[i].left] = d.right_matched[d.pairs[i].right] = true;
    ++d.rows_modified;
    d.cells_changed += d.cells.changed[i];
  }
  d.rows_added = std::count(d.right_matched.begin(), d.right_matched.end(), false);
  d.rows_removed = std::count(d.left_matched.begin(), d.left_matched.end(), false);
  return absl::OkStatus();
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
absl::Status AddExamples(const Side& left, const Side& right, const TableDiff& d,
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
  if (d.cells.examples.empty()) return absl::OkStatus();
  const std::vector<int> lpos = ColumnPositions(left.table, d.common);
  const std::vector<int> rpos = ColumnPositions(right.table, d.common);
  const std::vector<int> kpos = d.key ? ColumnPositions(right.table, *d.key) : std::vector<int>{};
  auto cell = [](const std::vector<std::string>& fields, int p) {
    return p >= 0 && static_cast<size_t>(p) < fields.size() ? fields[p] : std::string();
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

// Summary, action and tags when no row, cell or column changed.
void DescribeUnchangedContent(const Side& left, const Side& right, const TableDiff& d,
                              DiffNode& node) {
  const std::string enc_before = EncodingLabel(left.scan.windows1252, left.table.bom);
  const std::string enc_after = EncodingLabel(right.scan.windows1252, right.table.bom);
  if (d.columns_reordered) {
    node.set_action("reorder");
    node.set_summary("Columns reordered (content unchanged)");
  } else if (!d.same_row_order) {
    node.set_action("reorder");
    node.set_summary("Rows reordered (content unchanged)");
    AddTag(node, "row-reorder");
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
}

absl::StatusOr<DiffNode> CsvComparator::DiffSides(Side& left, Side& right, const std::string& path,
                                                  CompareContext& context) {
  const size_t max_examples = static_cast<size_t>(std::max(0, context.options().max_examples));
  TableDiff d;
  DiffColumns(left.table, right.table, d);
  if (std::optional<std::vector<std::string>> key = KeyColumnsFor(path, context)) {
    std::vector<std::string> missing;
    for (const std::string& k : *key) {
      if (std::find(d.common.begin(), d.common.end(), k) == d.common.end()) missing.push_back(k);
    }
    if (missing.empty() && !key->empty()) {
      d.key = std::move(key);
    } else {
      context.AddDiagnostic(changeset::v1::SEVERITY_WARNING, "table-key-missing",
                            absl::StrCat(path, ": key column(s) ", absl::StrJoin(missing, ", "),
                                         " not on both sides; rows compared without a key"),
                            path);
    }
  }
  if (absl::Status s = DiffRows(left, right, max_examples, context, d); !s.ok()) return s;

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
  if (parts.empty()) {
    DescribeUnchangedContent(left, right, d, node);
  } else {
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
  if (d.duplicate_keys > 0)
    SetDetail(node, "duplicate_keys", static_cast<int64_t>(d.duplicate_keys));
  if (absl::Status s = AddExamples(left, right, d, max_examples, context, node); !s.ok()) return s;
  return node;
}

}  // namespace

std::shared_ptr<Comparator> MakeCsvComparator() { return std::make_shared<CsvComparator>(); }

}  // namespace deltascope
