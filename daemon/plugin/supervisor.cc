#include "daemon/plugin/supervisor.h"

#include <grpcpp/create_channel_posix.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/engine/comparator.h"
#include "daemon/plugin/attached.h"
#include "daemon/plugin/instance.h"
#include "daemon/plugin/reply.h"
#include "daemon/util/fd.h"
#include "daemon/util/sha256.h"
#include "deltascope/plugin/v1/comparator.grpc.pb.h"

namespace deltascope {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

using supervisor_internal::Coded;
using supervisor_internal::Seconds;

}  // namespace

const char* PluginStateName(PluginState state) {
  switch (state) {
    case PluginState::kAvailable:
      return "available";
    case PluginState::kRunning:
      return "running";
    case PluginState::kDisabled:
      return "disabled";
    case PluginState::kQuarantined:
      return "quarantined";
    case PluginState::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

PluginSupervisor::PluginSupervisor(Manifest manifest, const HostOptions& options)
    : manifest_(std::move(manifest)),
      options_(options),
      limits_(ResolveLimits(manifest_.limits, options_.limit_ceiling, sandbox_mode())),
      breaker_(FailureBreaker::Options{
          .min_failures = options_.crash_budget,
          .failure_rate = options_.failure_rate,
          .window = options_.crash_window,
          // The host cannot restart an attached plugin, only reconnect: its quarantine is short.
          .open_period = manifest_.attached() ? options_.crash_window : options_.quarantine_period,
          .clock = options_.clock}),
      counters_(options_.counters ? options_.counters->For(manifest_.name)
                                  : std::make_shared<PluginCounterStore::Entry>()) {}

std::shared_ptr<PluginCounterStore::Entry> PluginCounterStore::For(const std::string& plugin) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Entry>& entry = entries_[plugin];
  if (!entry) entry = std::make_shared<Entry>();
  return entry;
}

PluginSupervisor::~PluginSupervisor() { Shutdown(); }

PluginState PluginSupervisor::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != PluginState::kDisabled && state_ != PluginState::kUnreachable &&
      breaker_.tripped()) {
    return PluginState::kQuarantined;
  }
  return state_;
}

std::string PluginSupervisor::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != PluginState::kDisabled && state_ != PluginState::kUnreachable &&
      breaker_.tripped()) {
    return breaker_.reason();
  }
  return reason_;
}

PluginCounters PluginSupervisor::counters() const {
  PluginCounters c;
  {
    std::lock_guard<std::mutex> lock(counters_->mu);
    c = counters_->counters;
  }
  std::lock_guard<std::mutex> lock(mu_);
  c.instances = live_;
  return c;
}

void PluginSupervisor::Count(const std::function<void(PluginCounters&)>& add) {
  std::lock_guard<std::mutex> lock(counters_->mu);
  add(counters_->counters);
}

void PluginSupervisor::Tell(const char* kind, std::string detail) const {
  if (options_.events) options_.events({manifest_.name, kind, std::move(detail)});
}

std::vector<std::string> PluginSupervisor::sandbox_warnings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sandbox_warnings_;
}

absl::Status SetSandboxChoice(const std::string& choice, HostOptions& options) {
  absl::StatusOr<SandboxMode> mode = ParseSandboxMode(choice.empty() ? "standard" : choice);
  if (!mode.ok()) return mode.status();
  options.sandbox = *mode;
  options.sandbox_is_floor = !choice.empty();
  return absl::OkStatus();
}

absl::Status PluginSupervisor::Unusable() const {
  if (state_ == PluginState::kUnreachable) {
    return Coded(absl::UnavailableError(reason_), "plugin-unavailable");
  }
  if (state_ != PluginState::kDisabled && breaker_.tripped()) {
    return Coded(absl::UnavailableError(absl::StrCat("plugin ", manifest_.name,
                                                     " is quarantined: ", breaker_.reason())),
                 "plugin-quarantined");
  }
  return Coded(
      absl::UnavailableError(absl::StrCat("plugin ", manifest_.name, " is disabled: ", reason_)),
      "plugin-unavailable");
}

