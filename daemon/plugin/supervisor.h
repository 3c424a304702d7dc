// Supervises one plugin: lazy start, a pool of up to max_instances processes, a deadline on
// every call (a hung plugin is killed), crash isolation with the signal and last stderr lines,
// restarts with exponential backoff, and quarantine once a crash budget is spent.
#ifndef DELTASCOPE_DAEMON_PLUGIN_SUPERVISOR_H_
#define DELTASCOPE_DAEMON_PLUGIN_SUPERVISOR_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/item.h"
#include "daemon/plugin/breaker.h"
#include "daemon/plugin/host_options.h"
#include "daemon/plugin/manifest.h"
#include "daemon/plugin/process.h"
#include "deltascope/plugin/v1/comparator.pb.h"

// gRPC stays an implementation detail of the plugin adapter: declared here, included in the .cc.
namespace grpc {
class ByteBuffer;
class Status;
namespace health::v1 {
class HealthCheckResponse;
}  // namespace health::v1
}  // namespace grpc

namespace deltascope {

class ComparePipe;
struct CompareReply;
namespace pluginpb = ::deltascope::plugin::v1;

// kUnreachable: an attached plugin that cannot be reached now; it is tried again later.
enum class PluginState { kAvailable, kRunning, kDisabled, kQuarantined, kUnreachable };
const char* PluginStateName(PluginState state);

class PluginSupervisor {
 public:
  PluginSupervisor(Manifest manifest, const HostOptions& options);
  ~PluginSupervisor();

  const Manifest& manifest() const { return manifest_; }
  // The sandbox the plugin runs under: off when trusted, else the manifest's or the host's; never
  // looser than a mode the user chose (HostOptions::sandbox_is_floor).
  SandboxMode sandbox_mode() const {
    const SandboxMode own =
        manifest_.trusted ? SandboxMode::kOff : manifest_.sandbox.value_or(options_.sandbox);
    return options_.sandbox_is_floor ? StricterSandbox(own, options_.sandbox) : own;
  }
  // What it runs under: the manifest's limits capped by the user's ceiling.
  const EffectiveLimits& limits() const { return limits_; }
  PluginState state() const;
  std::string reason() const;  // why disabled or quarantined
  // Since the first supervisor of this name when HostOptions::counters is shared.
  PluginCounters counters() const;
  std::vector<std::string> sandbox_warnings() const;

  // One Compare call on an instance (started on demand). `content_visible` false streams the
  // content (CompareStream) even for path-mode plugins. A path-mode call goes down the
  // instance's ComparePipe when the plugin serves it (pipe.h), many calls on one instance at once.
  // The reply is read under the plugin's ReplyLimits; what they cut is said in `cut` ("" when
  // nothing). Errors carry a diagnostic code (WithDiagnosticCode): plugin-timeout, plugin-crash,
  // plugin-error, plugin-invalid-response, plugin-quarantined, plugin-unavailable, plugin-busy
  // (every instance stayed in calls for a call's deadline while this one waited).
  // `crash_note`: a plugin-crash diagnostic to report besides the answer ("" when none): the
  // plugin crashed while this call was in flight on a pipe, and the call was made again alone.
  absl::StatusOr<pluginpb::CompareResponse> Compare(const pluginpb::CompareRequest& request,
                                                    const ItemPair& pair, bool content_visible,
                                                    std::string* cut = nullptr,
                                                    std::string* crash_note = nullptr);

  // Starts an instance if none runs and describes it (for `plugins check`).
  absl::StatusOr<pluginpb::DescribeResponse> Describe();
  // Health check of a running instance ("SERVING" or the error).
  absl::StatusOr<std::string> Health();

  // Asks every instance to shut down, waits the grace period, kills what is left.
  void Shutdown();

