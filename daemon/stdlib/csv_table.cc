#include "daemon/stdlib/csv_table.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <numeric>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/stdlib/csv_scan.h"

namespace deltascope {
namespace {

constexpr uint32_t kCancelCheckRows = 1u << 16;
// Runs of equal row hashes longer than this are tracked by a count, not by bits.
constexpr uint32_t kShortRun = 64;

uint64_t HashCell(const std::vector<std::string>& fields, int position) {
  if (position < 0 || static_cast<size_t>(position) >= fields.size()) return XXH3_64bits("", 0);
  const std::string& v = fields[static_cast<size_t>(position)];
  return XXH3_64bits(v.data(), v.size());
}

// Row indices ordered by (hash, index).
std::vector<uint32_t> SortedOrder(const std::vector<uint64_t>& hashes) {
  std::vector<uint32_t> order(hashes.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return hashes[a] != hashes[b] ? hashes[a] < hashes[b] : a < b;
  });
  return order;
}

}  // namespace

absl::StatusOr<CsvDialect> SniffCsvFile(const std::filesystem::path& path,
                                        std::string_view lower_path) {
  absl::StatusOr<UniqueFd> fd = OpenForReading(path);
  if (!fd.ok()) return fd.status();
  std::string head(kCsvSniffBytes + 1, '\0');
  absl::StatusOr<size_t> n = ReadFully(fd->get(), head.data(), head.size());
  if (!n.ok()) return n.status();
  const bool complete = *n <= kCsvSniffBytes;
  head.resize(std::min(*n, kCsvSniffBytes));
  return SniffCsvDialect(head, complete, PreferredDelimiter(lower_path));
}

absl::Status ReadCsvColumns(CsvTable& table) {
  absl::StatusOr<CsvReader> reader = CsvReader::Open(table.path, table.dialect);
  if (!reader.ok()) return reader.status();
  std::vector<std::string> first;
  absl::StatusOr<bool> any = reader->Next(first);
  if (!any.ok()) return any.status();
  table.bom = reader->bom();
  table.columns.clear();
  if (!*any) return absl::OkStatus();
  if (table.dialect.comment_header) {  // the first record is data: the names are in a comment
    CsvReader names = CsvReader::FromString(reader->header_comment(), table.dialect.delimiter);
    if (absl::StatusOr<bool> named = names.Next(first); !named.ok()) return named.status();
  }
  absl::flat_hash_map<std::string, int> seen;
  for (size_t i = 0; i < first.size(); ++i) {
    if (!table.dialect.header) {
      table.columns.push_back(absl::StrCat(i + 1));
      continue;
    }
    int n = ++seen[first[i]];
    table.columns.push_back(n == 1 ? first[i] : absl::StrCat(first[i], "#", n));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> CountCsvRow(CsvScanInfo& info, const CompareContext& context) {
  if (info.rows >= UINT32_MAX) return absl::FailedPreconditionError("more than 4294967295 rows");
  const auto row = static_cast<uint32_t>(info.rows++);
  if (row % kCancelCheckRows == 0 && context.cancelled()) {
    return absl::CancelledError("diff cancelled");
  }
  return row;
}

absl::StatusOr<CsvScanInfo> ScanCsvRows(
    const CsvTable& table, const CompareContext& context,
    absl::FunctionRef<bool(uint32_t row, const std::vector<std::string>& fields)> visit) {
  absl::StatusOr<CsvReader> reader = CsvReader::Open(table.path, table.dialect);
  if (!reader.ok()) return reader.status();
  CsvScanInfo info;
  std::vector<std::string> fields;
  bool header = table.dialect.header && !table.dialect.comment_header;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (header) {
      header = false;
      continue;
    }
    absl::StatusOr<uint32_t> row = CountCsvRow(info, context);
    if (!row.ok()) return row.status();
    if (!visit(*row, fields)) break;
  }
  info.windows1252 = reader->used_windows1252();
  info.comment_lines = reader->comment_lines();
  info.comment_hashes = reader->comment_hashes();
  info.comment_digest = reader->comment_digest();
  return info;
}

std::string_view FieldAt(const std::vector<std::string>& fields, int position) {
  if (position < 0 || static_cast<size_t>(position) >= fields.size()) return {};
  return fields[position];
}

std::string_view FieldAt(const std::vector<std::string_view>& fields, int position) {
  if (position < 0 || static_cast<size_t>(position) >= fields.size()) return {};
  return fields[position];
}

std::vector<int> ColumnPositions(const CsvTable& table,
                                 const std::vector<std::string>& column_ids) {
  std::vector<int> positions;
  positions.reserve(column_ids.size());
  // Mostly the ids are the table's own columns in its order: check in place first, and build
  // the index only at the first id that is elsewhere (a million-column index costs ~0.3 s). An
  // id found at its own place keeps that place (for a rare duplicate id, as from the header
  // "a,a,a#2", the column at the same place rather than the first).
  absl::flat_hash_map<absl::string_view, int> first;  // name -> first position, like std::find
  for (size_t i = 0; i < column_ids.size(); ++i) {
    const std::string& id = column_ids[i];
    if (first.empty()) {
      if (i < table.columns.size() && table.columns[i] == id) {
        positions.push_back(static_cast<int>(i));
        continue;
      }
      // A hash index, not a search per column: 100,000 columns took minutes (quadratic).
      first.reserve(table.columns.size());
      for (size_t c = 0; c < table.columns.size(); ++c) {
        first.emplace(absl::string_view(table.columns[c]), static_cast<int>(c));
      }
    }
    auto it = first.find(absl::string_view(id));
    positions.push_back(it == first.end() ? -1 : it->second);
  }
  return positions;
}

namespace {

// True when `value` holds `separator`, a quote or a line break: 8 bytes at a time (a zero byte
// of word ^ pattern marks a match). Whole loads only, overlapping at the end (a word built by a
// short memcpy stalls the load that reads it back); a short value's unused bytes are zero, never
// one of them.
bool NeedsQuoting(std::string_view value, char separator) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const uint64_t ps = kOnes * static_cast<unsigned char>(separator);
  const uint64_t pq = kOnes * '"', pr = kOnes * '\r', pn = kOnes * '\n';
  auto special = [&](uint64_t w) {
    auto has_zero = [](uint64_t x) { return ((x - kOnes) & ~x & kHighs) != 0; };
    return has_zero(w ^ ps) | has_zero(w ^ pq) | has_zero(w ^ pr) | has_zero(w ^ pn);
  };
  const char* p = value.data();
  const size_t n = value.size();
  if (n >= 8) {
    uint64_t w;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      if (special(w)) return true;
    }
    std::memcpy(&w, p + n - 8, 8);
    return special(w);
  }
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return special(a | uint64_t{b} << 32);
  }
  if (n == 0) return false;
  const auto byte = [&](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
  return special(byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16);
}

