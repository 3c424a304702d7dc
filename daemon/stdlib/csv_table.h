// The row and cell machinery of the csv comparator, built to stream: a table is read once to
// hash its rows (8 bytes a row), rows are matched on hashes alone, and the files are read again
// only to compare the cells of paired rows and to fetch the text of the few examples reported.
#ifndef DELTASCOPE_DAEMON_STDLIB_CSV_TABLE_H_
#define DELTASCOPE_DAEMON_STDLIB_CSV_TABLE_H_

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "daemon/engine/compare_context.h"
#include "daemon/stdlib/csv_reader.h"

namespace deltascope {

// One side of a table comparison.
struct CsvTable {
  std::filesystem::path path;
  CsvDialect dialect;
  // Column ids in file order: the header's names ("name#2" for the second "name"), or "1", "2",
  // ... without a header.
  std::vector<std::string> columns;
  bool bom = false;
};

// Sniffs the dialect of a file from its first bytes. FailedPrecondition: not a table.
absl::StatusOr<CsvDialect> SniffCsvFile(const std::filesystem::path& path,
                                        std::string_view lower_path);

// Reads the header (a record, or the header comment) or counts the first record's fields, and
// fills `table.columns`/`bom`.
absl::Status ReadCsvColumns(CsvTable& table);

// What a full pass over a table saw.
struct CsvScanInfo {
  uint64_t rows = 0;
  bool windows1252 = false;  // some field was not UTF-8
  // Comment lines (with dialect.comments): how many, the hashes of the first kMaxCommentHashes,
  // and a digest of all of them in order.
  uint64_t comment_lines = 0;
  std::vector<uint64_t> comment_hashes;
  uint64_t comment_digest = 0;
};

// Counts one more data row of a pass: its number; fails past UINT32_MAX rows, or when the run
// is cancelled (checked every 65,536 rows).
absl::StatusOr<uint32_t> CountCsvRow(CsvScanInfo& info, const CompareContext& context);

// Calls `visit(row, fields)` for each data row in file order (row 0 follows the header) until it
// returns false. Fails when the file cannot be read or the run is cancelled.
absl::StatusOr<CsvScanInfo> ScanCsvRows(
    const CsvTable& table, const CompareContext& context,
    absl::FunctionRef<bool(uint32_t row, const std::vector<std::string>& fields)> visit);

// Positions of `column_ids` in `table.columns` (each must be there).
std::vector<int> ColumnPositions(const CsvTable& table, const std::vector<std::string>& column_ids);

// The field at `position` (from ColumnPositions), or "" when the row is short or the column absent.
// The view points into `fields`.
std::string_view FieldAt(const std::vector<std::string>& fields, int position);
std::string_view FieldAt(const std::vector<std::string_view>& fields, int position);

// Hash of a record's values at `positions` (a missing value counts as empty) followed by any
// fields beyond `width` (ragged rows), so two rows hash equal iff those values are equal. What is
// hashed is the values as one csv line separated by `separator` (quoted only where a value holds
// the separator, a quote or a line break; each ragged field preceded by a separator), so that a
// plain record of a file delimited by `separator` hashes as its own text when `positions` are
// 0..width-1 and it has at least `width` fields: HashCsvRowText, with no split into fields. Both
// sides of a comparison must hash with the same separator.
uint64_t HashRow(const std::vector<std::string>& fields, const std::vector<int>& positions,
                 size_t width, std::string& scratch, char separator = ',');
uint64_t HashRow(const std::vector<std::string_view>& fields, const std::vector<int>& positions,
                 size_t width, std::string& scratch, char separator = ',');
// HashRow of a plain record (ScanPlainCsvRecord) as said above, from its text.
uint64_t HashCsvRowText(std::string_view text);
// True when HashRow of `table`'s records, at `positions` with `separator`, may be taken from
// their text.
bool RowHashFromText(const CsvTable& table, const std::vector<int>& positions, char separator);

struct RowPair {
  uint32_t left;
  uint32_t right;
};

// Multiset matching: rows whose hash also occurs on the other side are marked matched, equal
// hashes pairing up in file order.
void MatchMultiset(const std::vector<uint64_t>& left, const std::vector<uint64_t>& right,
                   std::vector<bool>& left_matched, std::vector<bool>& right_matched);

// The same multiset matching in bounded memory, for tables too large to keep both sides' hashes:
// the row hashes of one side (the held side) are kept sorted, 8 bytes a row plus a few bits;
// the other side's rows are streamed past them in file order, then the held side's rows are
// streamed again, in file order, to learn which of them matched. Equal hashes pair up in file
// order, so the result is exactly MatchMultiset's.
// The held side's second pass when few of its rows went unpaired: the hashes of those rows, each
// with how many of its rows were paired (the first ones in file order), in a table sized by them
// rather than by the held side. A bit filter answers most rows (paired) without a lookup.
class UnpairedHeldRows {
 public:
  // The held side's rows, in file order: true when the row was paired.
  bool Matched(uint64_t hash);

 private:
  friend class SortedMultisetMatcher;
  struct Run {
    uint32_t paired;
    uint32_t seen = 0;
  };
  absl::flat_hash_map<uint64_t, Run> runs_;
  std::vector<uint64_t> filter_;  // a bit per hash >> shift_, set for the hashes in runs_
  int shift_ = 64;
};

class SortedMultisetMatcher {
 public:
  // `held` in any order: sorted here, on `threads` threads.
  explicit SortedMultisetMatcher(std::vector<uint64_t> held, int threads = 1);

