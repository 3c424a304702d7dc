// A plugin's circuit breaker: when to stop calling it (quarantine) and how to try it again.
//
// It opens on a failure *rate*, not a count: within the last `window`, at least `min_failures`
// failures that are at least `failure_rate` of the calls. A plugin failing 2.5% of calls at
// 200 calls a second keeps serving; one failing every call opens after `min_failures`. Open, it
// refuses calls for `open_period` (doubling each time it opens again, up to 16x; 0: for good),
// then is half-open: one probe call at a time goes through, the others are refused. A probe that
// succeeds closes it; one that fails opens it again. Not thread-safe: the supervisor's mutex
// guards it.
#ifndef DELTASCOPE_DAEMON_PLUGIN_BREAKER_H_
#define DELTASCOPE_DAEMON_PLUGIN_BREAKER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace deltascope {

class FailureBreaker {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    int min_failures = 3;
    double failure_rate = 0.25;
    std::chrono::seconds window{60};
    std::chrono::seconds open_period{0};  // 0: open for good
    Clock clock = &std::chrono::steady_clock::now;
  };

  enum class Admission { kAllowed, kProbe, kRefused };

  explicit FailureBreaker(Options options);

  // Whether a call may go ahead now. kProbe: it is the half-open probe, whose outcome decides.
  Admission Admit();
  void RecordSuccess(bool probe);
  // `what` describes the failure for the reason. True when this failure opened the breaker.
  bool RecordFailure(bool probe, const std::string& what);
  // A probe admitted but never made (the instance could not be had): another may go.
  void ProbeAbandoned() { probe_in_flight_ = false; }

  // Open or half-open: not (yet) known to be well again.
  bool tripped() const { return state_ != State::kClosed; }
  // Open, and its period has not passed.
  bool refusing() const { return state_ == State::kOpen && options_.clock() < open_until_; }
  // Why it is open, and when it will be tried again ("" when closed).
  const std::string& reason() const { return reason_; }

 private:
  enum class State { kClosed, kOpen, kHalfOpen };
  struct Bucket {
    int64_t slot = -1;  // which window/kBuckets slice of time this counts
    uint64_t calls = 0, failures = 0;
  };
  static constexpr int kBuckets = 60;

  Bucket& Current();
  void Sum(uint64_t* calls, uint64_t* failures);
  // `why` it opens; `what` the failure that opened it.
  void Open(std::string why, const std::string& what);
  // The reason from why it opened and the latest failure, which a call admitted before it
  // opened may still report: the text is never frozen at the first.
  void ComposeReason();

  const Options options_;
  State state_ = State::kClosed;
  std::string reason_;
  std::string opened_because_, last_failure_, retry_;
  std::array<Bucket, kBuckets> buckets_{};
  std::chrono::steady_clock::time_point open_until_{};
  int times_opened_ = 0;
  bool probe_in_flight_ = false;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_BREAKER_H_
