#include "daemon/plugin/breaker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace deltascope {

FailureBreaker::FailureBreaker(Options options) : options_(std::move(options)) {}

FailureBreaker::Bucket& FailureBreaker::Current() {
  const auto width =
      std::max<std::chrono::nanoseconds>(options_.window / kBuckets, std::chrono::nanoseconds(1));
  const int64_t slot = options_.clock().time_since_epoch() / width;
  Bucket& b = buckets_[static_cast<size_t>(slot % kBuckets)];
  if (b.slot != slot) b = Bucket{slot, 0, 0};
  return b;
}

void FailureBreaker::Sum(uint64_t* calls, uint64_t* failures) {
  const int64_t now = Current().slot;
  *calls = *failures = 0;
  for (const Bucket& b : buckets_) {
    if (b.slot < 0 || now - b.slot >= kBuckets) continue;
    *calls += b.calls;
    *failures += b.failures;
  }
}

FailureBreaker::Admission FailureBreaker::Admit() {
  if (state_ == State::kOpen) {
    if (options_.clock() < open_until_) return Admission::kRefused;
    state_ = State::kHalfOpen;
  }
  if (state_ == State::kClosed) return Admission::kAllowed;
  if (probe_in_flight_) return Admission::kRefused;
  probe_in_flight_ = true;
  return Admission::kProbe;
}

void FailureBreaker::RecordSuccess(bool probe) {
  ++Current().calls;
  if (!probe) return;
  probe_in_flight_ = false;
  state_ = State::kClosed;
  reason_.clear();
  // The rate starts afresh: the failures that opened it are history.
  buckets_.fill(Bucket{});
}

bool FailureBreaker::RecordFailure(bool probe, const std::string& what) {
  Bucket& b = Current();
  ++b.calls;
  ++b.failures;
  if (probe) {
    probe_in_flight_ = false;
    Open("failed its trial call after a quarantine", what);
    return true;
  }
  if (state_ != State::kClosed) {  // a call admitted before it opened: the reason stays current
    last_failure_ = what;
    ComposeReason();
    return false;
  }
  uint64_t calls = 0, failures = 0;
  Sum(&calls, &failures);
  if (failures < static_cast<uint64_t>(options_.min_failures) ||
      static_cast<double>(failures) < options_.failure_rate * static_cast<double>(calls)) {
    return false;
  }
  Open(
      absl::StrCat(failures, " of ", calls, " calls failed within ", options_.window.count(), " s"),
      what);
  return true;
}

void FailureBreaker::Open(std::string why, const std::string& what) {
  state_ = State::kOpen;
  opened_because_ = std::move(why);
  last_failure_ = what;
  retry_.clear();
  if (options_.open_period.count() > 0) {
    const std::chrono::seconds period = options_.open_period * (1 << std::min(times_opened_, 4));
    open_until_ = options_.clock() + period;
    retry_ = absl::StrCat("; tried again in ", period.count(), " s");
  } else {
    open_until_ = std::chrono::steady_clock::time_point::max();
  }
  ++times_opened_;
  ComposeReason();
}

void FailureBreaker::ComposeReason() {
  reason_ = absl::StrCat(opened_because_, " (last: ", last_failure_, ")", retry_);
}

}  // namespace deltascope