  // The streamed side's rows, in file order: true when the row pairs with a held row.
  bool MatchStreamed(uint64_t hash);
  // Then the held side's rows, in file order: true when the row was paired.
  bool HeldMatched(uint64_t hash);
  // The same two steps split: Find (const, safe on any thread while nothing else runs) gives
  // the run [lo, hi) of a hash (false when absent); the *At calls take what Find gave.
  bool Find(uint64_t hash, uint32_t& lo, uint32_t& hi) const;
  // Find for a chunk of rows at once (Row has hash, lo and hi; lo == hi when absent): the
  // directory entries, then the buckets, of a group of rows are loaded together, so that their
  // cache misses overlap (the held hashes fit no cache). Safe as Find is.
  template <typename Row>
  void FindAll(Row* rows, size_t n) const;
  bool MatchStreamedAt(bool found, uint32_t lo, uint32_t hi);
  bool HeldMatchedAt(bool found, uint32_t lo, uint32_t hi);
  // True when every held row was paired (the second pass over the held side can be skipped).
  bool AllHeldMatched() const { return paired_count_ == hashes_.size(); }
  size_t held_rows() const { return hashes_.size(); }
  // After the streamed side: the unpaired held rows' hashes (UnpairedHeldRows), when they are
  // at most `max_hashes` distinct ones; the second held pass may then use them instead.
  std::optional<UnpairedHeldRows> Unpaired(size_t max_hashes) const;

 private:
  // Positions taken from runs of equal hashes, always in order from the run's start: a bit per
  // position for short runs, a count per run for long ones (so claiming stays O(1)).
  struct Claims {
    std::vector<uint64_t> bits;
    absl::flat_hash_map<uint32_t, uint32_t> long_runs;  // run start -> positions taken
    // The next free position of [lo, hi), taken; -1 when the run is used up.
    int64_t Take(uint32_t lo, uint32_t hi);
    bool Taken(uint32_t pos, uint32_t lo, uint32_t hi) const;
  };
  bool FindIn(uint64_t hash, uint32_t first, uint32_t last, uint32_t& lo, uint32_t& hi) const;
  size_t Bucket(uint64_t hash) const {
    return shift_ == 64 ? 0 : static_cast<size_t>(hash >> shift_);
  }

  std::vector<uint64_t> hashes_;     // sorted
  std::vector<uint32_t> directory_;  // by top bits: first position of each bucket, then size
  int shift_ = 64;                   // hash >> shift_ is the bucket (64: one bucket)
  Claims paired_, seen_;             // held positions paired (pass 2), visited (pass 3)
  size_t paired_count_ = 0;
};

template <typename Row>
void SortedMultisetMatcher::FindAll(Row* rows, size_t n) const {
  constexpr size_t kGroup = 32;
  uint32_t first[kGroup], last[kGroup];
  for (size_t g = 0; g < n; g += kGroup) {
    const size_t m = std::min(kGroup, n - g);
    for (size_t i = 0; i < m; ++i) __builtin_prefetch(&directory_[Bucket(rows[g + i].hash)]);
    for (size_t i = 0; i < m; ++i) {
      const size_t b = Bucket(rows[g + i].hash);
      first[i] = directory_[b];
      last[i] = directory_[b + 1];
      __builtin_prefetch(hashes_.data() + first[i]);
      if (last[i] - first[i] > 8) __builtin_prefetch(hashes_.data() + first[i] + 8);
    }
    for (size_t i = 0; i < m; ++i) {
      Row& r = rows[g + i];
      if (!FindIn(r.hash, first[i], last[i], r.lo, r.hi)) r.lo = r.hi = 0;
    }
  }
}

// Pairs the unmatched rows of both sides that lie between the same matched rows (the i-th
// unmatched row after k matched rows on the left with the i-th such row on the right). The
// pairs increase on both sides.
std::vector<RowPair> PairUnmatched(const std::vector<bool>& left_matched,
                                   const std::vector<bool>& right_matched);

// The cells of paired rows compared.
struct CellDiff {
  static constexpr uint32_t kUnlike = UINT32_MAX;
  // Per pair: how many of the columns differ, or kUnlike when the pair was rejected.
  std::vector<uint32_t> changed;
  // The first changed cells by (pair, column), at most the number asked for.
  struct Cell {
    uint32_t pair;
    uint32_t column;
  };
  std::vector<Cell> examples;
};

// Compares the values of `column_ids` in each pair (`pairs` sorted by left row). With
// `reject_unlike`, a pair with more than max(1, columns/2) changed cells is rejected (they are
// different rows, not an edited one). Holds at most `cell_budget` cell hashes at a time,
// reading the files once more per batch.
absl::StatusOr<CellDiff> CompareCells(const CsvTable& left, const CsvTable& right,
                                      const std::vector<std::string>& column_ids,
                                      const std::vector<RowPair>& pairs, size_t max_examples,
                                      bool reject_unlike, const CompareContext& context,
                                      size_t cell_budget = 4u << 20);

// The fields of `rows` (any order, repeats allowed), read in one pass.
absl::StatusOr<std::map<uint32_t, std::vector<std::string>>> FetchRows(
    const CsvTable& table, std::vector<uint32_t> rows, const CompareContext& context);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_TABLE_H_
