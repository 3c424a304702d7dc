// A full pass over a csv table, parsed on every core: the file is cut into chunks at guessed
// record boundaries (the first line break past each cut), worker threads parse the chunks and
// run a per-row function on them, and the caller's visitor sees every row in file order on its
// own thread. A guess is checked once the previous chunk is parsed (its last record must end
// where the guess starts); a wrong guess (a line break inside a quoted field) is parsed again
// from the true boundary, so the rows, their numbers and their values are exactly those of one
// sequential pass, whatever the number of threads. Memory: a few chunks (4 MiB each) per thread.
#ifndef DELTASCOPE_DAEMON_STDLIB_CSV_SCAN_H_
#define DELTASCOPE_DAEMON_STDLIB_CSV_SCAN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "daemon/engine/compare_context.h"
#include "daemon/stdlib/csv_record.h"
#include "daemon/stdlib/csv_table.h"

namespace deltascope {

// What a worker computes for a row (the meaning is the caller's: a row hash, a lookup result).
struct CsvRowValue {
  uint64_t hash = 0;
  uint32_t lo = 0;
  uint32_t hi = 0;
};

// A row handed to the visitor: its fields are parsed again (as strings) only when asked for.
class CsvRowRef {
 public:
  CsvRowRef(std::string_view buffer, size_t pos, char delimiter)
      : buffer_(buffer), pos_(pos), delimiter_(delimiter) {}
  explicit CsvRowRef(const std::vector<std::string>* fields) : given_(fields) {}
  const std::vector<std::string>& fields() const;

 private:
  std::string_view buffer_;
  size_t pos_ = 0;
  char delimiter_ = ',';
  const std::vector<std::string>* given_ = nullptr;
  mutable std::vector<std::string> parsed_;
  mutable bool done_ = false;
};

// Runs on worker threads, concurrently: must only read shared state. `scratch` is the
// thread's own.
using CsvRowMapper = absl::FunctionRef<CsvRowValue(const std::vector<std::string_view>& fields,
                                                   std::string& scratch)>;
// Runs on worker threads after `map`, on a chunk's values at once (to batch lookups).
using CsvRowFinisher = absl::FunctionRef<void(CsvRowValue* values, size_t count)>;
// Runs on the calling thread, row by row in file order; false stops the pass.
using CsvRowVisitor =
    absl::FunctionRef<bool(uint32_t row, const CsvRowValue& value, const CsvRowRef& fields)>;

// Runs on worker threads in place of CsvRowMapper for a plain record (ScanPlainCsvRecord) with
// at least `min_fields` fields, on its text: for values that can be computed without splitting
// the record (HashCsvRowText), which is most of a pass's work.
struct CsvPlainRowMapper {
  absl::FunctionRef<CsvRowValue(std::string_view text)> map;
  size_t min_fields = 0;
};

struct CsvScanTuning {
  int threads = 0;                // 0: the run's --jobs (one per core by default)
  size_t chunk_bytes = 4u << 20;  // files up to this size are parsed on the calling thread
  // False: the mapper needs no fields (it gets none for plain rows, which are then only
  // delimited, not split: SkipPlainCsvRecord).
  bool fields = true;
  // Set: plain records with enough fields go to this mapper instead (it must give the value
  // `map` would).
  const CsvPlainRowMapper* plain = nullptr;
};

// Calls `visit` for each data row in file order (row 0 follows the header) with `map`'s value
// for it, until it returns false. Tables with comment lines are read by CsvReader on the calling
// thread. Fails as ScanCsvRows does.
absl::StatusOr<CsvScanInfo> ScanCsvRowsParallel(const CsvTable& table,
                                                const CompareContext& context, CsvRowMapper map,
                                                CsvRowVisitor visit, CsvScanTuning tuning = {});
// The same with `finish` run on each chunk's values after `map`.
absl::StatusOr<CsvScanInfo> ScanCsvRowsParallel(const CsvTable& table,
                                                const CompareContext& context, CsvRowMapper map,
                                                CsvRowFinisher finish, CsvRowVisitor visit,
                                                CsvScanTuning tuning = {});

// The threads a pass uses: the run's --jobs, else one per core.
int CsvScanThreads(const CompareContext& context);

// A mapper that computes nothing (for passes that only need the rows' fields).
CsvRowValue NoRowValue(const std::vector<std::string_view>& fields, std::string& scratch);
// A finisher that does nothing.
void NoFinish(CsvRowValue* values, size_t count);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_SCAN_H_
