#include "daemon/server/diff_service.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/engine/media_type.h"
#include "daemon/server/log.h"
#include "daemon/server/slot_lender.h"
#include "daemon/session/diff_session.h"

namespace deltascope {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(static_cast<int>(s.code()));
  return grpc::Status(code, std::string(s.message()));
}

// Protobuf parsers (every gRPC client's, in every language) refuse messages nested more than
// 100 levels deep, and a gRPC C++ client whose stream message fails to parse waits forever in
// Finish(). A changeset's root node sits 2 levels down in a DiffEvent and a leaf's details take
// up to 8 more, so trees deeper than this are refused with a clear error instead.
constexpr int kMaxSendableTreeDepth = 88;

// Depth of the tree under `node`, counted no further than `limit` levels.
int TreeDepth(const DiffNode& node, int limit) {
  if (limit <= 0) return 1;
  int deepest = 0;
  for (const DiffNode& child : node.children()) {
    deepest = std::max(deepest, TreeDepth(child, limit - 1));
    if (deepest >= limit) break;
  }
  return deepest + 1;
}

// proto3 strings must be valid UTF-8: a changeset holding a file name that is not (it is bytes
// on Linux) could not be sent, and the client waited forever. Such strings are replaced the way
// the JSON renderer replaces them, so client output stays byte-identical to a local run's.
void MakeUtf8(std::string& s) {
  if (IsValidUtf8(s)) return;
  s = nlohmann::json::parse(
          nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
          .get<std::string>();
}

void MakeUtf8(google::protobuf::Value& value) {
  if (value.has_string_value()) MakeUtf8(*value.mutable_string_value());
  if (value.has_list_value()) {
    for (auto& v : *value.mutable_list_value()->mutable_values()) MakeUtf8(v);
  }
  if (value.has_struct_value()) {
    for (auto& [key, v] : *value.mutable_struct_value()->mutable_fields()) MakeUtf8(v);
  }
}

void MakeUtf8(DiffNode& node) {
  for (std::string* s :
       {node.mutable_path(), node.mutable_source_path(), node.mutable_summary(),
        node.mutable_action(), node.mutable_item_type(), node.mutable_comparator()}) {
    MakeUtf8(*s);
  }
  for (std::string& tag : *node.mutable_tags()) MakeUtf8(tag);
  for (auto& [key, v] : *node.mutable_details()->mutable_fields()) MakeUtf8(v);
  for (DiffNode& child : *node.mutable_children()) MakeUtf8(child);
}

void MakeUtf8(Changeset& cs) {
  MakeUtf8(*cs.mutable_from_snapshot());
  MakeUtf8(*cs.mutable_to_snapshot());
  if (cs.has_root()) MakeUtf8(*cs.mutable_root());
  for (auto& d : *cs.mutable_diagnostics()) {
    MakeUtf8(*d.mutable_code());
    MakeUtf8(*d.mutable_message());
    MakeUtf8(*d.mutable_path());
  }
}

// Nodes under `node` (itself included): the size of what a changeset reports.
uint64_t CountNodes(const DiffNode& node) {
  uint64_t n = 1;
  for (const DiffNode& child : node.children()) n += CountNodes(child);
  return n;
}

// Streams a session's progress and changesets to the client, and stops the diff when the client
// goes away or the drain period is over.
class StreamingObserver : public DiffObserver {
 public:
  StreamingObserver(grpc::ServerContext& context, grpc::ServerWriter<daemon::v1::DiffEvent>& writer,
                    const std::atomic<bool>& abandon, std::chrono::milliseconds interval,
                    const std::vector<Snapshot>& snapshots)
      : context_(context),
        writer_(writer),
        abandon_(abandon),
        interval_(interval),
        snapshots_(snapshots) {}

  void PairStarted(size_t index, const DiffProgress&) override { pair_ = index; }
  std::chrono::milliseconds ProgressInterval() const override { return interval_; }

  bool OnProgress(size_t index, const DiffProgress& progress) override {
    if (context_.IsCancelled() || abandon_) return false;
    daemon::v1::DiffEvent event;
    event.mutable_progress()->set_items_compared(progress.items_compared.load());
    event.mutable_progress()->set_bytes_hashed(progress.bytes_hashed.load());
    event.mutable_progress()->set_pair_index(static_cast<uint32_t>(index));
    return writer_.Write(event);  // false: the client went away
  }

  bool OnChangeset(size_t index, const Changeset& changeset) override {
    if (int depth = TreeDepth(changeset.root(), kMaxSendableTreeDepth);
        depth > kMaxSendableTreeDepth) {
      refusal_ = grpc::Status(
          grpc::StatusCode::UNIMPLEMENTED,
          absl::StrCat("the changeset of ", snapshots_[index].label, " → ",
                       snapshots_[index + 1].label, " is nested more than ", kMaxSendableTreeDepth,
                       " levels deep, more than a gRPC client can read; run the diff without "
                       "the daemon"));
      return false;
    }
    daemon::v1::DiffEvent event;
    *event.mutable_changeset() = changeset;
    MakeUtf8(*event.mutable_changeset());
    if (changeset.has_root()) changed_nodes_ += CountNodes(changeset.root());
    return writer_.Write(event);
  }

  size_t pair() const { return pair_; }
  uint64_t changed_nodes() const { return changed_nodes_; }
  // Set when the diff was stopped for a reason other than cancellation.
  const grpc::Status& refusal() const { return refusal_; }

 private:
  grpc::ServerContext& context_;
  grpc::ServerWriter<daemon::v1::DiffEvent>& writer_;
  const std::atomic<bool>& abandon_;
  const std::chrono::milliseconds interval_;
  const std::vector<Snapshot>& snapshots_;
  size_t pair_ = 0;
  uint64_t changed_nodes_ = 0;
  grpc::Status refusal_;
};

}  // namespace

