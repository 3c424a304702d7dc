// The csv comparator's fast record parser: one record of an in-memory buffer parsed into views
// of its fields, with no allocation per field. It reads exactly as CsvReader does (RFC 4180
// quoting read leniently, records ending at \n, \r\n or \r, blank lines skipped, fields that are
// not UTF-8 decoded as Windows-1252); CsvReader stays the reference (and reads comment lines,
// which this parser does not know about). Used by the chunked parallel scan (csv_scan.h).
#ifndef DELTASCOPE_DAEMON_STDLIB_CSV_RECORD_H_
#define DELTASCOPE_DAEMON_STDLIB_CSV_RECORD_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope {

// One parsed record. The views point into the parsed buffer or into the record's own storage
// (fields whose text had to be rebuilt: "" escapes, text after a closing quote, Windows-1252
// decoding); they stay
// valid until the next parse into this record or until the buffer changes.
struct CsvRecord {
  std::vector<std::string_view> fields;
  bool windows1252 = false;   // some field was not UTF-8 and was decoded
  bool unterminated = false;  // the last field ran to the end of input inside a quote

  // Internal: fields whose text is in `arena` (or, decoded, in `decoded`), fixed up at the end.
  struct Rebuilt {
    size_t index;
    size_t begin;
    size_t size;
  };
  std::vector<Rebuilt> rebuilt;
  std::string arena;
  std::string decoded;
};

enum class CsvParse {
  kRecord,    // a record was parsed; `pos` is past its terminator
  kNeedMore,  // the record runs past the buffer, which is not the end of the input
  kEnd,       // no record left (only blank lines before the end of the input)
  kTooLong,   // the record holds more than kMaxCsvRecordBytes of field text
};

// Moves `pos` past blank-line characters (\r, \n).
size_t SkipCsvBlankLines(std::string_view buffer, size_t pos);

// Parses the record at `pos` (blank lines are skipped first) of `buffer`, whose end is the end of
// the input when `at_end`. On kRecord, `pos` moves past the record; otherwise it is unchanged.
CsvParse ParseCsvRecord(std::string_view buffer, size_t& pos, bool at_end, char delimiter,
                        CsvRecord& record);

// For passes that need no fields: moves `pos` past the record at `pos` (blank lines skipped
// first) when it is plain: no quote before its line break, only ASCII bytes, complete in the
// buffer. False (pos unchanged) otherwise: ParseCsvRecord must read it.
bool SkipPlainCsvRecord(std::string_view buffer, size_t& pos, bool at_end);

// The same for a record whose value can be taken from its text (a row hash, csv_table.h): on a
// plain record, sets `text` to the record without its line break and `fields` to its number of
// fields (delimiters + 1), in one pass over its bytes.
bool ScanPlainCsvRecord(std::string_view buffer, size_t& pos, bool at_end, char delimiter,
                        std::string_view& text, size_t& fields);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_CSV_RECORD_H_
