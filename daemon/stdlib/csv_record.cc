#include "daemon/stdlib/csv_record.h"

#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "daemon/engine/media_type.h"
#include "daemon/stdlib/csv_reader.h"

namespace deltascope {
namespace {

// The first byte of [p, end) equal to a, b or c, or `end`: 16 bytes at a time (SSE2, part of
// x86-64), else 8 (a zero byte of word ^ pattern marks a match).
const char* FindAnyOf3(const char* p, const char* end, char a, char b, char c) {
#ifdef __SSE2__
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
  while (end - p >= 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, va), _mm_cmpeq_epi8(w, vb)),
                                     _mm_cmpeq_epi8(w, vc));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#else
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const uint64_t pa = kOnes * static_cast<unsigned char>(a);
  const uint64_t pb = kOnes * static_cast<unsigned char>(b);
  const uint64_t pc = kOnes * static_cast<unsigned char>(c);
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (has_zero(w ^ pa) | has_zero(w ^ pb) | has_zero(w ^ pc)) break;
    p += 8;
  }
#endif
  while (p < end && *p != a && *p != b && *p != c) ++p;
  return p;
}

// The first byte of [p, end) that ends an unquoted field (the delimiter, \n or \r), or `end`.
const char* FindFieldEnd(const char* p, const char* end, char delimiter) {
  return FindAnyOf3(p, end, delimiter, '\n', '\r');
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

namespace {

// Set bits of a 16-bit mask, without the POPCNT instruction (not in baseline x86-64, where
// __builtin_popcount is a library call).
inline unsigned Popcount16(unsigned x) {
  x = x - ((x >> 1) & 0x5555u);
  x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
  x = (x + (x >> 4)) & 0x0F0Fu;
  return (x + (x >> 8)) & 0x1Fu;
}

// The first line break or quote of [p, end), or `end`, with the number of `delimiter` bytes
// before it and whether all of those bytes are ASCII: 16 bytes at a time with SSE2.
const char* FindPlainEnd(const char* p, const char* end, char delimiter, size_t& delimiters,
                         bool& ascii) {
  size_t count = 0;
  uint64_t high = 0;
#ifdef __SSE2__
  const __m128i nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');
  const __m128i delim = _mm_set1_epi8(delimiter);
  while (end - p >= 16) {
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned stop = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(w, nl), _mm_cmpeq_epi8(w, cr)), _mm_cmpeq_epi8(w, quote))));
    const unsigned delims = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(w, delim)));
    const unsigned highs = static_cast<unsigned>(_mm_movemask_epi8(w));
    if (stop != 0) {
      const unsigned before = (1u << __builtin_ctz(stop)) - 1;  // the bytes before the stop
      count += Popcount16(delims & before);
      high |= highs & before;
      delimiters = count;
      ascii = high == 0;
      return p + __builtin_ctz(stop);
    }
    count += Popcount16(delims);
    high |= highs;
    p += 16;
  }
#endif
  for (; p < end && *p != '\n' && *p != '\r' && *p != '"'; ++p) {
    count += *p == delimiter;
    high |= static_cast<unsigned char>(*p) & 0x80;
  }
  delimiters = count;
  ascii = high == 0;
  return p;
}

}  // namespace

bool ScanPlainCsvRecord(std::string_view buffer, size_t& pos, bool at_end, char delimiter,
                        std::string_view& text, size_t& fields) {
  const size_t start = SkipCsvBlankLines(buffer, pos);
  const char* const end = buffer.data() + buffer.size();
  size_t delimiters = 0;
  bool ascii = false;
  const char* p = FindPlainEnd(buffer.data() + start, end, delimiter, delimiters, ascii);
  if (p == end ? !at_end || p == buffer.data() + start : *p == '"') return false;
  const size_t size = static_cast<size_t>(p - buffer.data()) - start;
  if (size > kMaxCsvRecordBytes || !ascii) return false;
  if (p < end && *p++ == '\r') {
    if (p == end && !at_end) return false;
    if (p < end && *p == '\n') ++p;
  }
  text = buffer.substr(start, size);
  fields = delimiters + 1;
  pos = static_cast<size_t>(p - buffer.data());
  return true;
}

bool SkipPlainCsvRecord(std::string_view buffer, size_t& pos, bool at_end) {
  std::string_view text;
  size_t fields = 0;
  return ScanPlainCsvRecord(buffer, pos, at_end, ',', text, fields);
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