absl::StatusOr<std::unique_ptr<PluginSupervisor::Instance>> PluginSupervisor::StartInstance(
    int index) {
  if (manifest_.attached()) return ConnectInstance();
  if (!manifest_.sha256.empty()) {
    absl::StatusOr<std::string> digest = Sha256OfFile(manifest_.command);
    if (!digest.ok()) return digest.status();
    if (*digest != manifest_.sha256) {
      return absl::PermissionDeniedError(
          absl::StrCat("plugin ", manifest_.name, ": checksum mismatch for ",
                       manifest_.command.string(), " (manifest ", manifest_.sha256.substr(0, 12),
                       "..., file ", digest->substr(0, 12), "...)"));
    }
  }
  SandboxMode mode = sandbox_mode();
  ProcessSpec spec;
  spec.plugin = manifest_.name;
  spec.instance = index;
  spec.argv.push_back(manifest_.command.string());
  spec.argv.insert(spec.argv.end(), manifest_.args.begin(), manifest_.args.end());
  spec.runtime_dir = options_.runtime_dir;
  if (mode == SandboxMode::kOff) {
    for (char** e = environ; *e; ++e) spec.env.emplace_back(*e);
  } else {
    // Scrubbed: only what a program needs to run.
    const char* path = std::getenv("PATH");
    spec.env.push_back(absl::StrCat("PATH=", path ? path : "/usr/bin:/bin"));
    spec.env.push_back("LANG=C.UTF-8");
  }
  for (const auto& [k, v] : manifest_.env) spec.env.push_back(absl::StrCat(k, "=", v));
  spec.env.push_back("DELTASCOPE_PLUGIN_MAGIC_COOKIE=d3lt4sc0pe-plugin-v1");
  spec.env.push_back("DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS=1");
  spec.env.push_back(absl::StrCat("DELTASCOPE_PLUGIN_NAME=", manifest_.name));
  spec.env.push_back(absl::StrCat("DELTASCOPE_PLUGIN_INSTANCE=", index));
  spec.sandbox.mode = mode;
  spec.sandbox.read_only = SandboxReadOnlyPaths(manifest_);
  spec.sandbox.workdir = manifest_.root;
  spec.sandbox.content = options_.content_roots;
  spec.sandbox.limits = limits_.resources;
  spec.startup_timeout = limits_.startup_timeout;
  spec.log = options_.log;
  absl::StatusOr<std::unique_ptr<PluginProcess>> process = PluginProcess::Start(spec);
  if (!process.ok()) return process.status();

  auto instance = std::make_unique<Instance>();
  instance->process = std::move(*process);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxPluginResponseBytes);
  // A plugin call is never retried (a deadline or a crash is the answer); without the retry
  // filter each call allocates and copies less.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // The host connects itself and checks who answers (PluginProcess::Connect): never by name
  // through gRPC, which would trust whatever listens at the path.
  absl::StatusOr<UniqueFd> connection = instance->process->Connect();
  if (!connection.ok()) return connection.status();
  instance->channel = grpc::CreateCustomInsecureChannelFromFd(
      absl::StrCat("plugin:", manifest_.name), connection->Release(), args);
  instance->stub = pluginpb::Comparator::NewStub(instance->channel);
  absl::StatusOr<pluginpb::DescribeResponse> description =
      DescribePlugin(*instance->channel, limits_.startup_timeout);
  if (!description.ok()) {
    return absl::UnavailableError(absl::StrCat("plugin ", manifest_.name, ": ",
                                               description.status().message(),
                                               "; stderr: ", instance->process->LastStderr()));
  }
  instance->description = std::move(*description);
  if (absl::Status s = CheckDescription(manifest_, instance->description); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sandbox_warnings_ = instance->process->sandbox_warnings();
  }
  return instance;
}

