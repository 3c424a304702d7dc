#include "daemon/plugin/stderr_tail.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace deltascope {
namespace {

TEST(StderrTailTest, EmptyAndShort) {
  StderrTail tail(3);
  EXPECT_EQ(tail.Summary(), "");
  tail.Add("one");
  tail.Add("two");
  EXPECT_EQ(tail.Summary(), "one | two");
}

TEST(StderrTailTest, KeepsOnlyTheLastLines) {
  StderrTail tail(2);
  for (int i = 0; i < 5; ++i) tail.Add(absl::StrCat("line ", i));
  EXPECT_EQ(tail.Summary(), "line 3 | line 4");
}

TEST(StderrTailTest, KeepsGoPanicLineBeforeTheStackFrames) {
  StderrTail tail(3);
  tail.Add("starting");
  tail.Add("panic: runtime error: index out of range [3] with length 3");
  tail.Add("");
  tail.Add("goroutine 7 [running]:");
  for (int i = 0; i < 30; ++i) tail.Add(absl::StrCat("\tmain.f", i, "()"));
  tail.Add("exit status 2");
  EXPECT_EQ(tail.Summary(),
            "panic: runtime error: index out of range [3] with length 3 | ... | \tmain.f28() | "
            "\tmain.f29() | exit status 2");
}

TEST(StderrTailTest, KeepsPythonTracebackAndExceptionLine) {
  StderrTail tail(2);
  tail.Add("Traceback (most recent call last):");
  tail.Add("  File \"p.py\", line 3, in <module>");
  tail.Add("json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)");
  for (int i = 0; i < 4; ++i) tail.Add(absl::StrCat("later ", i));
  EXPECT_EQ(tail.Summary(),
            "Traceback (most recent call last): | json.decoder.JSONDecodeError: Expecting value: "
            "line 1 column 1 (char 0) | ... | later 2 | later 3");
}

TEST(StderrTailTest, CrashLineStillInTheTailIsNotRepeated) {
  StderrTail tail(3);
  tail.Add("noise");
  tail.Add("panic: boom");
  tail.Add("goroutine 1 [running]:");
  EXPECT_EQ(tail.Summary(), "noise | panic: boom | goroutine 1 [running]:");
}

TEST(StderrTailTest, CrashLinesAreBounded) {
  StderrTail tail(1, 2);
  for (int i = 0; i < 10; ++i) tail.Add(absl::StrCat("panic: ", i));
  tail.Add("end");
  EXPECT_EQ(tail.Summary(), "panic: 0 | panic: 1 | ... | end");
}

TEST(StderrTailTest, RecognisesCrashLines) {
  EXPECT_TRUE(StderrTail::LooksLikeCrash("panic: x"));
  EXPECT_TRUE(StderrTail::LooksLikeCrash("fatal error: all goroutines are asleep - deadlock!"));
  EXPECT_TRUE(StderrTail::LooksLikeCrash("runtime/cgo: pthread_create failed: Resource"));
  EXPECT_TRUE(StderrTail::LooksLikeCrash("SIGABRT: abort"));
  EXPECT_FALSE(StderrTail::LooksLikeCrash("SIG: empty"));
  EXPECT_FALSE(StderrTail::LooksLikeCrash("SIGs: x"));
  EXPECT_TRUE(StderrTail::LooksLikeCrash("ValueError: bad"));
  EXPECT_TRUE(StderrTail::LooksLikeCrash("pkg.mod.CustomException: bad"));
  EXPECT_FALSE(StderrTail::LooksLikeCrash("  ValueError: indented is a frame"));
  EXPECT_FALSE(StderrTail::LooksLikeCrash("warning: Error ahead"));
  EXPECT_FALSE(StderrTail::LooksLikeCrash("info: ok"));
  EXPECT_FALSE(StderrTail::LooksLikeCrash(": Error"));
}

}  // namespace
}  // namespace deltascope
