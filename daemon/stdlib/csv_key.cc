#include "daemon/stdlib/csv_key.h"

#include <algorithm>
#include <numeric>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"

namespace deltascope {
namespace {

constexpr size_t kMaxKeyValueBytes = 256;

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The words of a column name: split at separators and at lower-to-upper case changes.
std::vector<std::string> NameWords(std::string_view name) {
  std::vector<std::string> words(1);
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_' || c == '-' || c == ' ' || c == '.' || c == '/') {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (i > 0 && absl::ascii_isupper(c) && absl::ascii_islower(name[i - 1]) &&
        !words.back().empty()) {
      words.emplace_back();
    }
    words.back().push_back(absl::ascii_tolower(c));
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

// [+-]digits[.digits][e[+-]digits], with a decimal point or an exponent.
bool IsDecimalFraction(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  const size_t int_start = i;
  while (i < v.size() && absl::ascii_isdigit(v[i])) ++i;
  bool digits = i > int_start;
  bool fraction = false;
  if (i < v.size() && v[i] == '.') {
    const size_t frac_start = ++i;
    while (i < v.size() && absl::ascii_isdigit(v[i])) ++i;
    fraction = true;
    digits = digits || i > frac_start;
  }
  if (!digits) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    const size_t exp_start = i;
    while (i < v.size() && absl::ascii_isdigit(v[i])) ++i;
    if (i == exp_start) return false;
    fraction = true;
  }
  return fraction && i == v.size();
}

}  // namespace

bool IsIdLikeColumnName(std::string_view name) {
  static const absl::flat_hash_set<std::string_view> kNames = {
      "id",   "key",  "code", "uuid",  "guid",       "uid", "pk",  "icao", "iata",
      "isbn", "issn", "doi",  "ident", "identifier", "sku", "ean", "gtin", "slug"};
  static const absl::flat_hash_set<std::string_view> kLastWords = {"id",   "key",  "code",
                                                                   "uuid", "guid", "uid"};
  const std::string lower = absl::AsciiStrToLower(std::string(Trim(name)));
  if (kNames.contains(lower) || lower.starts_with("iso")) return true;
  const std::vector<std::string> words = NameWords(name);
  return !words.empty() && kLastWords.contains(words.back());
}

std::vector<std::string> KeyCandidates(const std::vector<std::string>& columns) {
  std::vector<std::string> out;
  for (const std::string& c : columns) {
    if (out.size() == kMaxIdLikeCandidates) break;
    if (IsIdLikeColumnName(c)) out.push_back(c);
  }
  if (!columns.empty() && std::find(out.begin(), out.end(), columns[0]) == out.end()) {
    out.push_back(columns[0]);
  }
  return out;
}

bool PlausibleKeyValue(std::string_view value) {
  value = Trim(value);
  return !value.empty() && value.size() <= kMaxKeyValueBytes && !IsDecimalFraction(value);
}

absl::StatusOr<std::vector<std::string>> SampleKeyCandidates(
    const CsvTable& table, const std::vector<std::string>& candidates,
    const CompareContext& context, size_t rows) {
  const std::vector<int> positions = ColumnPositions(table, candidates);
  std::vector<absl::flat_hash_set<std::string>> seen(candidates.size());
  std::vector<bool> alive(candidates.size(), true);
  absl::StatusOr<CsvScanInfo> scan =
      ScanCsvRows(table, context, [&](uint32_t row, const std::vector<std::string>& fields) {
        for (size_t c = 0; c < candidates.size(); ++c) {
          if (!alive[c]) continue;
          const std::string_view v = FieldAt(fields, positions[c]);
          alive[c] = PlausibleKeyValue(v) && seen[c].emplace(v).second;
        }
        return row + 1 < rows;
      });
  if (!scan.ok()) return scan.status();
  std::vector<std::string> out;
  for (size_t c = 0; c < candidates.size(); ++c) {
    if (alive[c]) out.push_back(candidates[c]);
  }
  return out;
}

absl::StatusOr<KeyPlan> InferKeyCandidates(const CsvTable& left, const CsvTable& right,
                                           const std::vector<std::string>& common,
                                           const CompareContext& context) {
  std::vector<std::string> names = KeyCandidates(common);
  for (const CsvTable* table : {&left, &right}) {
    if (names.empty()) break;
    absl::StatusOr<std::vector<std::string>> kept = SampleKeyCandidates(*table, names, context);
    if (!kept.ok()) return kept.status();
    names = *std::move(kept);
  }
  KeyPlan plan;
  plan.inferred = true;
  for (std::string& name : names) plan.candidates.push_back({std::move(name)});
  return plan;
}

UnmatchedRowKeys::UnmatchedRowKeys(const CsvTable& left, const CsvTable& right,
                                   std::vector<std::vector<std::string>> candidates, bool inferred,
                                   size_t budget_bytes)
    : tables_{&left, &right},
      candidates_(std::move(candidates)),
      inferred_(inferred),
      budget_bytes_(budget_bytes) {
  for (int side = 0; side < 2; ++side) {
    for (const auto& key : candidates_) {
      positions_[side].push_back(ColumnPositions(*tables_[side], key));
    }
  }
  Clear();
}

