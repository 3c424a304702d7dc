// The supervisor's piped calls (ComparePipe, pipe.h): which instance a call shares, and what
// happens to the calls in flight when an instance hangs, crashes or breaks its pipe.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/plugin/instance.h"
#include "daemon/plugin/reply.h"
#include "daemon/plugin/supervisor.h"

namespace deltascope {
namespace {

using supervisor_internal::Coded;
using supervisor_internal::Seconds;

// Recent call latencies kept for the counters (PluginCounters::latencies_ms).
constexpr size_t kLatencySamples = 4096;
// Calls in flight on one instance at most; past it a call waits (or starts an instance).
constexpr int kPipeWindow = 64;
// The id of a call made by Compare on a piped instance (never a pipe call's).
constexpr uint64_t kSoloId = ~uint64_t{0};

}  // namespace

void PluginSupervisor::CountCall(double ms, bool failed) {
  Count([&](PluginCounters& c) {
    ++c.calls;
    if (c.latencies_ms.size() >= kLatencySamples) {
      c.latencies_ms[c.calls % kLatencySamples] = ms;
    } else {
      c.latencies_ms.push_back(ms);
    }
    if (failed) ++c.failures;
  });
}

absl::StatusOr<pluginpb::CompareResponse> PluginSupervisor::TakeReply(
    absl::StatusOr<CompareReply> reply, const std::string& where, std::string* cut) {
  if (!reply.ok()) {
    return Coded(absl::InvalidArgumentError(absl::StrCat("plugin ", manifest_.name,
                                                         " sent an invalid response for ", where,
                                                         ": ", reply.status().message())),
                 "plugin-invalid-response");
  }
  if (cut) *cut = std::move(reply->cut);
  return std::move(reply->response);
}

bool PluginSupervisor::LeasePipe(std::shared_ptr<ComparePipe>* pipe, bool idle_only) {
  ComparePipe* best = nullptr;
  for (const auto& instance : piped_) {
    ComparePipe* p = instance->pipe.get();
    if (!best || p->leases < best->leases) best = p;
  }
  if (!best || best->leases >= (idle_only ? 1 : kPipeWindow)) return false;
  ++best->leases;
  for (const auto& instance : piped_) {
    if (instance->pipe.get() == best) *pipe = instance->pipe;
  }
  return true;
}

bool PluginSupervisor::PipeIdleInstance(std::shared_ptr<ComparePipe>* pipe) {
  if (idle_.empty() || !idle_.back()->ServesPipe()) return false;
  std::unique_ptr<Instance> instance = std::move(idle_.back());
  idle_.pop_back();
  instance->pipe = std::make_shared<ComparePipe>(instance->channel);
  instance->pipe->leases = 1;
  *pipe = instance->pipe;
  piped_.push_back(std::move(instance));
  return true;
}

std::unique_ptr<PluginSupervisor::Instance> PluginSupervisor::UnpipeIdleInstance() {
  for (auto it = piped_.begin(); it != piped_.end(); ++it) {
    // A broken one waits for a call to find it and judge it.
    if ((*it)->pipe->leases > 0 || (*it)->pipe->broken()) continue;
    std::unique_ptr<Instance> instance = std::move(*it);
    piped_.erase(it);
    instance->pipe.reset();  // cancels the stream: no call is on it
    return instance;
  }
  return nullptr;
}

void PluginSupervisor::ReleaseLease(const std::shared_ptr<ComparePipe>& pipe) {
  std::unique_ptr<Instance> unpiped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --pipe->leases;
    // A plugin whose pipe failed while it lived serves by Compare from now on.
    if (pipe_support_ == PipeSupport::kNo && pipe->leases == 0) {
      for (auto it = piped_.begin(); it != piped_.end(); ++it) {
        if ((*it)->pipe != pipe) continue;
        unpiped = std::move(*it);
        piped_.erase(it);
        break;
      }
    }
  }
  if (unpiped) {
    unpiped->pipe.reset();
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(unpiped));
  }
  cv_.notify_all();
}

