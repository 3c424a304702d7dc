// Per-plugin isolation for the daemon's diff slots: a running diff whose workers wait on a plugin
// (a slow or hanging call, or the wait for one of its instances) gives its slot to the requests
// queued behind it, and takes one back before going on. So a plugin's slowness costs that
// plugin's capacity (its instances and call deadlines), not the slots of diffs that do not use it.
#ifndef DELTASCOPE_DAEMON_SERVER_SLOT_LENDER_H_
#define DELTASCOPE_DAEMON_SERVER_SLOT_LENDER_H_

#include <mutex>

#include "daemon/engine/options.h"
#include "daemon/server/diff_service.h"

namespace deltascope {

// One per Diff request, given to its engine as DiffOptions::external_waits. The slot is lent
// when the first of the diff's workers starts waiting and taken back when the last stops; the
// diff's other workers go on meanwhile (the daemon briefly runs more than --max-concurrent
// diffs' workers, never more than --max-queued diffs beyond it).
class DiffService::SlotLender final : public ExternalWaitObserver {
 public:
  explicit SlotLender(DiffService* service) : service_(service) {}
  ~SlotLender() override;

  void WaitBegins() override;
  void WaitEnds() override;

 private:
  DiffService* const service_;
  // Held while a slot is taken back, so the diff's other workers wait for it too.
  std::mutex mu_;
  int waiting_ = 0;
  bool lent_ = false;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_SLOT_LENDER_H_