absl::StatusOr<std::unique_ptr<PluginSupervisor::Instance>> PluginSupervisor::Acquire(
    bool* probe, std::shared_ptr<ComparePipe>* pipe) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto piped = [&] { return pipe && pipe_support_ != PipeSupport::kNo; };
  const auto busy_until = std::chrono::steady_clock::now() + limits_.call_timeout;
  bool admitted = false;
  // A trial call admitted but not made lets the next caller try.
  const auto give_up = [&] {
    if (probe && *probe) breaker_.ProbeAbandoned();
    return Unusable();
  };
  while (true) {
    if (manifest_.attached()) {
      if (absl::Status s = AttachedGate(); !s.ok()) return give_up();
    }
    if (state_ == PluginState::kDisabled) return give_up();
    if (!probe) {
      if (breaker_.refusing()) return Unusable();
    } else if (!admitted) {
      const FailureBreaker::Admission admission = breaker_.Admit();
      if (admission == FailureBreaker::Admission::kRefused) return Unusable();
      *probe = admission == FailureBreaker::Admission::kProbe;
      admitted = true;
    } else if (!*probe && breaker_.tripped()) {
      return Unusable();  // quarantined while this call waited for an instance
    }
    if (piped()) {
      // Calls spread over the instances first (as many processes work as without the pipe),
      // then share them.
      const bool yield = exclusive_waiting_ > 0;  // free instances go to those first
      if (LeasePipe(pipe, /*idle_only=*/true) || (!yield && PipeIdleInstance(pipe))) {
        return nullptr;
      }
      if (!yield && !idle_.empty()) {  // one that does not serve the pipe: by Compare
        std::unique_ptr<Instance> instance = std::move(idle_.back());
        idle_.pop_back();
        return instance;
      }
      if (!yield && live_ < limits_.max_instances) break;
      if (LeasePipe(pipe, /*idle_only=*/false)) return nullptr;
    } else {
      if (!idle_.empty()) {
        std::unique_ptr<Instance> instance = std::move(idle_.back());
        idle_.pop_back();
        return instance;
      }
      if (live_ < limits_.max_instances) break;
      if (std::unique_ptr<Instance> instance = UnpipeIdleInstance()) return instance;
    }
    // The plugin's capacity is its instances: a call waits for one at most a call's deadline,
    // then the item falls back (every instance hung, say, and the breaker not yet open).
    const bool exclusive = !piped();
    exclusive_waiting_ += exclusive;
    const std::cv_status waited = cv_.wait_until(lock, busy_until);
    exclusive_waiting_ -= exclusive;
    if (waited == std::cv_status::timeout && idle_.empty() && live_ >= limits_.max_instances) {
      if (probe && *probe) breaker_.ProbeAbandoned();
      return Coded(absl::ResourceExhaustedError(absl::StrCat(
                       "plugin ", manifest_.name, " is busy: its ", limits_.max_instances,
                       " instance(s) stayed in calls for ", Seconds(limits_.call_timeout))),
                   "plugin-busy");
    }
  }
  ++live_;
  int index = next_index_++;
  const auto backoff = next_start_ - options_.clock();
  bool restart = consecutive_failures_ > 0;
  lock.unlock();
  if (!manifest_.attached() && backoff.count() > 0) std::this_thread::sleep_for(backoff);
  absl::StatusOr<std::unique_ptr<Instance>> instance = StartInstance(index);
  lock.lock();
  if (!instance.ok()) {
    --live_;
    const std::string why(instance.status().message());
    if (manifest_.attached()) {
      MarkUnreachable(why);
    } else {
      state_ = PluginState::kDisabled;
      reason_ = why;
    }
    cv_.notify_all();
    absl::Status refusal = give_up();
    lock.unlock();
    Tell(manifest_.attached() ? "unreachable" : "disabled", why);
    return refusal;
  }
  state_ = PluginState::kRunning;
  if (pipe_support_ == PipeSupport::kUnknown) {
    pipe_support_ = (*instance)->ServesPipe() ? PipeSupport::kYes : PipeSupport::kNo;
  }
  if (piped() && (*instance)->ServesPipe()) {
    (*instance)->pipe = std::make_shared<ComparePipe>((*instance)->channel);
    piped_.push_back(std::move(*instance));
    LeasePipe(pipe, /*idle_only=*/false);
  }
  lock.unlock();
  if (restart) {
    Count([](PluginCounters& c) { ++c.restarts; });
    Tell("restart", absl::StrCat("instance ", index, " started after a failure"));
  }
  if (pipe && *pipe) return nullptr;
  return instance;
}