std::unique_ptr<PluginSupervisor::Instance> PluginSupervisor::TakePipedInstance(
    const ComparePipe* pipe) {
  std::unique_ptr<Instance> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = piped_.begin(); it != piped_.end(); ++it) {
      if ((*it)->pipe.get() != pipe) continue;
      taken = std::move(*it);
      piped_.erase(it);
      --live_;
      break;
    }
  }
  cv_.notify_all();
  return taken;
}

void PluginSupervisor::AbandonProbe() {
  std::lock_guard<std::mutex> lock(mu_);
  breaker_.ProbeAbandoned();
}

void PluginSupervisor::JudgePipe(const std::shared_ptr<ComparePipe>& pipe,
                                 const grpc::Status& status, const std::string& where, bool probe,
                                 bool solo) {
  ComparePipe::Verdict verdict;
  // A lone call saw the end first: the stream ends too when the process does (bounded).
  if (solo) pipe->WaitEnded(std::chrono::milliseconds(1000));
  std::unique_ptr<Instance> dead = TakePipedInstance(pipe.get());
  std::string how;
  if (!dead) {
    verdict.retry = true;  // stopped by the host (at shutdown, past its grace)
  } else if (dead->process && ProcessDied(*dead, status, &how)) {
    // One call in flight: it crashed the plugin. Several: which one is unknown, so each is made
    // again alone (the culprit then crashes a process by itself).
    // The stream's calls and any lone call by Compare on the same process; the leases count
    // both (and calls already answered but not yet judged: counting those only means a retry).
    size_t in_flight = pipe->in_flight_at_end() + (solo ? 1 : 0);
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight = std::max(in_flight, static_cast<size_t>(pipe->leases));
    }
    const bool alone = in_flight <= 1;
    verdict.retry = !alone;
    verdict.blamed = solo ? kSoloId : pipe->oldest_at_end();  // a lone call was there first
    verdict.crashed = how;
    verdict.stderr_tail = dead->process->LastStderr(std::chrono::milliseconds(300));
    Count([](PluginCounters& c) { ++c.crashes; });
    const std::string what =
        alone ? absl::StrCat("crashed (", how, ") on ", where)
              : absl::StrCat("crashed (", how, ") with ", in_flight,
                             " calls in flight on its pipe, ", where, " among them");
    Tell("crash", what);
    RecordFailure(what, probe);
  } else {
    // Alive but its pipe failed (a reply over gRPC's limit, a malformed message, a broken
    // implementation): not the calls' fault. They go again, by Compare from now on.
    verdict.retry = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pipe_support_ = PipeSupport::kNo;
    }
    if (dead->process) dead->process->KillGroupAndReap();
    const std::string what =
        absl::StrCat("ComparePipe failed on ", where, ": ", status.error_message().substr(0, 300));
    Tell("connection-lost", what);
    RecordFailure(what, probe);
  }
  pipe->SetVerdict(std::move(verdict));
  if (dead) DisposeLater(std::move(dead));
}

