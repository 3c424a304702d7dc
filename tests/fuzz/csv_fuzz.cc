// CSV dialect sniffing and record parsing on arbitrary bytes: the first byte picks the preferred
// delimiter and whether the sniffer sees the whole input; the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/stdlib/csv_reader.h"

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
  // Each record consumes at least one byte, so this ends; the bound is a safety net.
  for (size_t records = 0; records <= size; ++records) {
    absl::StatusOr<bool> more = reader.Next(fields);
    if (!more.ok() || !*more) break;
  }
  std::string utf8;
  deltascope::AppendWindows1252AsUtf8(text, utf8);
  return 0;
}