DiffService::DiffService(std::shared_ptr<ComparatorSource> source, ServiceLimits limits,
                         ClientAccess access)
    : source_(std::move(source)), limits_(limits), access_(std::move(access)) {}

bool DiffService::Admit(grpc::ServerContext* context, grpc::Status* refusal) {
  std::unique_lock<std::mutex> lock(mu_);
  if (draining_) {
    *refusal = grpc::Status(grpc::StatusCode::UNAVAILABLE, "deltascoped is shutting down");
    return false;
  }
  if (running_ >= limits_.max_concurrent) {
    if (queued_ >= limits_.max_queued) {
      *refusal = grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("busy: ", running_, " diffs running and ", queued_, " queued; retry later"));
      return false;
    }
    ++queued_;
    while (running_ >= limits_.max_concurrent && !draining_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (context->IsCancelled()) {
        --queued_;
        *refusal = grpc::Status(grpc::StatusCode::CANCELLED, "client went away while queued");
        return false;
      }
    }
    --queued_;
    if (draining_) {
      *refusal = grpc::Status(grpc::StatusCode::UNAVAILABLE, "deltascoped is shutting down");
      return false;
    }
  }
  ++running_;
  return true;
}

void DiffService::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
  cv_.notify_all();
}

bool DiffService::Drain(std::chrono::steady_clock::time_point deadline,
                        std::chrono::milliseconds grace) {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  cv_.notify_all();
  if (cv_.wait_until(lock, deadline, [&] { return running_ + lent_ == 0; })) return true;
  abandon_ = true;
  return cv_.wait_for(lock, grace, [&] { return running_ + lent_ == 0; });
}

DiffService::Load DiffService::CurrentLoad() {
  std::lock_guard<std::mutex> lock(mu_);
  return {running_, queued_, lent_};
}

grpc::Status DiffService::Diff(grpc::ServerContext* context, const daemon::v1::DiffRequest* request,
                               grpc::ServerWriter<daemon::v1::DiffEvent>* writer) {
  RequestRecord record;
  record.id = next_request_id_.fetch_add(1);
  const auto start = std::chrono::steady_clock::now();
  const grpc::Status status = RunDiff(context, request, writer, record);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  // One line per request, whatever its outcome: the operator's record of who diffed what.
  LogInfo("request", {{"id", std::to_string(record.id)},
                      {"rpc", "Diff"},
                      {"peer", context->peer()},
                      {"snapshots", absl::StrJoin(request->snapshots(), " ")},
                      {"duration_ms", std::to_string(ms.count())},
                      {"code", std::to_string(static_cast<int>(status.error_code()))},
                      {"error", status.error_message()},
                      {"exit_status", std::to_string(record.exit_status)},
                      {"nodes", std::to_string(record.changed_nodes)}});
  return status;
}

