#include "daemon/stdlib/csv_rows.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>

#include "absl/container/flat_hash_set.h"

namespace deltascope {

absl::Status ScanSide(CsvSide& side, const CompareContext& context, CsvRowMapper map,
                      CsvRowFinisher finish, CsvRowVisitor visit, CsvScanTuning tuning) {
  absl::StatusOr<CsvScanInfo> info =
      ScanCsvRowsParallel(side.table, context, map, finish, visit, tuning);
  if (!info.ok()) return info.status();
  side.scan = *std::move(info);
  return absl::OkStatus();
}

// Column sets and orders of both sides.
void DiffColumns(const CsvTable& l, const CsvTable& r, CsvTableDiff& d) {
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

namespace {

// Hashes a side's rows: the common columns in canonical order, then any ragged tail, as one
// line separated by `separator` (the same for both sides). Runs on the scan's worker threads
// (const; the scratch is the thread's). Plain records (most) are hashed from their text,
// unsplit, when the table allows it.
struct RowHasher {
  RowHasher(const CsvTable& table, const std::vector<std::string>& canonical, char separator)
      : positions(ColumnPositions(table, canonical)),
        width(table.columns.size()),
        separator(separator),
        plain{TextHash, width} {
    if (RowHashFromText(table, positions, separator)) tuning.plain = &plain;
  }
  RowHasher(const RowHasher&) = delete;  // `tuning` points into it
  uint64_t operator()(const std::vector<std::string_view>& fields, std::string& scratch) const {
    return HashRow(fields, positions, width, scratch, separator);
  }
  static CsvRowValue TextHash(std::string_view text) { return CsvRowValue{HashCsvRowText(text)}; }

  std::vector<int> positions;
  size_t width;
  char separator;
  CsvPlainRowMapper plain;
  CsvScanTuning tuning;
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

// Multiset matching in bounded memory (SortedMultisetMatcher): the smaller file's row hashes
// are held sorted, the other file streams past them, then the held file is read once more.
// Peak memory: 8 bytes a row of the smaller file, plus bits. `unmatched` sees each row left
// unpaired, in file order per side (true: the left side).
absl::Status MatchRowsMultiset(
    CsvSide& left, CsvSide& right, const std::vector<std::string>& canonical,
    const CompareContext& context, CsvTableDiff& d,
    absl::FunctionRef<void(bool left, uint32_t row, const std::vector<std::string>&)> unmatched) {
  std::error_code ec;
  const bool hold_left = std::filesystem::file_size(left.table.path, ec) <
                         std::filesystem::file_size(right.table.path, ec);
  CsvSide& held = hold_left ? left : right;
  CsvSide& streamed = hold_left ? right : left;
  std::vector<bool>& held_matched = hold_left ? d.left_matched : d.right_matched;
  std::vector<bool>& streamed_matched = hold_left ? d.right_matched : d.left_matched;
  // Files of one dialect (the usual case: both tab-separated, say) hash in theirs, so that
  // both can be hashed from their text.
  const char separator = held.table.dialect.delimiter == streamed.table.dialect.delimiter
                             ? held.table.dialect.delimiter
                             : ',';
  RowHasher held_hash(held.table, canonical, separator);
  RowHasher streamed_hash(streamed.table, canonical, separator);
  RowOrderDigest held_order, streamed_order;

  std::vector<uint64_t> hashes;
  hashes.reserve(EstimatedRows(held.table));
  absl::Status s = ScanSide(
      held, context,
      [&](const std::vector<std::string_view>& fields, std::string& scratch) {
        return CsvRowValue{held_hash(fields, scratch)};
      },
      NoFinish,
      [&](uint32_t, const CsvRowValue& v, const CsvRowRef&) {
        hashes.push_back(v.hash);
        held_order.Add(v.hash);
        return true;
      },
      held_hash.tuning);
  if (!s.ok()) return s;
  SortedMultisetMatcher matcher(std::move(hashes), CsvScanThreads(context));
  auto hash_with = [](const RowHasher& hasher) {
    return [&hasher](const std::vector<std::string_view>& fields, std::string& scratch) {
      return CsvRowValue{hasher(fields, scratch)};
    };
  };
  // Each hash's run among the held hashes, on the worker threads (hi > lo when found), a chunk
  // at a time (the lookups' cache misses overlap).
  auto find = [&matcher](CsvRowValue* values, size_t n) { matcher.FindAll(values, n); };
  s = ScanSide(
      streamed, context, hash_with(streamed_hash), find,
      [&](uint32_t row, const CsvRowValue& v, const CsvRowRef& ref) {
        streamed_order.Add(v.hash);
        streamed_matched.push_back(matcher.MatchStreamedAt(v.hi > v.lo, v.lo, v.hi));
        if (!streamed_matched.back()) unmatched(!hold_left, row, ref.fields());
        return true;
      },
      streamed_hash.tuning);
  if (!s.ok()) return s;
  if (matcher.AllHeldMatched()) {
    held_matched.assign(matcher.held_rows(), true);
  } else {
    // Few unpaired held rows (the usual case): the second held pass looks its rows up among
    // those alone, which fit the caches, instead of among all the held hashes.
    std::optional<UnpairedHeldRows> unpaired = matcher.Unpaired(matcher.held_rows() / 8);
    auto find_held = [&](CsvRowValue* values, size_t n) {
      if (!unpaired) matcher.FindAll(values, n);
    };
    s = ScanSide(
        held, context, hash_with(held_hash), find_held,
        [&](uint32_t row, const CsvRowValue& v, const CsvRowRef& ref) {
          held_matched.push_back(unpaired ? unpaired->Matched(v.hash)
                                          : matcher.HeldMatchedAt(v.hi > v.lo, v.lo, v.hi));
          if (!held_matched.back()) unmatched(hold_left, row, ref.fields());
          return true;
        },
        held_hash.tuning);
    if (!s.ok()) return s;
  }
  d.same_row_order = held.scan.rows == streamed.scan.rows &&
                     XXH128_isEqual(held_order.Finish(), streamed_order.Finish());
  return absl::OkStatus();
}

// Rows equal on both sides pair by content; with key candidates, the rest pair by the first
// candidate that works on them (KeyedPairing), else by position between matched rows.
absl::Status MatchRows(CsvSide& left, CsvSide& right, const std::vector<std::string>& canonical,
                       const KeyPlan& plan, const CompareContext& context, CsvTableDiff& d) {
  if (plan.candidates.empty()) {
    absl::Status s = MatchRowsMultiset(left, right, canonical, context, d,
                                       [](bool, uint32_t, const std::vector<std::string>&) {});
    if (!s.ok()) return s;
    d.pairs = PairUnmatched(d.left_matched, d.right_matched);
    return absl::OkStatus();
  }
  UnmatchedRowKeys keys(left.table, right.table, plan.candidates, plan.inferred);
  absl::Status s =
      MatchRowsMultiset(left, right, canonical, context, d,
                        [&](bool is_left, uint32_t row, const std::vector<std::string>& fields) {
                          keys.Add(is_left, row, fields);
                        });
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<KeyedPairing>> keyed =
      keys.Pair(d.left_matched, d.right_matched, context);
  if (!keyed.ok()) return keyed.status();
  if (!*keyed) {
    d.pairs = PairUnmatched(d.left_matched, d.right_matched);
    return absl::OkStatus();
  }
  d.key = plan.candidates[(*keyed)->key];
  d.key_inferred = plan.inferred;
  d.duplicate_keys = (*keyed)->duplicate_keys;
  d.pairs = std::move((*keyed)->pairs);
  return absl::OkStatus();
}

}  // namespace

absl::Status DiffRows(CsvSide& left, CsvSide& right, const KeyPlan& plan, size_t max_examples,
                      CompareContext& context, CsvTableDiff& d) {
  // Both sides' rows are hashed in one column order (the right's: a reordering must not change
  // a row's hash), so a side whose columns are all in it hashes plain rows from their text.
  if (absl::Status s = MatchRows(left, right, d.common, plan, context, d); !s.ok()) return s;
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

}  // namespace deltascope