void PluginSupervisor::Release(std::unique_ptr<Instance> instance, bool healthy) {
  std::unique_ptr<Instance> dead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (healthy && state_ == PluginState::kRunning) {
      idle_.push_back(std::move(instance));
    } else {
      --live_;
      dead = std::move(instance);  // killed and reaped outside the lock
    }
  }
  cv_.notify_all();
  if (dead) DisposeLater(std::move(dead));
}

void PluginSupervisor::DisposeLater(std::unique_ptr<Instance> instance) {
  std::future<void> done = std::async(std::launch::async, [dead = std::move(instance)]() mutable {
    dead.reset();  // ~PluginProcess: kill, sweep, reap, join the reader
  });
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(disposals_, [](const std::future<void>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  disposals_.push_back(std::move(done));
}

void PluginSupervisor::RecordFailure(const std::string& what, bool probe) {
  std::string opened;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++consecutive_failures_;
    auto backoff = std::chrono::milliseconds(50) * (1 << std::min(consecutive_failures_ - 1, 6));
    next_start_ = options_.clock() + std::min(backoff, std::chrono::milliseconds(2000));
    if (breaker_.RecordFailure(probe, what)) {
      cv_.notify_all();  // waiters fall back now
      opened = breaker_.reason();
    }
  }
  if (!opened.empty()) Tell("quarantine", opened);
}

void PluginSupervisor::RecordSuccess(bool probe) {
  bool recovered = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    consecutive_failures_ = 0;
    const bool was_tripped = breaker_.tripped();
    breaker_.RecordSuccess(probe);
    recovered = was_tripped && !breaker_.tripped();
  }
  if (recovered) Tell("recovery", "its trial call after a quarantine went through");
}

grpc::ByteBuffer PluginSupervisor::CallOnce(Instance& instance,
                                            const pluginpb::CompareRequest& request,
                                            const ItemPair& pair, bool stream,
                                            grpc::Status* status) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + limits_.call_timeout);
  grpc::ByteBuffer response;  // read by ReadCompareReply: gRPC never decodes a plugin's bytes
  if (!stream) {
    *status = CallCompare(*instance.channel, ctx, request, &response);
    return response;
  }
  std::unique_ptr<grpc::ClientWriter<pluginpb::CompareStreamMessage>> writer =
      CallCompareStream(*instance.channel, ctx, &response);
  pluginpb::CompareStreamMessage head;
  *head.mutable_request() = request;
  // Physical paths stay on this side of the sandbox; an absent side stays unset (not empty).
  if (request.has_left()) head.mutable_request()->mutable_left()->clear_path();
  if (request.has_right()) head.mutable_request()->mutable_right()->clear_path();
  bool ok = writer->Write(head);
  std::string buf(kChunkBytes, '\0');
  for (auto [item, side] : {std::pair{pair.left.get(), pluginpb::ContentChunk::SIDE_LEFT},
                            std::pair{pair.right.get(), pluginpb::ContentChunk::SIDE_RIGHT}}) {
    if (!ok || !item) continue;
    // A side we cannot read in full is never sent truncated: the call is cancelled instead.
    const auto abandon = [&](const absl::Status& why) {
      ctx.TryCancel();
      *status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(why.message()));
      writer->Finish();
      return response;
    };
    absl::StatusOr<UniqueFd> fd = OpenForReading(item->physical());
    if (!fd.ok()) return abandon(fd.status());
    while (ok) {
      absl::StatusOr<size_t> n = ReadFully(fd->get(), buf.data(), buf.size());
      if (!n.ok()) return abandon(n.status());
      pluginpb::CompareStreamMessage msg;
      msg.mutable_chunk()->set_side(side);
      msg.mutable_chunk()->set_data(buf.data(), *n);
      msg.mutable_chunk()->set_last(*n < buf.size());
      ok = writer->Write(msg);
      if (*n < buf.size()) break;
    }
  }
  writer->WritesDone();
  *status = writer->Finish();
  return response;
}