// `value` as a field of a line separated by `separator`: quoted (quotes doubled) only when it
// must be.
void AppendCsvField(std::string_view value, char separator, std::string& out) {
  if (!NeedsQuoting(value, separator)) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

template <typename Fields>
uint64_t HashRowOf(const Fields& fields, const std::vector<int>& positions, size_t width,
                   std::string& scratch, char separator) {
  scratch.clear();
  for (size_t i = 0; i < positions.size(); ++i) {
    if (i > 0) scratch.push_back(separator);
    AppendCsvField(FieldAt(fields, positions[i]), separator, scratch);
  }
  for (size_t i = width; i < fields.size(); ++i) {  // a ragged tail
    scratch.push_back(separator);
    AppendCsvField(fields[i], separator, scratch);
  }
  return HashCsvRowText(scratch);
}

}  // namespace

uint64_t HashRow(const std::vector<std::string>& fields, const std::vector<int>& positions,
                 size_t width, std::string& scratch, char separator) {
  return HashRowOf(fields, positions, width, scratch, separator);
}

uint64_t HashRow(const std::vector<std::string_view>& fields, const std::vector<int>& positions,
                 size_t width, std::string& scratch, char separator) {
  return HashRowOf(fields, positions, width, scratch, separator);
}

uint64_t HashCsvRowText(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

bool RowHashFromText(const CsvTable& table, const std::vector<int>& positions, char separator) {
  if (table.dialect.delimiter != separator || positions.empty() ||
      positions.size() != table.columns.size()) {
    return false;
  }
  for (size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] != static_cast<int>(i)) return false;
  }
  return true;
}

void MatchMultiset(const std::vector<uint64_t>& left, const std::vector<uint64_t>& right,
                   std::vector<bool>& left_matched, std::vector<bool>& right_matched) {
  left_matched.assign(left.size(), false);
  right_matched.assign(right.size(), false);
  const std::vector<uint32_t> lo = SortedOrder(left);
  const std::vector<uint32_t> ro = SortedOrder(right);
  for (size_t i = 0, j = 0; i < lo.size() && j < ro.size();) {
    const uint64_t a = left[lo[i]];
    const uint64_t b = right[ro[j]];
    if (a < b) {
      ++i;
    } else if (b < a) {
      ++j;
    } else {
      left_matched[lo[i++]] = true;
      right_matched[ro[j++]] = true;
    }
  }
}

