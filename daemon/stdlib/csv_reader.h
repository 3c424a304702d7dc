// Streaming CSV/TSV reading for the csv comparator: dialect sniffing (delimiter, header row) and
// a record parser that never holds more than one record. Fields come out as UTF-8: a field that
// is not valid UTF-8 is decoded as Windows-1252 (and the reader says so).
#ifndef DELTASCOPE_DAEMON_STDLIB_CSV_READER_H_
#define DELTASCOPE_DAEMON_STDLIB_CSV_READER_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/util/fd.h"

namespace deltascope {

// The longest record the reader accepts; longer ones fail with FailedPrecondition.
inline constexpr size_t kMaxCsvRecordBytes = 64u << 20;
// How much of a file the sniffer looks at.
inline constexpr size_t kCsvSniffBytes = 64u << 10;

struct CsvDialect {
  char delimiter = ',';  // ',', ';', '|' or '\t'
  bool header = true;    // the first record names the columns
};

// The delimiter a file's name suggests: '\t' for .tsv/.tab, '|' for .psv, else ','.
char PreferredDelimiter(std::string_view lower_path);

// Guesses the dialect from the first bytes of a file (`complete` when they are the whole file;
// a leading BOM is allowed). Fails with FailedPrecondition when the content is not a table:
// NUL bytes, an unterminated quote in a complete file, or records too ragged for any delimiter.
// Ties between delimiters go to `preferred`.
absl::StatusOr<CsvDialect> SniffCsvDialect(std::string_view head, bool complete, char preferred);

// Reads records one at a time, from a file or from memory. Quoting follows RFC 4180 ("" is a
// literal quote, quoted fields may hold delimiters and newlines), read leniently: text after a
// closing quote is kept, an unterminated quote runs to the end. Records end at \n, \r\n or \r;
// blank lines are skipped. A UTF-8 byte-order mark at the start is dropped.
class CsvReader {
 public:
  static absl::StatusOr<CsvReader> Open(const std::filesystem::path& path, char delimiter);
  static CsvReader FromString(std::string data, char delimiter);

  CsvReader(CsvReader&&) = default;
  CsvReader& operator=(CsvReader&&) = default;

  // Reads the next record into `fields`. Returns false at the end of the input.
  absl::StatusOr<bool> Next(std::vector<std::string>& fields);

  bool bom() const { return bom_; }
  // True once some field was not UTF-8 and was decoded as Windows-1252.
  bool used_windows1252() const { return used_windows1252_; }
  // True when the last record ended inside an unterminated quote.
  bool unterminated_quote() const { return unterminated_quote_; }

 private:
  CsvReader(UniqueFd fd, std::string buffer, bool eof, char delimiter);
  // Makes at least one unread byte available; false at end of input.
  absl::StatusOr<bool> Fill();
  absl::Status ReadQuoted(std::string& field);
  absl::Status ReadUnquoted(std::string& field);

  UniqueFd fd_;
  std::string buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
  char delimiter_;
  bool started_ = false;
  bool bom_ = false;
  bool used_windows1252_ = false;
  bool unterminated_quote_ = false;
  size_t record_bytes_ = 0;
};

// Appends `bytes`, read as Windows-1252, to `out` as UTF-8.
void AppendWindows1252AsUtf8(std::string_view bytes, std::string& out);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_READER_H_
