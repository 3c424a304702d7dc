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
  bool header = true;    // the first record (or, with comment_header, a comment) names the columns
  // Lines starting with '#' are comments, not records: set when the file's first lines are.
  bool comments = false;
  // The last comment line before the first record is the header ("#id,name"), '#' dropped.
  bool comment_header = false;
};

// Comment lines whose hashes a reader keeps (beyond it, only their count and digest).
inline constexpr size_t kMaxCommentHashes = 1u << 16;

// The delimiter a file's name suggests: '\t' for .tsv/.tab, '|' for .psv, else ','.
char PreferredDelimiter(std::string_view lower_path);

// Guesses the dialect from the first bytes of a file (`complete` when they are the whole file;
// a leading BOM is allowed). Fails with FailedPrecondition when the content is not a table:
// NUL bytes, an unterminated quote in a complete file, or records too ragged for any delimiter.
// Ties between delimiters go to `preferred`. Comments: when the first lines start with '#' and
// records follow them, every '#' line is a comment; the last leading one is the header when the
// first record is not one and it names as many columns as the records hold ("#id\tname").
absl::StatusOr<CsvDialect> SniffCsvDialect(std::string_view head, bool complete, char preferred);

// Reads records one at a time, from a file or from memory. Quoting follows RFC 4180 ("" is a
// literal quote, quoted fields may hold delimiters and newlines), read leniently: text after a
// closing quote is kept, an unterminated quote runs to the end. Records end at \n, \r\n or \r;
// blank lines are skipped. A UTF-8 byte-order mark at the start is dropped.
class CsvReader {
 public:
  static absl::StatusOr<CsvReader> Open(const std::filesystem::path& path, char delimiter);
  // With the dialect's delimiter and comment settings.
  static absl::StatusOr<CsvReader> Open(const std::filesystem::path& path,
                                        const CsvDialect& dialect);
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

  // With `comments`, a line starting with '#' where a record would start is a comment: read as
  // raw text to the end of the line (quotes mean nothing there), counted, hashed, and never
  // returned as a record. With `header_in_comment` too, the last comment line before the first
  // record is not a comment but the header's text: header_comment().
  void SetComments(bool comments, bool header_in_comment);
  // Comment lines read so far (header_comment() not included).
  uint64_t comment_lines() const { return comment_lines_; }
  // Hashes of the first kMaxCommentHashes comment lines, in order.
  const std::vector<uint64_t>& comment_hashes() const { return comment_hashes_; }
  // An order-sensitive digest of every comment line.
  uint64_t comment_digest() const { return comment_digest_; }
  // The header comment without its leading '#'s and spaces, once the first record was read.
  const std::string& header_comment() const { return header_comment_; }

 private:
  CsvReader(UniqueFd fd, std::string buffer, bool eof, char delimiter);
  // Makes at least one unread byte available; false at end of input.
  absl::StatusOr<bool> Fill();
  absl::Status ReadQuoted(std::string& field);
  absl::Status ReadUnquoted(std::string& field);
  absl::Status ReadComment();
  void AddComment(std::string_view line);

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
  bool comments_ = false;
  bool header_in_comment_ = false;
  bool seen_record_ = false;
  bool comment_pending_ = false;  // the last leading comment, which may be the header
  std::string comment_;           // the comment line being read
  std::string header_comment_;
  uint64_t comment_lines_ = 0;
  uint64_t comment_digest_ = 0;
  std::vector<uint64_t> comment_hashes_;
};

// Appends `bytes`, read as Windows-1252, to `out` as UTF-8.
void AppendWindows1252AsUtf8(std::string_view bytes, std::string& out);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_READER_H_
