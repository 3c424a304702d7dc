#include "daemon/stdlib/csv_reader.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "daemon/engine/media_type.h"

namespace deltascope {
namespace {

constexpr size_t kReadChunk = 64u << 10;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kSniffRecords = 200;

// Code points of Windows-1252 bytes 0x80..0x9F; the five undefined bytes map to C1 controls.
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendCodePoint(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

bool IsNumber(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool digits = false;
  for (char c : s) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c != '.' && c != ',' && c != 'e' && c != 'E' && c != '-' && c != '+') {
      return false;
    }
  }
  return digits;
}

// A header names distinct columns, none of them empty or a number.
bool LooksLikeHeader(const std::vector<std::string>& first) {
  std::set<std::string_view> seen;
  for (const std::string& f : first) {
    if (IsBlank(f) || IsNumber(f)) return false;
    if (!seen.insert(f).second) return false;
  }
  return !first.empty();
}

struct DelimiterScore {
  char delimiter = ',';
  size_t mode = 0;    // the most common field count
  size_t widest = 0;  // the largest field count
  double share = 0;   // share of records with that count
  bool unterminated = false;
  std::vector<std::string> first;
  std::string header_comment;  // the last comment line before the first record
  size_t records = 0;
};

// True when the first line (after a BOM and blank lines) starts with '#'.
bool StartsWithComment(std::string_view head) {
  if (head.starts_with(kBom)) head.remove_prefix(kBom.size());
  const size_t first = head.find_first_not_of("\r\n");
  return first != std::string_view::npos && head[first] == '#';
}

absl::StatusOr<DelimiterScore> Score(std::string_view head, bool complete, char delimiter,
                                     bool comments) {
  CsvReader reader = CsvReader::FromString(std::string(head), delimiter);
  reader.SetComments(comments, /*header_in_comment=*/true);
  std::vector<size_t> counts;
  DelimiterScore score;
  score.delimiter = delimiter;
  std::vector<std::string> fields;
  while (counts.size() <= kSniffRecords) {
    absl::StatusOr<bool> more = reader.Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (counts.empty()) score.first = fields;
    counts.push_back(fields.size());
  }
  score.unterminated = reader.unterminated_quote();
  score.header_comment = reader.header_comment();
  // The last record of a partial head may be cut short.
  if (!complete && counts.size() > 1) counts.pop_back();
  // A head cut inside the first record (a header wider than the head): so may its last field,
  // which must not count against a header ("c12" cut from "c1234" repeats a name; "" is blank).
  if (!complete && counts.size() == 1 && score.first.size() > 1) score.first.pop_back();
  score.records = counts.size();
  std::map<size_t, size_t> histogram;
  for (size_t c : counts) ++histogram[c];
  if (!histogram.empty()) score.widest = histogram.rbegin()->first;
  size_t best = 0;
  for (const auto& [count, n] : histogram) {
    if (n >= best) {  // ties: the larger field count
      best = n;
      score.mode = count;
    }
  }
  score.share = counts.empty() ? 0 : static_cast<double>(best) / counts.size();
  return score;
}

}  // namespace

void AppendWindows1252AsUtf8(std::string_view bytes, std::string& out) {
  for (char ch : bytes) {
    auto b = static_cast<unsigned char>(ch);
    if (b >= 0x80 && b < 0xA0) {
      AppendCodePoint(kCp1252High[b - 0x80], out);
    } else {
      AppendCodePoint(b, out);
    }
  }
}

char PreferredDelimiter(std::string_view lower_path) {
  if (lower_path.ends_with(".tsv") || lower_path.ends_with(".tab")) return '\t';
  if (lower_path.ends_with(".psv")) return '|';
  return ',';
}

