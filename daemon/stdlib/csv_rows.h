// The rows of a csv table diff: columns lined up by name, rows matched (equal rows by content;
// the rest by key, or by position between matched rows), paired rows compared cell by cell.
// Streams both files; memory grows by 8 bytes a row of the smaller file.
#ifndef DELTASCOPE_DAEMON_STDLIB_CSV_ROWS_H_
#define DELTASCOPE_DAEMON_STDLIB_CSV_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "daemon/engine/compare_context.h"
#include "daemon/stdlib/csv_key.h"
#include "daemon/stdlib/csv_scan.h"
#include "daemon/stdlib/csv_table.h"

namespace deltascope {

// One side: where it is, how it reads, and what a full pass saw.
struct CsvSide {
  CsvTable table;
  CsvScanInfo scan;
};

// The facts of one table diff, gathered before the node is written.
struct CsvTableDiff {
  std::vector<std::string> common;  // common column ids, in the right side's order
  std::vector<std::string> added_columns, removed_columns;
  bool columns_reordered = false;
  std::optional<std::vector<std::string>> key;  // what the leftover rows were paired by
  bool key_inferred = false;                    // `key` is a guess (KeyCandidates), not a given key
  bool same_row_order = false;
  std::vector<bool> left_matched, right_matched;
  std::vector<RowPair> pairs;  // aligned rows compared cell by cell
  CellDiff cells;
  uint64_t duplicate_keys = 0;
  int64_t rows_added = 0, rows_removed = 0, rows_modified = 0, cells_changed = 0;

  // True when rows had to be paired (edited rows, or rows both added and removed): then how
  // they were matched (key or position) shaped the result.
  bool PairingMattered() const { return rows_modified > 0 || (rows_added > 0 && rows_removed > 0); }
};

// Reads every row of `side` on every core (and sets side.scan); `visit` gets each record, in
// file order, with `map`'s (then `finish`'s) value for it (ScanCsvRowsParallel).
absl::Status ScanSide(CsvSide& side, const CompareContext& context, CsvRowMapper map,
                      CsvRowFinisher finish, CsvRowVisitor visit, CsvScanTuning tuning = {});

// Column sets and orders of both sides: common, added_columns, removed_columns, reordered.
void DiffColumns(const CsvTable& l, const CsvTable& r, CsvTableDiff& d);

// Matches the rows (by `plan`'s keys, or without one) and compares the cells of paired rows;
// fills everything of `d` but the columns.
absl::Status DiffRows(CsvSide& left, CsvSide& right, const KeyPlan& plan, size_t max_examples,
                      CompareContext& context, CsvTableDiff& d);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_ROWS_H_