namespace {

// Sorts hashes that share their top byte: two stable counting passes on the next two bytes
// (through `tmp`), then an insertion sort, which finds them nearly sorted (hashes sharing 24 top
// bits are few). Crafted hashes that would make it quadratic, or a bucket larger than even 2^27
// rows give (crafted too: `tmp` stays under 8 MB a thread), get std::sort.
void SortBucket(uint64_t* a, size_t n, std::vector<uint64_t>& tmp) {
  if (n < 256 || n > (size_t{1} << 20)) {
    std::sort(a, a + n);
    return;
  }
  tmp.resize(n);
  uint64_t* src = a;
  uint64_t* dst = tmp.data();
  for (int shift : {40, 48}) {
    std::array<size_t, 257> start{};
    for (size_t i = 0; i < n; ++i) ++start[((src[i] >> shift) & 0xFF) + 1];
    for (size_t b = 1; b <= 256; ++b) start[b] += start[b - 1];
    for (size_t i = 0; i < n; ++i) dst[start[(src[i] >> shift) & 0xFF]++] = src[i];
    std::swap(src, dst);  // two passes: the result is back in `a`
  }
  size_t moves = 0;
  for (size_t i = 1; i < n; ++i) {
    const uint64_t v = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1] > v; --j) a[j] = a[j - 1];
    a[j] = v;
    moves += i - j;
    if (moves > 8 * n) {
      std::sort(a, a + n);
      return;
    }
  }
}