absl::StatusOr<CsvDialect> SniffCsvDialect(std::string_view head, bool complete, char preferred) {
  if (head.find('\0') != std::string_view::npos) {
    return absl::FailedPreconditionError("NUL bytes: not a text table");
  }
  // '#' lines are comments only in files that start with them, and only when records follow (a
  // table whose every line starts with '#', such as colours "#ff0000,red", is data).
  bool comments = StartsWithComment(head);
  std::vector<DelimiterScore> scores;
  for (bool retry = true; retry;) {
    scores.clear();
    for (char d : {',', '\t', ';', '|'}) {
      absl::StatusOr<DelimiterScore> s = Score(head, complete, d, comments);
      if (!s.ok()) return s.status();
      scores.push_back(std::move(*s));
    }
    retry = comments && complete && scores[0].records == 0;
    if (retry) comments = false;
  }
  if (scores[0].records == 0) return CsvDialect{preferred, false, comments};  // no columns
  auto rank = [&](const DelimiterScore& s) {
    return std::tuple(s.mode >= 2, s.share, s.delimiter == preferred, s.mode);
  };
  const DelimiterScore* best = nullptr;
  for (const DelimiterScore& s : scores) {
    if (!best || rank(s) > rank(*best)) best = &s;
  }
  if (best->mode < 2) {  // one column: take the file name's word for the delimiter
    best = &*std::find_if(scores.begin(), scores.end(),
                          [&](const DelimiterScore& s) { return s.delimiter == preferred; });
  }
  if (complete && best->unterminated) {
    return absl::FailedPreconditionError("unterminated quoted field: not a table");
  }
  if (best->records >= 3 && best->share < 0.5) {
    return absl::FailedPreconditionError("records too ragged: not a table");
  }
  CsvDialect dialect{best->delimiter, LooksLikeHeader(best->first), comments};
  if (comments && !dialect.header && !best->header_comment.empty()) {
    // "#codes\tcoordinates\tTZ\tcomments" over rows of 3 or 4 fields names the columns.
    CsvReader names_reader = CsvReader::FromString(best->header_comment, best->delimiter);
    std::vector<std::string> names;
    absl::StatusOr<bool> any = names_reader.Next(names);
    if (any.ok() && *any && names.size() >= 2 && names.size() >= best->mode &&
        names.size() <= best->widest && LooksLikeHeader(names)) {
      dialect.header = dialect.comment_header = true;
    }
  }
  return dialect;
}

CsvReader::CsvReader(UniqueFd fd, std::string buffer, bool eof, char delimiter)
    : fd_(std::move(fd)), buf_(std::move(buffer)), eof_(eof), delimiter_(delimiter) {
  if (eof_) len_ = buf_.size();
}

absl::StatusOr<CsvReader> CsvReader::Open(const std::filesystem::path& path, char delimiter) {
  absl::StatusOr<UniqueFd> fd = OpenForReading(path);
  if (!fd.ok()) return fd.status();
  return CsvReader(std::move(*fd), std::string(kReadChunk, '\0'), false, delimiter);
}

absl::StatusOr<CsvReader> CsvReader::Open(const std::filesystem::path& path,
                                          const CsvDialect& dialect) {
  absl::StatusOr<CsvReader> reader = Open(path, dialect.delimiter);
  if (reader.ok()) reader->SetComments(dialect.comments, dialect.comment_header);
  return reader;
}

CsvReader CsvReader::FromString(std::string data, char delimiter) {
  return CsvReader(UniqueFd(), std::move(data), true, delimiter);
}

void CsvReader::SetComments(bool comments, bool header_in_comment) {
  comments_ = comments;
  header_in_comment_ = comments && header_in_comment;
}

void CsvReader::AddComment(std::string_view line) {
  const uint64_t hash = XXH3_64bits(line.data(), line.size());
  ++comment_lines_;
  if (comment_hashes_.size() < kMaxCommentHashes) comment_hashes_.push_back(hash);
  comment_digest_ = XXH3_64bits_withSeed(&hash, sizeof(hash), comment_digest_);
}

absl::StatusOr<bool> CsvReader::Fill() {
  if (pos_ < len_) return true;
  if (eof_) return false;
  absl::StatusOr<size_t> n = ReadFully(fd_.get(), buf_.data(), buf_.size());
  if (!n.ok()) return n.status();
  pos_ = 0;
  len_ = *n;
  if (*n < buf_.size()) eof_ = true;
  return *n > 0;
}

