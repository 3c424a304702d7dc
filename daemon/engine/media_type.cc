#include "daemon/engine/media_type.h"

#include <array>

namespace deltascope {
namespace {

struct Magic {
  size_t offset;
  std::string_view bytes;
  const char* media_type;
};

constexpr std::array<Magic, 14> kMagics = {{
    {0, std::string_view("PK\x03\x04", 4), "application/zip"},
    {0, std::string_view("PK\x05\x06", 4), "application/zip"},  // empty zip
    {0, std::string_view("\x1f\x8b", 2), "application/gzip"},
    {257, std::string_view("ustar", 5), "application/x-tar"},
    {0, std::string_view("BZh", 3), "application/x-bzip2"},
    {0,
     std::string_view("\xfd"
                      "7zXZ\x00",
                      6),
     "application/x-xz"},
    {0, std::string_view("\x28\xb5\x2f\xfd", 4), "application/zstd"},
    {0, std::string_view("SQLite format 3\x00", 16), "application/vnd.sqlite3"},
    {0, std::string_view("%PDF-", 5), "application/pdf"},
    {0, std::string_view("\x89PNG\r\n\x1a\n", 8), "image/png"},
    {0, std::string_view("\xff\xd8\xff", 3), "image/jpeg"},
    {0, std::string_view("GIF87a", 6), "image/gif"},
    {0, std::string_view("GIF89a", 6), "image/gif"},
    {0, std::string_view("PAR1", 4), "application/vnd.apache.parquet"},
}};

}  // namespace

bool IsValidUtf8(std::string_view s, bool allow_truncated_tail) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > n) {
      if (!allow_truncated_tail) return false;
      for (size_t j = i + 1; j < n; ++j) {
        if ((static_cast<unsigned char>(s[j]) & 0xC0) != 0x80) return false;
      }
      return true;
    }
    uint32_t cp = c & (0x7F >> len);
    for (size_t j = 1; j < len; ++j) {
      unsigned char cc = static_cast<unsigned char>(s[i + j]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string SniffMediaType(std::string_view head) {
  for (const Magic& m : kMagics) {
    if (head.size() >= m.offset + m.bytes.size() &&
        head.substr(m.offset, m.bytes.size()) == m.bytes) {
      return m.media_type;
    }
  }
  if (head.find('\0') == std::string_view::npos &&
      IsValidUtf8(head, /*allow_truncated_tail=*/true)) {
    return "text/plain";
  }
  return "application/octet-stream";
}

}  // namespace deltascope
