#include "daemon/server/slot_lender.h"

namespace deltascope {

DiffService::SlotLender::~SlotLender() {
  // Every wait has ended by the time the engine returns; should one not have, the slot is not
  // counted twice.
  if (lent_) service_->ReclaimSlot();
}

void DiffService::SlotLender::WaitBegins() {
  std::lock_guard<std::mutex> lock(mu_);
  if (waiting_++ == 0) lent_ = service_->LendSlot();
}

void DiffService::SlotLender::WaitEnds() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--waiting_ == 0 && lent_) {
    service_->ReclaimSlot();
    lent_ = false;
  }
}

bool DiffService::LendSlot() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (lent_ >= limits_.max_queued) return false;  // memory stays bounded: it keeps its slot
    --running_;
    ++lent_;
  }
  cv_.notify_all();
  return true;
}

void DiffService::ReclaimSlot() {
  std::unique_lock<std::mutex> lock(mu_);
  // A draining daemon admits nobody new: the diff finishes within its drain period.
  cv_.wait(lock, [&] { return running_ < limits_.max_concurrent || draining_; });
  --lent_;
  ++running_;
}

}  // namespace deltascope
