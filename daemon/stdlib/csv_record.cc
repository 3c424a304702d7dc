#include "daemon/stdlib/csv_record.h"

#include <cstdint>
#include <cstring>

#include "daemon/engine/media_type.h"
#include "daemon/stdlib/csv_reader.h"

namespace deltascope {
namespace {

// The first byte of [p, end) that ends an unquoted field (the delimiter, \n or \r), or `end`.
// Eight bytes at a time: a zero byte of (word ^ pattern) marks a match.
const char* FindFieldEnd(const char* p, const char* end, char delimiter) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const uint64_t d = kOnes * static_cast<unsigned char>(delimiter);
  constexpr uint64_t kLf = kOnes * '\n';
  constexpr uint64_t kCr = kOnes * '\r';
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (has_zero(w ^ d) | has_zero(w ^ kLf) | has_zero(w ^ kCr)) break;
    p += 8;
  }
  while (p < end && *p != delimiter && *p != '\n' && *p != '\r') ++p;
  return p;
}

bool IsAscii(const char* p, size_t n) {
  uint64_t any = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    any |= w;
  }
  for (; i < n; ++i) any |= static_cast<unsigned char>(p[i]);
  return (any & 0x8080808080808080ull) == 0;
}

}  // namespace

size_t SkipCsvBlankLines(std::string_view buffer, size_t pos) {
  while (pos < buffer.size() && (buffer[pos] == '\n' || buffer[pos] == '\r')) ++pos;
  return pos;
}

CsvParse ParseCsvRecord(std::string_view buffer, size_t& pos, bool at_end, char delimiter,
                        CsvRecord& record) {
  const char* const base = buffer.data();
  const char* const end = base + buffer.size();
  const size_t start = SkipCsvBlankLines(buffer, pos);
  if (start == buffer.size()) return at_end ? CsvParse::kEnd : CsvParse::kNeedMore;
  record.fields.clear();
  record.rebuilt.clear();
  record.arena.clear();
  record.unterminated = false;
  size_t field_bytes = 0;  // as CsvReader counts toward kMaxCsvRecordBytes
  const char* p = base + start;
  auto need_more = [&] {
    return field_bytes > kMaxCsvRecordBytes ? CsvParse::kTooLong : CsvParse::kNeedMore;
  };
  while (true) {
    if (p < end && *p == '"') {
      ++p;
      const char* text = p;
      bool rebuilt = false;  // the field's text is in the arena
      const size_t arena_begin = record.arena.size();
      while (true) {
        const void* q = std::memchr(p, '"', static_cast<size_t>(end - p));
        if (q == nullptr) {
          if (!at_end) return need_more();
          field_bytes += static_cast<size_t>(end - p);
          if (rebuilt) record.arena.append(p, end);
          p = end;
          record.unterminated = true;
          break;
        }
        const char* quote = static_cast<const char*>(q);
        field_bytes += static_cast<size_t>(quote - p);
        if (quote + 1 == end && !at_end) return need_more();
        if (quote + 1 < end && quote[1] == '"') {  // "" is a literal quote
          if (!rebuilt) record.arena.append(text, p);
          rebuilt = true;
          record.arena.append(p, quote + 1);
          p = quote + 2;
          continue;
        }
        // The closing quote; text after it, up to the field's end, is kept as is.
        const char* tail = quote + 1;
        const char* tail_end = FindFieldEnd(tail, end, delimiter);
        if (tail_end == end && !at_end) return need_more();
        field_bytes += static_cast<size_t>(tail_end - tail);
        if (tail_end != tail || rebuilt) {
          if (!rebuilt) record.arena.append(text, p);
          rebuilt = true;
          record.arena.append(p, quote);
          record.arena.append(tail, tail_end);
        } else {
          p = quote;  // the view ends here
        }
        if (!rebuilt) break;
        p = tail_end;
        break;
      }
      if (rebuilt) {
        record.rebuilt.push_back(
            {record.fields.size(), arena_begin, record.arena.size() - arena_begin});
        record.fields.emplace_back();  // set below, once the arena stops growing
      } else {
        record.fields.emplace_back(text, static_cast<size_t>(p - text));
        if (p < end && *p == '"') ++p;  // past the closing quote
      }
    } else {
      const char* field_end = FindFieldEnd(p, end, delimiter);
      if (field_end == end && !at_end) return need_more();
      field_bytes += static_cast<size_t>(field_end - p);
      record.fields.emplace_back(p, static_cast<size_t>(field_end - p));
      p = field_end;
    }
    if (field_bytes > kMaxCsvRecordBytes) return CsvParse::kTooLong;
    if (p == end) break;
    const char c = *p++;
    if (c == delimiter) continue;
    if (c == '\r') {
      if (p == end && !at_end) return need_more();
      if (p < end && *p == '\n') ++p;
    }
    break;
  }
  for (const CsvRecord::Rebuilt& r : record.rebuilt) {
    record.fields[r.index] = std::string_view(record.arena.data() + r.begin, r.size);
  }
  // Fields as UTF-8: a record of ASCII bytes needs no check field by field.
  record.windows1252 = false;
  if (!IsAscii(base + start, static_cast<size_t>(p - base) - start)) {
    record.decoded.clear();
    record.rebuilt.clear();
    for (size_t i = 0; i < record.fields.size(); ++i) {
      if (IsValidUtf8(record.fields[i])) continue;
      record.windows1252 = true;
      const size_t begin = record.decoded.size();
      AppendWindows1252AsUtf8(record.fields[i], record.decoded);
      record.rebuilt.push_back({i, begin, record.decoded.size() - begin});
    }
    for (const CsvRecord::Rebuilt& r : record.rebuilt) {
      record.fields[r.index] = std::string_view(record.decoded.data() + r.begin, r.size);
    }
  }
  pos = static_cast<size_t>(p - base);
  return CsvParse::kRecord;
}

}  // namespace deltascope