absl::StatusOr<pluginpb::CompareResponse> PluginSupervisor::Compare(
    const pluginpb::CompareRequest& request, const ItemPair& pair, bool content_visible,
    std::string* cut, std::string* crash_note) {
  return CompareOnce(request, pair, content_visible, cut, crash_note, /*alone=*/false);
}

absl::StatusOr<pluginpb::CompareResponse> PluginSupervisor::CompareOnce(
    const pluginpb::CompareRequest& request, const ItemPair& pair, bool content_visible,
    std::string* cut, std::string* crash_note, bool alone) {
  bool probe = false;
  const bool stream = manifest_.content == ContentDelivery::kStream || !content_visible;
  std::shared_ptr<ComparePipe> pipe;
  const bool pipe_wanted = !stream && !alone && options_.compare_pipe && !manifest_.attached();
  absl::StatusOr<std::unique_ptr<Instance>> acquired =
      Acquire(&probe, pipe_wanted ? &pipe : nullptr);
  if (!acquired.ok()) return acquired.status();
  if (pipe) return ComparePiped(std::move(pipe), probe, request, pair, cut, crash_note);
  std::unique_ptr<Instance> instance = std::move(*acquired);
  const std::string where = pair.path.empty() ? "<root>" : pair.path;
  auto start = std::chrono::steady_clock::now();
  grpc::Status status;
  grpc::ByteBuffer bytes = CallOnce(*instance, request, pair, stream, &status);
  CountCall(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
      !status.ok());
  if (status.ok()) {
    RecordSuccess(probe);
    // The call went through: whatever fails now is the reply itself.
    absl::StatusOr<CompareReply> reply = ReadCompareReply(std::move(bytes), request, limits_.reply);
    Release(std::move(instance), true);
    return TakeReply(std::move(reply), where, cut);
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    // Dead before the item is reported; the sweep for escaped descendants follows off this path.
    // An attached plugin cannot be killed: the deadline cancelled the call, the channel goes.
    if (instance->process) instance->process->KillGroupAndReap();
    Count([](PluginCounters& c) { ++c.timeouts; });
    std::string what =
        absl::StrCat("timed out after ", Seconds(limits_.call_timeout), " on ", where);
    Tell("timeout", what);
    RecordFailure(what, probe);
    Release(std::move(instance), false);
    return Coded(absl::DeadlineExceededError(absl::StrCat("plugin ", manifest_.name, " ", what)),
                 "plugin-timeout");
  }
  if (!instance->process && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    // The attached plugin went away: not a crash we caused, so no quarantine; fall back now
    // and reconnect on a later call.
    std::string what =
        absl::StrCat("plugin ", manifest_.name, " at ", manifest_.endpoint, " went away on ", where,
                     ": ", status.error_message().substr(0, 300));
    {
      std::lock_guard<std::mutex> lock(mu_);
      MarkUnreachable(what);
      retry_at_ = options_.clock();  // the next call may reconnect at once
    }
    Tell("unreachable", what);
    Release(std::move(instance), false);
    return Coded(absl::UnavailableError(what), "plugin-unavailable");
  }
  std::string how;
  if (instance->process && ProcessDied(*instance, status, &how)) {
    std::string tail = instance->process->LastStderr(std::chrono::milliseconds(300));
    Count([](PluginCounters& c) { ++c.crashes; });
    std::string what = absl::StrCat("crashed (", how, ") on ", where);
    Tell("crash", what);
    RecordFailure(what, probe);
    Release(std::move(instance), false);
    return Coded(absl::UnavailableError(absl::StrCat("plugin ", manifest_.name, " ", what,
                                                     tail.empty() ? "" : "; last stderr: ", tail)),
                 "plugin-crash");
  }
  // gRPC's own refusal of a reply over the receive limit (kMaxPluginResponseBytes).
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    RecordSuccess(probe);
    Release(std::move(instance), true);
    return Coded(absl::InvalidArgumentError(
                     absl::StrCat("plugin ", manifest_.name, " sent an invalid response for ",
                                  where, ": ", status.error_message().substr(0, 300))),
                 "plugin-invalid-response");
  }
  bool broken = status.error_code() == grpc::StatusCode::UNAVAILABLE;
  if (broken) {
    const std::string what = absl::StrCat("connection lost on ", where);
    Tell("connection-lost", what);
    RecordFailure(what, probe);
  } else {
    RecordSuccess(probe);  // the plugin answered, with its own error
  }
  Release(std::move(instance), !broken);
  return Coded(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                            absl::StrCat("plugin ", manifest_.name, " failed on ", where, ": ",
                                         status.error_message().substr(0, 500))),
               "plugin-error");
}