#define CSV_FILL_OR_RETURN(var)                 \
  absl::StatusOr<bool> var##_or = Fill();       \
  if (!var##_or.ok()) return var##_or.status(); \
  const bool var = *var##_or

absl::Status CsvReader::ReadUnquoted(std::string& field) {
  while (true) {
    CSV_FILL_OR_RETURN(more);
    if (!more) return absl::OkStatus();
    const size_t start = pos_;
    const char* p = buf_.data();
    while (pos_ < len_) {
      char c = p[pos_];
      if (c == delimiter_ || c == '\n' || c == '\r') break;
      ++pos_;
    }
    field.append(p + start, pos_ - start);
    record_bytes_ += pos_ - start;
    if (record_bytes_ > kMaxCsvRecordBytes) {
      return absl::FailedPreconditionError("record longer than 64 MB");
    }
    if (pos_ < len_) return absl::OkStatus();
  }
}

absl::Status CsvReader::ReadQuoted(std::string& field) {
  ++pos_;  // the opening quote
  while (true) {
    CSV_FILL_OR_RETURN(more);
    if (!more) {
      unterminated_quote_ = true;
      return absl::OkStatus();
    }
    const char* start = buf_.data() + pos_;
    const void* quote = std::memchr(start, '"', len_ - pos_);
    size_t n = quote ? static_cast<const char*>(quote) - start : len_ - pos_;
    field.append(start, n);
    record_bytes_ += n;
    if (record_bytes_ > kMaxCsvRecordBytes) {
      return absl::FailedPreconditionError("record longer than 64 MB");
    }
    pos_ += n;
    if (!quote) continue;
    ++pos_;  // a quote: closing, or the first of ""
    CSV_FILL_OR_RETURN(after);
    if (after && buf_[pos_] == '"') {
      field.push_back('"');
      ++pos_;
      continue;
    }
    return ReadUnquoted(field);  // text after the closing quote is kept as is
  }
}

absl::Status CsvReader::ReadComment() {
  comment_.clear();
  while (true) {
    CSV_FILL_OR_RETURN(more);
    if (!more) break;
    const char* start = buf_.data() + pos_;
    size_t n = 0;
    while (pos_ + n < len_ && start[n] != '\n' && start[n] != '\r') ++n;
    comment_.append(start, n);
    pos_ += n;
    if (comment_.size() > kMaxCsvRecordBytes) {
      return absl::FailedPreconditionError("comment line longer than 64 MB");
    }
    if (pos_ < len_) break;
  }
  if (header_in_comment_ && !seen_record_) {  // held back: the next one may follow it
    if (comment_pending_) AddComment(header_comment_);
    header_comment_.swap(comment_);
    comment_pending_ = true;
  } else {
    AddComment(comment_);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string>& fields) {
  fields.clear();
  record_bytes_ = 0;
  if (!started_) {
    started_ = true;
    CSV_FILL_OR_RETURN(any);
    if (any && std::string_view(buf_.data() + pos_, len_ - pos_).starts_with(kBom)) {
      bom_ = true;
      pos_ += kBom.size();
    }
  }
  while (true) {  // blank lines and comment lines
    CSV_FILL_OR_RETURN(more);
    if (!more) {
      if (comment_pending_) {  // no record followed: it was a comment
        AddComment(header_comment_);
        header_comment_.clear();
        comment_pending_ = false;
      }
      return false;
    }
    const char c = buf_[pos_];
    if (c == '#' && comments_) {
      if (absl::Status s = ReadComment(); !s.ok()) return s;
      continue;
    }
    if (c != '\n' && c != '\r') break;
    ++pos_;
  }
  if (!seen_record_) {
    seen_record_ = true;
    if (comment_pending_) {  // the header: "#id,name" -> "id,name"
      comment_pending_ = false;
      const size_t start = header_comment_.find_first_not_of("# ");
      header_comment_.erase(0, start == std::string::npos ? header_comment_.size() : start);
    }
  }
  unterminated_quote_ = false;
  while (true) {
    std::string field;
    CSV_FILL_OR_RETURN(more);
    if (more && buf_[pos_] == '"') {
      if (absl::Status s = ReadQuoted(field); !s.ok()) return s;
    } else if (absl::Status s = ReadUnquoted(field); !s.ok()) {
      return s;
    }
    if (IsValidUtf8(field)) {
      fields.push_back(std::move(field));
    } else {
      used_windows1252_ = true;
      std::string decoded;
      AppendWindows1252AsUtf8(field, decoded);
      fields.push_back(std::move(decoded));
    }
    CSV_FILL_OR_RETURN(rest);
    if (!rest) return true;
    char c = buf_[pos_++];
    if (c == delimiter_) continue;
    if (c == '\r') {
      CSV_FILL_OR_RETURN(lf);
      if (lf && buf_[pos_] == '\n') ++pos_;
    }
    return true;
  }
}

#undef CSV_FILL_OR_RETURN

}  // namespace deltascope