absl::StatusOr<pluginpb::CompareResponse> PluginSupervisor::ComparePiped(
    std::shared_ptr<ComparePipe> pipe, bool probe, const pluginpb::CompareRequest& request,
    const ItemPair& pair, std::string* cut, std::string* crash_note) {
  const std::string where = pair.path.empty() ? "<root>" : pair.path;
  const auto start = std::chrono::steady_clock::now();
  bool solo = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    solo = pipe->leases == 1;
  }
  ComparePipe::Outcome out;
  if (!solo) {
    out = pipe->Call(request, start + limits_.call_timeout);
  } else {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + limits_.call_timeout);
    grpc::ByteBuffer bytes;
    const grpc::Status status = CallCompare(pipe->channel(), ctx, request, &bytes);
    using O = ComparePipe::Outcome;
    if (status.ok()) {
      out = O::Of(O::kReply, status, Contiguous(bytes));
    } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      out = O::Of(O::kTimeout);
    } else if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
               CheckPluginHealth(pipe->channel(), std::chrono::milliseconds(300)).ok()) {
      out = O::Of(O::kItemError, status);  // the plugin's own error (or gRPC's size limit)
    } else {
      out = O::Of(O::kBroken, status);
    }
    out.id = kSoloId;
  }
  CountCall(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
      out.kind != ComparePipe::Outcome::kReply);
  if (!solo) Count([](PluginCounters& c) { ++c.piped; });
  // The lease is held until the outcome is judged: a pipe with none may be handed on.
  struct Lease {
    PluginSupervisor* self;
    const std::shared_ptr<ComparePipe>& pipe;
    ~Lease() { self->ReleaseLease(pipe); }
  } lease{this, pipe};
  switch (out.kind) {
    case ComparePipe::Outcome::kReply:
      RecordSuccess(probe);
      return TakeReply(ReadCompareReply(std::move(out.bytes), request, limits_.reply), where, cut);
    case ComparePipe::Outcome::kItemError:
      RecordSuccess(probe);  // the plugin answered, with its own error
      if (solo && out.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        return Coded(absl::InvalidArgumentError(
                         absl::StrCat("plugin ", manifest_.name, " sent an invalid response for ",
                                      where, ": ", out.status.error_message().substr(0, 300))),
                     "plugin-invalid-response");
      }
      return Coded(absl::Status(static_cast<absl::StatusCode>(out.status.error_code()),
                                absl::StrCat("plugin ", manifest_.name, " failed on ", where, ": ",
                                             out.status.error_message().substr(0, 500))),
                   "plugin-error");
    case ComparePipe::Outcome::kTimeout: {
      // This call hung: the instance dies now (before the item is reported) and the other calls
      // on it, not at fault, go again.
      if (!pipe->Claim()) {
        if (probe) AbandonProbe();
      } else {
        std::unique_ptr<Instance> dead = TakePipedInstance(pipe.get());
        if (dead && dead->process) dead->process->KillGroupAndReap();
        ComparePipe::Verdict retry;
        retry.retry = true;
        pipe->SetVerdict(std::move(retry));
        Count([](PluginCounters& c) { ++c.timeouts; });
        const std::string what =
            absl::StrCat("timed out after ", Seconds(limits_.call_timeout), " on ", where);
        Tell("timeout", what);
        RecordFailure(what, probe);
        if (dead) DisposeLater(std::move(dead));
      }
      return Coded(
          absl::DeadlineExceededError(absl::StrCat("plugin ", manifest_.name, " timed out after ",
                                                   Seconds(limits_.call_timeout), " on ", where)),
          "plugin-timeout");
    }
    case ComparePipe::Outcome::kBroken:
      break;
  }
  const bool claimed = pipe->Claim();
  if (claimed) JudgePipe(pipe, out.status, where, probe, solo);
  const ComparePipe::Verdict verdict = pipe->AwaitVerdict();
  if (!claimed && probe) AbandonProbe();  // the claimer counted the failure
  // A call that was never sent (it came after the end) is never at fault either.
  // Only the blamed call reports a crash; any other call that saw it is not at fault.
  if (verdict.retry || out.id == 0 || out.id != verdict.blamed) {
    // A crash is reported once, on the oldest call in flight (the likeliest cause), as a note
    // beside its answer; whichever call really crashes the plugin crashes it again, alone.
    if (verdict.retry && !verdict.crashed.empty() && verdict.blamed == out.id && crash_note) {
      *crash_note =
          absl::StrCat("plugin ", manifest_.name, " crashed (", verdict.crashed, ") while ", where,
                       " was in flight on its pipe",
                       verdict.stderr_tail.empty() ? "" : "; last stderr: ", verdict.stderr_tail,
                       "; compared again alone");
    }
    return CompareOnce(request, pair, /*content_visible=*/true, cut, nullptr, /*alone=*/true);
  }
  return Coded(absl::UnavailableError(absl::StrCat(
                   "plugin ", manifest_.name, " crashed (", verdict.crashed, ") on ", where,
                   verdict.stderr_tail.empty() ? "" : "; last stderr: ", verdict.stderr_tail)),
               "plugin-crash");
}

}  // namespace deltascope