 private:
  struct Instance;
  absl::StatusOr<std::unique_ptr<Instance>> StartInstance(int index);
  // An instance for one call. With `probe`, the call counts for the circuit breaker: `*probe`
  // says whether it is the trial call after a quarantine. Without, it only may not go ahead while
  // quarantined (plugins check's Describe and health calls).
  // With `pipe`, the call would rather share a piped instance: then the result may be null
  // with `*pipe` set (a lease on that pipe, given back by ReleaseLease), or an instance as usual
  // when the plugin does not serve the pipe.
  absl::StatusOr<std::unique_ptr<Instance>> Acquire(bool* probe,
                                                    std::shared_ptr<ComparePipe>* pipe = nullptr);
  // supervisor_pipe.cc, with mu_ held: a lease on the least busy pipe if it has room (`idle_only`:
  // only one with no call in flight); turning an idle instance into a piped one; an idle piped
  // instance back into an exclusive one (null if none).
  bool LeasePipe(std::shared_ptr<ComparePipe>* pipe, bool idle_only);
  bool PipeIdleInstance(std::shared_ptr<ComparePipe>* pipe);
  std::unique_ptr<Instance> UnpipeIdleInstance();
  void ReleaseLease(const std::shared_ptr<ComparePipe>& pipe);
  // The piped call. A call whose instance died for another call's fault (or an unknown one) is
  // made again alone: by Compare, on an instance of its own.
  absl::StatusOr<pluginpb::CompareResponse> ComparePiped(std::shared_ptr<ComparePipe> pipe,
                                                         bool probe,
                                                         const pluginpb::CompareRequest& request,
                                                         const ItemPair& pair, std::string* cut,
                                                         std::string* crash_note);
  // The first caller to see a pipe end decides for all its calls (ComparePipe::Verdict): a
  // crash, or a retry elsewhere. Takes the instance out of the pool and disposes of it.
  // `solo`: the judging call went by Compare on the instance, alone when it started.
  void JudgePipe(const std::shared_ptr<ComparePipe>& pipe, const grpc::Status& status,
                 const std::string& where, bool probe, bool solo);
  std::unique_ptr<Instance> TakePipedInstance(const ComparePipe* pipe);
  void AbandonProbe();  // a trial call whose outcome another call reported
  // `alone`: by Compare on an instance of its own (never on a pipe).
  absl::StatusOr<pluginpb::CompareResponse> CompareOnce(const pluginpb::CompareRequest& request,
                                                        const ItemPair& pair, bool content_visible,
                                                        std::string* cut, std::string* crash_note,
                                                        bool alone);
  // The reply of a call that went through, read under the plugin's limits (reply.h), or the
  // plugin-invalid-response error.
  absl::StatusOr<pluginpb::CompareResponse> TakeReply(absl::StatusOr<CompareReply> reply,
                                                      const std::string& where, std::string* cut);
  void CountCall(double ms, bool failed);
  void Release(std::unique_ptr<Instance> instance, bool healthy);
  // Tears a dead instance down (the /proc sweep for escaped descendants, channel, reader thread)
  // off the caller's path, so a failed item is reported at once. Shutdown() waits for these.
  void DisposeLater(std::unique_ptr<Instance> instance);
  // Counts a crash, timeout or lost connection for the breaker and the restart backoff; may
  // quarantine. RecordSuccess: a call that went through (whatever its answer).
  void RecordFailure(const std::string& what, bool probe);
  void RecordSuccess(bool probe);
  // Tells HostOptions::events; never with mu_ held.
  void Tell(const char* kind, std::string detail) const;
  // Adds to the shared counters.
  void Count(const std::function<void(PluginCounters&)>& add);
  absl::Status Unusable() const;  // the error while disabled or quarantined
  // Attached plugins (attached.cc), with mu_ held: whether a call may go ahead now (not while
  // unreachable and waiting to retry), and marking the plugin unreachable.
  absl::Status AttachedGate();
  void MarkUnreachable(const std::string& why);
  absl::StatusOr<std::unique_ptr<Instance>> ConnectInstance();
  // After a failed call: whether the instance's process has exited (how, in `how`), or does
  // within a short wait; a plugin that still answers a health check is alive.
  bool ProcessDied(Instance& instance, const grpc::Status& status, std::string* how);
  // One grpc.health.v1 Check on the instance's channel; fails with "health check failed: ...".
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> CheckHealth(
      Instance& instance, std::chrono::milliseconds timeout);
  // The reply's bytes, unread; the call's outcome in `status`.
  grpc::ByteBuffer CallOnce(Instance& instance, const pluginpb::CompareRequest& request,
                            const ItemPair& pair, bool stream, grpc::Status* status);

  const Manifest manifest_;
  const HostOptions options_;
  const EffectiveLimits limits_;  // the manifest's, under the user's ceiling

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Instance>> idle_;
  std::vector<std::unique_ptr<Instance>> piped_;  // serving ComparePipe, shared by calls
  enum class PipeSupport { kUnknown, kYes, kNo } pipe_support_ = PipeSupport::kUnknown;
  // Calls waiting for an instance of their own: piped calls leave them free instances first.
  int exclusive_waiting_ = 0;
  int live_ = 0;
  int next_index_ = 0;
  PluginState state_ = PluginState::kAvailable;
  std::string reason_;
  FailureBreaker breaker_;
  std::chrono::steady_clock::time_point next_start_{};
  int consecutive_failures_ = 0;
  std::shared_ptr<PluginCounterStore::Entry> counters_;
  std::vector<std::string> sandbox_warnings_;
  std::chrono::steady_clock::time_point retry_at_{};  // attached: next connection attempt
  std::vector<std::future<void>> disposals_;          // DisposeLater's, not yet waited for
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_SUPERVISOR_H_
