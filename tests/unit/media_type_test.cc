#include "daemon/engine/media_type.h"

#include <gtest/gtest.h>

#include <string>

namespace deltascope {
namespace {

TEST(MediaTypeTest, SniffsMagicBytes) {
  EXPECT_EQ(SniffMediaType(std::string("PK\x03\x04rest", 8)), "application/zip");
  EXPECT_EQ(SniffMediaType(std::string("\x1f\x8b\x08\x00", 4)), "application/gzip");
  EXPECT_EQ(SniffMediaType(std::string("SQLite format 3\0xx", 18)), "application/vnd.sqlite3");
  std::string tar(512, '\0');
  tar.replace(257, 5, "ustar");
  EXPECT_EQ(SniffMediaType(tar), "application/x-tar");
}

TEST(MediaTypeTest, TextIsUtf8WithoutNul) {
  EXPECT_EQ(SniffMediaType("hello, wörld\n"), "text/plain");
  EXPECT_EQ(SniffMediaType(std::string("a\0b", 3)), "application/octet-stream");
  EXPECT_EQ(SniffMediaType("caf\xe9\n"), "application/octet-stream");  // Latin-1
}

TEST(MediaTypeTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));  // €
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));     // truncated
  EXPECT_TRUE(IsValidUtf8("\xe2\x82", /*allow_truncated_tail=*/true));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

}  // namespace
}  // namespace deltascope
