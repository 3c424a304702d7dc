// The deltascoped gRPC service: diffs with progress streaming, admission control
// (RESOURCE_EXHAUSTED past a bounded queue), cancellation when the client goes away.
#ifndef DELTASCOPE_DAEMON_SERVER_DIFF_SERVICE_H_
#define DELTASCOPE_DAEMON_SERVER_DIFF_SERVICE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "daemon/server/access.h"
#include "daemon/session/comparator_source.h"
#include "deltascope/daemon/v1/daemon.grpc.pb.h"

namespace deltascope {

struct ServiceLimits {
  int max_concurrent = 2;  // diffs running at once
  int max_queued = 16;     // diffs waiting for a slot; more are refused
  int jobs = 0;            // worker threads per diff (0: one per core)
  std::chrono::milliseconds progress_interval{200};
};

// The snapshot paths each kind of client may name (docs/daemon.md, "Operating").
struct ClientAccess {
  AccessRoots unix_clients;  // peers on the Unix socket
  AccessRoots tcp_clients;   // peers over TCP
};

class DiffService final : public daemon::v1::Deltascope::Service {
 public:
  DiffService(std::shared_ptr<ComparatorSource> source, ServiceLimits limits, ClientAccess access);

  grpc::Status Diff(grpc::ServerContext* context, const daemon::v1::DiffRequest* request,
                    grpc::ServerWriter<daemon::v1::DiffEvent>* writer) override;
  grpc::Status ListPlugins(grpc::ServerContext* context, const daemon::v1::ListPluginsRequest*,
                           daemon::v1::ListPluginsResponse* response) override;
  grpc::Status PluginStatus(grpc::ServerContext* context,
                            const daemon::v1::PluginStatusRequest* request,
                            daemon::v1::PluginStatusResponse* response) override;
  grpc::Status Reload(grpc::ServerContext* context, const daemon::v1::ReloadRequest*,
                      daemon::v1::ReloadResponse* response) override;

  // Refuses new diffs (UNAVAILABLE) and waits until the running ones have finished, or until
  // `deadline`: then they are cancelled (their clients get UNAVAILABLE saying so) and given
  // `grace` to stop. False when some are still running after that.
  bool Drain(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds grace);

  // Diffs holding a slot and diffs waiting for one, now (for metrics).
  struct Load {
    int running = 0;
    int queued = 0;
    int waiting_on_plugins = 0;  // running, their slot lent (LendSlot)
  };
  Load CurrentLoad();

 private:
  // What one Diff request did, for its log line.
  struct RequestRecord {
    uint64_t id = 0;
    int exit_status = -1;  // -1: no Done sent
    uint64_t changed_nodes = 0;
  };
  grpc::Status RunDiff(grpc::ServerContext* context, const daemon::v1::DiffRequest* request,
                       grpc::ServerWriter<daemon::v1::DiffEvent>* writer, RequestRecord& record);

  // Waits for a slot; false (with the status to return) when refused or cancelled.
  bool Admit(grpc::ServerContext* context, grpc::Status* refusal);
  void Release();
  // A running diff whose workers wait on a plugin gives its slot to others meanwhile (at most
  // max_queued diffs at once: false when that many already have) and takes one back, waiting
  // for it, before going on (slot_lender.h).
  class SlotLender;
  bool LendSlot();
  void ReclaimSlot();

  std::shared_ptr<ComparatorSource> source_;
  const ServiceLimits limits_;
  const ClientAccess access_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  int queued_ = 0;
  int lent_ = 0;  // running diffs waiting on plugins without a slot
  bool draining_ = false;
  std::atomic<bool> abandon_{false};  // the drain period is over: running diffs stop
  std::atomic<uint64_t> served_{0};
  std::atomic<uint64_t> next_request_id_{1};
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_DIFF_SERVICE_H_