void UnmatchedRowKeys::Clear() {
  for (Gathered& g : gathered_) {
    g = Gathered{};
    g.keys.resize(candidates_.size());
    g.implausible.assign(candidates_.size(), false);
  }
}

uint64_t UnmatchedRowKeys::KeyHash(int side, size_t candidate,
                                   const std::vector<std::string>& fields) {
  return HashRow(fields, positions_[side][candidate], SIZE_MAX, scratch_);
}

void UnmatchedRowKeys::Gather(int side, uint32_t row, const std::vector<std::string>& fields,
                              size_t candidates) {
  Gathered& g = gathered_[side];
  g.rows.push_back(row);
  for (size_t c = 0; c < candidates; ++c) {
    g.keys[c].push_back(KeyHash(side, c, fields));
    if (inferred_ && !g.implausible[c]) {
      for (int p : positions_[side][c]) {
        const std::string_view v = FieldAt(fields, p);
        if (!PlausibleKeyValue(v)) g.implausible[c] = true;
      }
    }
  }
}

void UnmatchedRowKeys::Add(bool left_side, uint32_t row, const std::vector<std::string>& fields) {
  if (overflowed_) return;
  Gather(left_side ? 0 : 1, row, fields, candidates_.size());
  const size_t rows = gathered_[0].rows.size() + gathered_[1].rows.size();
  if (rows * (sizeof(uint32_t) * 2 + sizeof(uint64_t) * candidates_.size()) > budget_bytes_) {
    overflowed_ = true;  // gathered again in slices by Pair()
    Clear();
  }
}

std::optional<KeyedPairing> UnmatchedRowKeys::PairGathered(size_t candidates) const {
  for (size_t c = 0; c < candidates; ++c) {
    if (inferred_ && (gathered_[0].implausible[c] || gathered_[1].implausible[c])) continue;
    // Each side's rows by (key, file order), and how many repeat the key before them.
    std::vector<uint32_t> order[2];
    uint64_t duplicates = 0;
    for (int side = 0; side < 2; ++side) {
      const std::vector<uint64_t>& keys = gathered_[side].keys[c];
      order[side].resize(keys.size());
      std::iota(order[side].begin(), order[side].end(), 0u);
      std::sort(order[side].begin(), order[side].end(), [&](uint32_t a, uint32_t b) {
        return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
      });
      for (size_t i = 1; i < order[side].size(); ++i) {
        duplicates += keys[order[side][i]] == keys[order[side][i - 1]];
      }
    }
    if (inferred_ && duplicates > 0) continue;
    KeyedPairing out;
    out.key = c;
    out.duplicate_keys = duplicates;
    const std::vector<uint64_t>& lkeys = gathered_[0].keys[c];
    const std::vector<uint64_t>& rkeys = gathered_[1].keys[c];
    for (size_t i = 0, j = 0; i < order[0].size() && j < order[1].size();) {
      const uint64_t a = lkeys[order[0][i]];
      const uint64_t b = rkeys[order[1][j]];
      if (a < b) {
        ++i;
      } else if (b < a) {
        ++j;
      } else {
        out.pairs.push_back({gathered_[0].rows[order[0][i++]], gathered_[1].rows[order[1][j++]]});
      }
    }
    std::sort(out.pairs.begin(), out.pairs.end(),
              [](const RowPair& a, const RowPair& b) { return a.left < b.left; });
    return out;
  }
  return std::nullopt;
}

absl::StatusOr<std::optional<KeyedPairing>> UnmatchedRowKeys::Pair(
    const std::vector<bool>& left_matched, const std::vector<bool>& right_matched,
    const CompareContext& context) {
  if (!overflowed_) return PairGathered(candidates_.size());
  // Too many unpaired rows to hold at once: one slice of the best candidate's key hashes at a
  // time (equal keys fall in the same slice), each slice reading both files.
  const uint64_t unpaired = std::count(left_matched.begin(), left_matched.end(), false) +
                            std::count(right_matched.begin(), right_matched.end(), false);
  const uint64_t per_row = sizeof(uint32_t) * 2 + sizeof(uint64_t);
  const uint64_t slices = std::max<uint64_t>(1, (unpaired * per_row) / budget_bytes_ + 1);
  KeyedPairing all;
  for (uint64_t slice = 0; slice < slices; ++slice) {
    Clear();
    for (int side = 0; side < 2; ++side) {
      const std::vector<bool>& matched = side == 0 ? left_matched : right_matched;
      absl::StatusOr<CsvScanInfo> scan = ScanCsvRows(
          *tables_[side], context, [&](uint32_t row, const std::vector<std::string>& fields) {
            if (row < matched.size() && !matched[row] &&
                KeyHash(side, 0, fields) % slices == slice) {
              Gather(side, row, fields, 1);
            }
            return true;
          });
      if (!scan.ok()) return scan.status();
    }
    std::optional<KeyedPairing> part = PairGathered(1);
    if (!part) return std::nullopt;
    all.duplicate_keys += part->duplicate_keys;
    all.pairs.insert(all.pairs.end(), part->pairs.begin(), part->pairs.end());
  }
  Clear();
  std::sort(all.pairs.begin(), all.pairs.end(),
            [](const RowPair& a, const RowPair& b) { return a.left < b.left; });
  return all;
}

}  // namespace deltascope