bool PluginSupervisor::ProcessDied(Instance& instance, const grpc::Status& status,
                                   std::string* how) {
  if (instance.process->Exited(how)) return true;
  // A failed call with the connection intact is the plugin's own answer (a comparator that
  // raised, say): a health check tells in a millisecond, where waiting for an exit takes 300.
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
      CheckHealth(instance, std::chrono::milliseconds(300)).ok()) {
    return false;
  }
  return instance.process->WaitForExit(std::chrono::milliseconds(300), how);
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse> PluginSupervisor::CheckHealth(
    Instance& instance, std::chrono::milliseconds timeout) {
  return CheckPluginHealth(*instance.channel, timeout);
}

absl::StatusOr<pluginpb::DescribeResponse> PluginSupervisor::Describe() {
  {
    std::lock_guard<std::mutex> lock(mu_);  // a piped instance answers for all (shared)
    if (!piped_.empty()) return piped_.front()->description;
  }
  absl::StatusOr<std::unique_ptr<Instance>> instance = Acquire(nullptr);
  if (!instance.ok()) return instance.status();
  pluginpb::DescribeResponse description = (*instance)->description;
  Release(std::move(*instance), true);
  return description;
}

absl::StatusOr<std::string> PluginSupervisor::Health() {
  std::shared_ptr<grpc::Channel> shared;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!piped_.empty()) shared = piped_.front()->channel;
  }
  if (shared) {
    absl::StatusOr<grpc::health::v1::HealthCheckResponse> resp =
        CheckPluginHealth(*shared, std::chrono::seconds(5));
    if (!resp.ok()) return resp.status();
    return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp->status());
  }
  absl::StatusOr<std::unique_ptr<Instance>> instance = Acquire(nullptr);
  if (!instance.ok()) return instance.status();
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> resp =
      CheckHealth(**instance, std::chrono::seconds(5));
  Release(std::move(*instance), resp.ok());
  if (!resp.ok()) return resp.status();
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp->status());
}

void PluginSupervisor::Shutdown() {
  std::vector<std::unique_ptr<Instance>> instances;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Wait (bounded) for calls in flight to hand their instances back.
    cv_.wait_for(lock, options_.shutdown_grace, [&] {
      int unused = static_cast<int>(idle_.size());
      for (const auto& p : piped_) unused += p->pipe->leases == 0;
      return unused == live_;
    });
    instances = std::move(idle_);
    idle_.clear();
    for (auto& p : piped_) instances.push_back(std::move(p));
    piped_.clear();
    live_ -= static_cast<int>(instances.size());
  }
  for (auto& instance : instances) {
    // A call still in flight (past the grace) sees its pipe end; the rest are idle.
    instance->pipe.reset();
    if (!instance->process) continue;  // attached: not ours to stop
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    CallShutdown(*instance->channel, ctx);
    // Close our connection: a server's graceful stop (Python's stop(grace), Go's GracefulStop)
    // waits for its clients to go, which would otherwise cost each exit the plugin's grace.
    instance->stub.reset();
    instance->channel.reset();
  }
  for (auto& instance : instances) {
    std::string how;
    if (instance->process) instance->process->WaitForExit(options_.shutdown_grace, &how);
  }
  instances.clear();  // ~PluginProcess kills whatever is left and reaps it
  std::vector<std::future<void>> disposals;
  {
    std::lock_guard<std::mutex> lock(mu_);
    disposals.swap(disposals_);
  }
  for (std::future<void>& f : disposals) f.wait();
}

}  // namespace deltascope
