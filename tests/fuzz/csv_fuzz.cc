// CSV dialect sniffing and record parsing on arbitrary bytes: the first byte picks the preferred
// delimiter and whether the sniffer sees the whole input; the rest is the file. The fast record
// parser must read exactly the records CsvReader reads, and a record it takes as plain must hash
// from its text as from its fields; either mismatch aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/stdlib/csv_reader.h"
#include "daemon/stdlib/csv_record.h"
#include "daemon/stdlib/csv_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr char kDelimiters[] = {',', ';', '|', '\t'};
  const char preferred = kDelimiters[data[0] & 3];
  const bool complete = (data[0] & 4) == 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  absl::StatusOr<deltascope::CsvDialect> dialect =
      deltascope::SniffCsvDialect(text, complete, preferred);
  const char delimiter = dialect.ok() ? dialect->delimiter : preferred;
  deltascope::CsvReader reader = deltascope::CsvReader::FromString(std::string(text), delimiter);
  std::vector<std::string> fields;
  deltascope::CsvRecord record;
  std::string scratch;
  size_t pos = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // CsvReader drops a BOM, as the scan does
  // Each record consumes at least one byte, so this ends; the bound is a safety net.
  for (size_t records = 0; records <= size; ++records) {
    absl::StatusOr<bool> more = reader.Next(fields);
    if (!more.ok() || !*more) break;
    std::string_view plain_text;
    size_t plain_fields = 0;
    size_t plain_pos = pos;
    const bool plain = deltascope::ScanPlainCsvRecord(text, plain_pos, /*at_end=*/true, delimiter,
                                                      plain_text, plain_fields);
    if (deltascope::ParseCsvRecord(text, pos, /*at_end=*/true, delimiter, record) !=
        deltascope::CsvParse::kRecord) {
      std::abort();  // CsvReader read a record here
    }
    const std::vector<std::string> parsed(record.fields.begin(), record.fields.end());
    if (parsed != fields) std::abort();
    if (plain) {
      if (plain_pos != pos || plain_fields != fields.size()) std::abort();
      std::vector<int> identity(fields.size());
      std::iota(identity.begin(), identity.end(), 0);
      if (deltascope::HashRow(fields, identity, fields.size(), scratch, delimiter) !=
          deltascope::HashCsvRowText(plain_text)) {
        std::abort();
      }
    }
  }
  std::string utf8;
  deltascope::AppendWindows1252AsUtf8(text, utf8);
  return 0;
}
