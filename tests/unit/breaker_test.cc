// The plugin circuit breaker (daemon/plugin/breaker.h), on a clock the test advances.
#include "daemon/plugin/breaker.h"

#include <gtest/gtest.h>

namespace deltascope {
namespace {

using std::chrono::seconds;

class BreakerTest : public ::testing::Test {
 protected:
  FailureBreaker Make(seconds open_period) {
    FailureBreaker::Options o;
    o.open_period = open_period;
    o.clock = [this] { return now_; };
    return FailureBreaker(o);
  }
  std::chrono::steady_clock::time_point now_{seconds(1000)};
};

TEST_F(BreakerTest, ARareFailureUnderLoadNeverOpensIt) {
  FailureBreaker b = Make(seconds(300));
  // 2.5% of 200 calls a second, for two minutes.
  for (int i = 0; i < 200 * 120; ++i) {
    ASSERT_EQ(b.Admit(), FailureBreaker::Admission::kAllowed) << i;
    if (i % 40 == 0) {
      EXPECT_FALSE(b.RecordFailure(false, "crash"));
    } else {
      b.RecordSuccess(false);
    }
    if (i % 200 == 199) now_ += seconds(1);
  }
  EXPECT_FALSE(b.tripped());
}

TEST_F(BreakerTest, AFailingPluginOpensAfterTheMinimumThenProbesOneCallAtATime) {
  FailureBreaker b = Make(seconds(10));
  EXPECT_FALSE(b.RecordFailure(false, "a"));
  EXPECT_FALSE(b.RecordFailure(false, "b"));
  EXPECT_TRUE(b.RecordFailure(false, "c"));
  EXPECT_NE(b.reason().find("3 of 3 calls failed within 60 s (last: c); tried again in 10 s"),
            std::string::npos)
      << b.reason();
  EXPECT_EQ(b.Admit(), FailureBreaker::Admission::kRefused);
  now_ += seconds(10);
  EXPECT_EQ(b.Admit(), FailureBreaker::Admission::kProbe);
  EXPECT_EQ(b.Admit(), FailureBreaker::Admission::kRefused);  // one trial at a time
  EXPECT_TRUE(b.RecordFailure(true, "d"));                    // open again, twice as long
  EXPECT_NE(b.reason().find("tried again in 20 s"), std::string::npos) << b.reason();
  now_ += seconds(19);
  EXPECT_EQ(b.Admit(), FailureBreaker::Admission::kRefused);
  now_ += seconds(1);
  ASSERT_EQ(b.Admit(), FailureBreaker::Admission::kProbe);
  b.RecordSuccess(true);
  EXPECT_FALSE(b.tripped());
  EXPECT_EQ(b.Admit(), FailureBreaker::Admission::kAllowed);
  // The failures that opened it no longer count.
  EXPECT_FALSE(b.RecordFailure(false, "e"));
}

TEST_F(BreakerTest, FailuresOutsideTheWindowAreForgotten) {
  FailureBreaker b = Make(seconds(0));
  EXPECT_FALSE(b.RecordFailure(false, "a"));
  EXPECT_FALSE(b.RecordFailure(false, "b"));
  now_ += seconds(61);
  EXPECT_FALSE(b.RecordFailure(false, "c"));
  EXPECT_FALSE(b.tripped());
  EXPECT_FALSE(b.RecordFailure(false, "d"));
  EXPECT_TRUE(b.RecordFailure(false, "e"));
  now_ += seconds(100000);  // a period of 0: for good
  EXPECT_EQ(b.Admit(), FailureBreaker::Admission::kRefused);
}

// A call admitted before the breaker opened that fails later updates the reason: operators see
// the latest failure, not the one that happened to open it.
TEST_F(BreakerTest, TheReasonShowsTheLatestFailure) {
  FailureBreaker b = Make(seconds(10));
  for (const char* what : {"a", "b", "c"}) b.RecordFailure(false, what);
  EXPECT_FALSE(b.RecordFailure(false, "crashed (signal 11) on late.bad"));
  EXPECT_NE(b.reason().find("(last: crashed (signal 11) on late.bad); tried again in 10 s"),
            std::string::npos)
      << b.reason();
  now_ += seconds(10);
  ASSERT_EQ(b.Admit(), FailureBreaker::Admission::kProbe);
  EXPECT_TRUE(b.RecordFailure(true, "timed out on probe.bad"));
  EXPECT_NE(b.reason().find("failed its trial call after a quarantine (last: timed out on "
                            "probe.bad); tried again in 20 s"),
            std::string::npos)
      << b.reason();
}

}  // namespace
}  // namespace deltascope