// Sorts hashes (spread evenly over 64 bits): an in-place radix pass on the top byte (American
// flag sort), then the 256 buckets, each small enough for the caches, on `threads` threads.
void SortHashes(std::vector<uint64_t>& a, int threads) {
  if (a.size() < (1u << 16)) {
    std::sort(a.begin(), a.end());
    return;
  }
  std::array<size_t, 257> start{};
  for (uint64_t v : a) ++start[(v >> 56) + 1];
  for (size_t b = 1; b <= 256; ++b) start[b] += start[b - 1];
  std::array<size_t, 256> next;
  std::copy(start.begin(), start.end() - 1, next.begin());
  for (size_t b = 0; b < 256; ++b) {
    while (next[b] < start[b + 1]) {
      const size_t t = a[next[b]] >> 56;
      if (t == b) {
        ++next[b];
      } else {
        std::swap(a[next[b]], a[next[t]++]);
      }
    }
  }
  std::atomic<size_t> bucket{0};
  auto work = [&] {
    std::vector<uint64_t> tmp;
    for (size_t b; (b = bucket.fetch_add(1)) < 256;) {
      SortBucket(a.data() + start[b], start[b + 1] - start[b], tmp);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace

SortedMultisetMatcher::SortedMultisetMatcher(std::vector<uint64_t> held, int threads)
    : hashes_(std::move(held)) {
  SortHashes(hashes_, threads);
  // About 16 hashes a bucket: a lookup reads one directory entry and a cache line or two.
  int bits = 0;
  while (bits < 24 && (size_t{16} << bits) < hashes_.size()) ++bits;
  shift_ = 64 - bits;
  const size_t buckets = size_t{1} << bits;
  directory_.assign(buckets + 1, static_cast<uint32_t>(hashes_.size()));
  size_t b = 0;
  for (size_t i = 0; i < hashes_.size(); ++i) {
    const size_t bucket = bits == 0 ? 0 : static_cast<size_t>(hashes_[i] >> shift_);
    while (b <= bucket) directory_[b++] = static_cast<uint32_t>(i);
  }
  for (Claims* c : {&paired_, &seen_}) c->bits.assign((hashes_.size() + 63) / 64, 0);
}

bool SortedMultisetMatcher::Find(uint64_t hash, uint32_t& lo, uint32_t& hi) const {
  const size_t bucket = Bucket(hash);
  return FindIn(hash, directory_[bucket], directory_[bucket + 1], lo, hi);
}

bool SortedMultisetMatcher::FindIn(uint64_t hash, uint32_t a, const uint32_t e, uint32_t& lo,
                                   uint32_t& hi) const {
  if (e - a <= kShortRun) {  // the usual bucket (~16 hashes): a scan, no branchy search
    while (a < e && hashes_[a] < hash) ++a;
    if (a == e || hashes_[a] != hash) return false;
    lo = a;
    while (a < e && hashes_[a] == hash) ++a;
    hi = a;
    return true;
  }
  const auto first = hashes_.begin() + a;
  const auto last = hashes_.begin() + e;
  const auto it = std::lower_bound(first, last, hash);
  if (it == last || *it != hash) return false;
  lo = static_cast<uint32_t>(it - hashes_.begin());
  hi = static_cast<uint32_t>(std::upper_bound(it, last, hash) - hashes_.begin());
  return true;
}

int64_t SortedMultisetMatcher::Claims::Take(uint32_t lo, uint32_t hi) {
  if (hi - lo > kShortRun) {
    uint32_t& taken = long_runs[lo];
    return taken < hi - lo ? int64_t{lo} + taken++ : -1;
  }
  for (uint32_t p = lo; p < hi; ++p) {
    uint64_t& word = bits[p / 64];
    const uint64_t bit = uint64_t{1} << (p % 64);
    if (!(word & bit)) {
      word |= bit;
      return p;
    }
  }
  return -1;
}

bool SortedMultisetMatcher::Claims::Taken(uint32_t pos, uint32_t lo, uint32_t hi) const {
  if (hi - lo > kShortRun) {
    auto it = long_runs.find(lo);
    return it != long_runs.end() && pos - lo < it->second;
  }
  return bits[pos / 64] & (uint64_t{1} << (pos % 64));
}

bool SortedMultisetMatcher::MatchStreamed(uint64_t hash) {
  uint32_t lo = 0, hi = 0;
  const bool found = Find(hash, lo, hi);
  return MatchStreamedAt(found, lo, hi);
}

bool SortedMultisetMatcher::MatchStreamedAt(bool found, uint32_t lo, uint32_t hi) {
  if (!found || paired_.Take(lo, hi) < 0) return false;
  ++paired_count_;
  return true;
}

bool SortedMultisetMatcher::HeldMatched(uint64_t hash) {
  uint32_t lo = 0, hi = 0;
  const bool found = Find(hash, lo, hi);
  return HeldMatchedAt(found, lo, hi);
}

bool SortedMultisetMatcher::HeldMatchedAt(bool found, uint32_t lo, uint32_t hi) {
  if (!found) return false;  // cannot happen for a held row
  // The k-th held row (in file order) with this hash matched iff k < the run's paired count:
  // pairs were taken from the run's start, so that is position lo + k.
  const int64_t pos = seen_.Take(lo, hi);
  return pos >= 0 && paired_.Taken(static_cast<uint32_t>(pos), lo, hi);
}

std::optional<UnpairedHeldRows> SortedMultisetMatcher::Unpaired(size_t max_hashes) const {
  UnpairedHeldRows out;
  size_t count = 0;
  for (size_t lo = 0, hi; lo < hashes_.size(); lo = hi) {
    for (hi = lo + 1; hi < hashes_.size() && hashes_[hi] == hashes_[lo];) ++hi;
    const auto a = static_cast<uint32_t>(lo), b = static_cast<uint32_t>(hi);
    uint32_t paired = 0;  // taken from the run's start
    while (paired < b - a && paired_.Taken(a + paired, a, b)) ++paired;
    if (paired == b - a) continue;
    if (++count > max_hashes) return std::nullopt;
    out.runs_[hashes_[lo]] = {paired};
  }
  int bits = 16;  // about 8 filter bits per hash
  while (bits < 30 && (size_t{1} << bits) < 8 * out.runs_.size()) ++bits;
  out.shift_ = 64 - bits;
  out.filter_.assign((size_t{1} << bits) / 64, 0);
  for (const auto& [hash, run] : out.runs_) {
    const uint64_t bit = hash >> out.shift_;
    out.filter_[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  return out;
}

bool UnpairedHeldRows::Matched(uint64_t hash) {
  const uint64_t bit = hash >> shift_;
  if (!(filter_[bit / 64] & (uint64_t{1} << (bit % 64)))) return true;
  auto it = runs_.find(hash);
  if (it == runs_.end()) return true;  // every row of that hash was paired
  return it->second.seen++ < it->second.paired;
}

std::vector<RowPair> PairUnmatched(const std::vector<bool>& left_matched,
                                   const std::vector<bool>& right_matched) {
  std::vector<RowPair> pairs;
  // Moves `i` to the next unmatched row, counting the matched rows passed in `gap`.
  auto advance = [](const std::vector<bool>& matched, size_t& i, uint64_t& gap) {
    while (i < matched.size() && matched[i]) {
      ++gap;
      ++i;
    }
  };
  size_t i = 0, j = 0;
  uint64_t left_gap = 0, right_gap = 0;
  while (true) {
    advance(left_matched, i, left_gap);
    advance(right_matched, j, right_gap);
    if (i >= left_matched.size() || j >= right_matched.size()) break;
    if (left_gap == right_gap) {
      pairs.push_back({static_cast<uint32_t>(i++), static_cast<uint32_t>(j++)});
    } else if (left_gap < right_gap) {
      ++i;
    } else {
      ++j;
    }
  }
  return pairs;
}

absl::StatusOr<CellDiff> CompareCells(const CsvTable& left, const CsvTable& right,
                                      const std::vector<std::string>& column_ids,
                                      const std::vector<RowPair>& pairs, size_t max_examples,
                                      bool reject_unlike, const CompareContext& context,
                                      size_t cell_budget) {
  const std::vector<int> lpos = ColumnPositions(left, column_ids);
  const std::vector<int> rpos = ColumnPositions(right, column_ids);
  const size_t ncols = column_ids.size();
  const uint32_t tolerated = static_cast<uint32_t>(std::max<size_t>(1, ncols / 2));
  CellDiff out;
  out.changed.assign(pairs.size(), 0);
  if (ncols == 0 || pairs.empty()) return out;
  auto trim_examples = [&] {
    std::sort(out.examples.begin(), out.examples.end(),
              [](const CellDiff::Cell& a, const CellDiff::Cell& b) {
                return a.pair != b.pair ? a.pair < b.pair : a.column < b.column;
              });
    if (out.examples.size() > max_examples) out.examples.resize(max_examples);
  };
  const size_t batch = std::max<size_t>(1, cell_budget / ncols);
  for (size_t start = 0; start < pairs.size(); start += batch) {
    const size_t end = std::min(pairs.size(), start + batch);
    std::vector<uint64_t> cells((end - start) * ncols);
    size_t k = start;
    absl::StatusOr<CsvScanInfo> scan = ScanCsvRowsParallel(
        left, context, NoRowValue,
        [&](uint32_t row, const CsvRowValue&, const CsvRowRef& ref) {
          if (pairs[k].left != row) return true;
          const std::vector<std::string>& fields = ref.fields();
          for (size_t c = 0; c < ncols; ++c)
            cells[(k - start) * ncols + c] = HashCell(fields, lpos[c]);
          return ++k < end;
        },
        CsvScanTuning{.fields = false});
    if (!scan.ok()) return scan.status();
    std::vector<uint32_t> by_right(end - start);
    std::iota(by_right.begin(), by_right.end(), static_cast<uint32_t>(start));
    std::sort(by_right.begin(), by_right.end(),
              [&](uint32_t a, uint32_t b) { return pairs[a].right < pairs[b].right; });
    size_t m = 0;
    scan = ScanCsvRowsParallel(
        right, context, NoRowValue,
        [&](uint32_t row, const CsvRowValue&, const CsvRowRef& ref) {
          const uint32_t p = by_right[m];
          if (pairs[p].right != row) return true;
          const std::vector<std::string>& fields = ref.fields();
          const uint64_t* before = &cells[(p - start) * ncols];
          uint32_t changed = 0;
          for (size_t c = 0; c < ncols; ++c) changed += before[c] != HashCell(fields, rpos[c]);
          if (reject_unlike && changed > tolerated) {
            out.changed[p] = CellDiff::kUnlike;
          } else {
            out.changed[p] = changed;
            for (size_t c = 0; c < ncols && out.examples.size() < 2 * max_examples + ncols; ++c) {
              if (before[c] != HashCell(fields, rpos[c])) {
                out.examples.push_back({p, static_cast<uint32_t>(c)});
              }
            }
            if (out.examples.size() >= 2 * max_examples) trim_examples();
          }
          return ++m < by_right.size();
        },
        CsvScanTuning{.fields = false});
    if (!scan.ok()) return scan.status();
  }
  trim_examples();
  return out;
}

absl::StatusOr<std::map<uint32_t, std::vector<std::string>>> FetchRows(
    const CsvTable& table, std::vector<uint32_t> rows, const CompareContext& context) {
  std::map<uint32_t, std::vector<std::string>> out;
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  if (rows.empty()) return out;
  size_t k = 0;
  absl::StatusOr<CsvScanInfo> scan =
      ScanCsvRows(table, context, [&](uint32_t row, const std::vector<std::string>& fields) {
        if (rows[k] != row) return true;
        out.emplace(row, fields);
        return ++k < rows.size();
      });
  if (!scan.ok()) return scan.status();
  return out;
}

}  // namespace deltascope