grpc::Status DiffService::RunDiff(grpc::ServerContext* context,
                                  const daemon::v1::DiffRequest* request,
                                  grpc::ServerWriter<daemon::v1::DiffEvent>* writer,
                                  RequestRecord& record) {
  if (request->snapshots_size() < 2) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a diff needs at least two snapshots");
  }
  if (request->labels_size() != 0 && request->labels_size() != request->snapshots_size()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "labels, when given, must name every snapshot");
  }
  if (!request->config_path().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "config_path is not accepted: send the config's text in config_yaml");
  }
  const AccessRoots& roots =
      context->peer().starts_with("unix:") ? access_.unix_clients : access_.tcp_clients;
  std::vector<std::string> snapshots;
  for (const std::string& path : request->snapshots()) {
    absl::StatusOr<std::filesystem::path> resolved = roots.Resolve(path);
    if (!resolved.ok()) return ToGrpc(resolved.status());
    snapshots.push_back(resolved->string());
  }
  grpc::Status refusal;
  if (!Admit(context, &refusal)) return refusal;
  struct Slot {
    DiffService* service;
    ~Slot() { service->Release(); }
  } slot{this};
  // Lets operators (and the tests, instead of guessing with sleeps) see a diff take its slot.
  LogInfo("diff started", {{"id", std::to_string(record.id)}, {"from", request->snapshots(0)}});

  SessionOptions options;
  options.comparators = source_;
  options.comparator_names.assign(request->comparators().begin(), request->comparators().end());
  if (!request->config_yaml().empty()) {
    absl::StatusOr<Config> config = ParseConfig(request->config_yaml(), "request config");
    if (!config.ok()) return ToGrpc(config.status());
    options.config = *std::move(config);
  }
  options.jobs = request->jobs() > 0 ? static_cast<int>(request->jobs()) : limits_.jobs;
  options.detect_moves = request->detect_moves();
  options.external_waits = std::make_shared<SlotLender>(this);
  absl::StatusOr<std::unique_ptr<DiffSession>> session = DiffSession::Open(std::move(options));
  if (!session.ok()) return ToGrpc(session.status());

  std::vector<Snapshot> named;
  for (int i = 0; i < request->snapshots_size(); ++i) {
    named.push_back(
        {snapshots[i], request->labels_size() ? request->labels(i) : request->snapshots(i)});
  }
  StreamingObserver observer(*context, *writer, abandon_, limits_.progress_interval, named);
  absl::StatusOr<DiffOutcome> outcome = (*session)->Diff(named, &observer);
  if (abandon_) {
    LogInfo("diff cancelled: the drain period is over",
            {{"from", request->snapshots(static_cast<int>(observer.pair()))}});
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "deltascoped is shutting down: the diff was cancelled at the end of its "
                        "drain period; retry");
  }
  if (!observer.refusal().ok()) return observer.refusal();
  if (absl::IsCancelled(outcome.status())) {
    LogInfo("diff cancelled: the client went away",
            {{"from", request->snapshots(static_cast<int>(observer.pair()))}});
    return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  }
  if (!outcome.ok()) return ToGrpc(outcome.status());
  record.changed_nodes = observer.changed_nodes();
  // The exit status is the session's: the client shows it as is.
  record.exit_status = outcome->exit_status;
  daemon::v1::DiffEvent done;
  done.mutable_done()->set_exit_status(record.exit_status);
  writer->Write(done);
  served_.fetch_add(1);
  return grpc::Status::OK;
}

grpc::Status DiffService::ListPlugins(grpc::ServerContext*, const daemon::v1::ListPluginsRequest*,
                                      daemon::v1::ListPluginsResponse* response) {
  for (auto& info : source_->Plugins()) *response->add_plugins() = std::move(info);
  return grpc::Status::OK;
}

grpc::Status DiffService::PluginStatus(grpc::ServerContext*,
                                       const daemon::v1::PluginStatusRequest* request,
                                       daemon::v1::PluginStatusResponse* response) {
  for (auto& m : source_->Metrics()) {
    if (request->name().empty() || request->name() == m.name())
      *response->add_plugins() = std::move(m);
  }
  response->set_requests_served(served_.load());
  {
    std::lock_guard<std::mutex> lock(mu_);
    response->set_requests_in_flight(static_cast<uint32_t>(running_ + lent_ + queued_));
  }
  response->set_uptime_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  return grpc::Status::OK;
}

grpc::Status DiffService::Reload(grpc::ServerContext*, const daemon::v1::ReloadRequest*,
                                 daemon::v1::ReloadResponse* response) {
  absl::Status s = source_->Reload();
  if (!s.ok()) {
    for (absl::string_view line : absl::StrSplit(s.message(), '\n')) {
      response->add_errors(std::string(line));
    }
  }
  response->set_plugins(static_cast<uint32_t>(source_->Plugins().size()));
  return grpc::Status::OK;
}

}  // namespace deltascope
