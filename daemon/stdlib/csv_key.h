// Key columns for the csv comparator: which column identifies a row when none is given (key
// inference), and the pairing by key of the rows that content matching left unpaired, in
// bounded memory. Rows present unchanged on both sides never need a key: they pair by content.
#ifndef DELTASCOPE_DAEMON_STDLIB_CSV_KEY_H_
#define DELTASCOPE_DAEMON_STDLIB_CSV_KEY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/compare_context.h"
#include "daemon/stdlib/csv_table.h"

namespace deltascope {

// Rows of each side whose values an inferred key must pass before any full pass.
inline constexpr size_t kKeySampleRows = 1000;
// Id-like columns tried as an inferred key (then the first column).
inline constexpr size_t kMaxIdLikeCandidates = 8;
// Memory for the unpaired rows' keys; past it they are gathered again per slice of key hashes.
inline constexpr size_t kKeyPairingBudget = 48u << 20;

// True for column names that usually hold identifiers: `id`, `key`, `code`, `uuid`, `icao`,
// `iata`, `sku`, ..., names whose last word is one of id/key/code/uuid/guid/uid (`country_id`,
// `userId`, `Postal Code`), and names starting with `iso` (`iso_a2`, `ISO3166`).
bool IsIdLikeColumnName(std::string_view name);

// The columns worth trying as an inferred key, best first: the id-like names among `columns`
// (in order, at most kMaxIdLikeCandidates), then the first column.
std::vector<std::string> KeyCandidates(const std::vector<std::string>& columns);

// True when `value` can belong to an inferred key: not blank, at most 256 bytes, and not a
// decimal fraction ("0.25", "-1.5e3": measurements, distinct by chance).
bool PlausibleKeyValue(std::string_view value);

// The candidates whose values are plausible and distinct in the first `rows` data rows.
absl::StatusOr<std::vector<std::string>> SampleKeyCandidates(
    const CsvTable& table, const std::vector<std::string>& candidates,
    const CompareContext& context, size_t rows = kKeySampleRows);

// The keys to try on a pair of tables, best first (empty: rows pair by content and position).
struct KeyPlan {
  std::vector<std::vector<std::string>> candidates;
  bool inferred = false;  // the candidates are guesses (KeyCandidates), not a given key
};

// The inferred-key candidates of two tables with a header: KeyCandidates(common) whose values
// pass the sample (SampleKeyCandidates) on both sides.
absl::StatusOr<KeyPlan> InferKeyCandidates(const CsvTable& left, const CsvTable& right,
                                           const std::vector<std::string>& common,
                                           const CompareContext& context);

// Rows paired by key.
struct KeyedPairing {
  size_t key = 0;              // index of the candidate used
  std::vector<RowPair> pairs;  // by left row
  uint64_t duplicate_keys = 0;
};

// Gathers, for each candidate key, the key hashes of the rows that content matching leaves
// unpaired (in file order on each side, as the matcher streams them), then picks the first
// candidate that works and pairs rows by it: equal keys pair up, repeated keys in file order.
// An inferred candidate works when its values are plausible and distinct on each side; a given
// key always works (its repeats are counted as duplicate_keys).
class UnmatchedRowKeys {
 public:
  UnmatchedRowKeys(const CsvTable& left, const CsvTable& right,
                   std::vector<std::vector<std::string>> candidates, bool inferred,
                   size_t budget_bytes = kKeyPairingBudget);

  // An unpaired row of one side; rows come in file order per side.
  void Add(bool left_side, uint32_t row, const std::vector<std::string>& fields);

  // Once the matched flags are final. Past the memory budget the files are read again, once
  // per slice of key hashes, with the best candidate only. nullopt: no candidate works.
  absl::StatusOr<std::optional<KeyedPairing>> Pair(const std::vector<bool>& left_matched,
                                                   const std::vector<bool>& right_matched,
                                                   const CompareContext& context);

 private:
  struct Gathered {
    std::vector<uint32_t> rows;
    std::vector<std::vector<uint64_t>> keys;  // per candidate, parallel to rows
    std::vector<bool> implausible;            // per candidate
  };
  void Clear();
  uint64_t KeyHash(int side, size_t candidate, const std::vector<std::string>& fields);
  // Gathers the row's keys for the first `candidates` candidates.
  void Gather(int side, uint32_t row, const std::vector<std::string>& fields, size_t candidates);
  // The first working candidate's pairs for the rows gathered now; nullopt when none works.
  std::optional<KeyedPairing> PairGathered(size_t candidates) const;

  const CsvTable* tables_[2];
  std::vector<std::vector<std::string>> candidates_;
  std::vector<std::vector<int>> positions_[2];  // per side, per candidate
  bool inferred_;
  size_t budget_bytes_;
  bool overflowed_ = false;
  Gathered gathered_[2];
  std::string scratch_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_KEY_H_
