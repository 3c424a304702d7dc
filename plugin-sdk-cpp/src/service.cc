#include "service.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "handshake.h"
#include "spool.h"

namespace deltascope::plugin::internal {
namespace {

using grpc::StatusCode;

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<StatusCode>(status.code()), std::string(status.message()));
}

Side ToSide(const pb::Item& item, const std::string& path) {
  return Side{.logical_path = item.logical_path(),
              .path = path,
              .size = item.size(),
              .media_type = item.media_type(),
              .content_hash = item.content_hash(),
              .kind = item.kind().empty() ? "file" : item.kind()};
}

// The last component of a logical path, safe as a file name.
std::string SpoolName(const std::string& logical_path) {
  std::string name = logical_path.substr(logical_path.find_last_of('/') + 1);
  if (name.empty() || name == "." || name == "..") return "content";
  return name;
}

// Checks what the host would reject, so that the author gets a precise error.
absl::Status ValidateNode(const DiffNode& node, const std::string& pair_path, int depth) {
  if (depth > kMaxNodeDepth) {
    return absl::InternalError(absl::StrCat("nodes nested deeper than ", kMaxNodeDepth));
  }
  if (!IsValidAction(node.action())) {
    return absl::InternalError(
        absl::StrCat("invalid node action '", node.action(), "' at '", node.path(), "'"));
  }
  for (const DiffNode& child : node.children()) {
    bool below =
        pair_path.empty() ? !child.path().empty() : absl::StartsWith(child.path(), pair_path + "/");
    if (!below) {
      return absl::InternalError(
          absl::StrCat("child node path '", child.path(), "' is not below '", pair_path, "'"));
    }
    if (absl::Status s = ValidateNode(child, pair_path, depth + 1); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Turns the author's Result into the response, or the call's error.
grpc::Status FillResponse(Result result, const pb::CompareRequest& request,
                          const std::string& comparator, pb::CompareResponse* response) {
  switch (result.outcome) {
    case Result::Outcome::kError:
      if (result.error.ok()) return grpc::Status(StatusCode::INTERNAL, "Error() with OK status");
      return ToGrpc(result.error);
    case Result::Outcome::kIdentical:
      response->set_outcome(pb::CompareResponse::OUTCOME_IDENTICAL);
      return grpc::Status::OK;
    case Result::Outcome::kSkip:
      response->set_outcome(pb::CompareResponse::OUTCOME_SKIP);
      return grpc::Status::OK;
    case Result::Outcome::kLeaf:
      response->set_outcome(pb::CompareResponse::OUTCOME_LEAF);
      break;
    case Result::Outcome::kExpand:
      response->set_outcome(pb::CompareResponse::OUTCOME_EXPAND);
      if (request.output_dir().empty() && !result.children.empty()) {
        return grpc::Status(StatusCode::INTERNAL,
                            "EXPAND with children but the host gave no output_dir");
      }
      for (const ChildPair& child : result.children) {
        pb::ChildPair* out = response->add_children();
        out->set_name(child.name);
        out->set_left_path(child.left_path);
        out->set_right_path(child.right_path);
      }
      break;
  }
  DiffNode& node = result.node;
  if (node.path().empty()) node.set_path(request.path());
  if (node.comparator().empty()) node.set_comparator(comparator);
  if (absl::Status s = ValidateNode(node, request.path(), 1); !s.ok()) return ToGrpc(s);
  *response->mutable_node() = std::move(node);
  if (response->ByteSizeLong() > kMaxResponseBytes) {
    return grpc::Status(
        StatusCode::INTERNAL,
        absl::StrCat("response of ", response->ByteSizeLong(), " bytes exceeds the ",
                     kMaxResponseBytes >> 20, " MiB limit: bound the examples"));
  }
  return grpc::Status::OK;
}

// Counts a running Compare call.
class InFlight {
 public:
  explicit InFlight(std::atomic<int>& count) : count_(count) { ++count_; }
  ~InFlight() { --count_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int>& count_;
};

}  // namespace

pb::ComparatorInfo ToInfo(const Descriptor& d) {
  pb::ComparatorInfo info;
  info.set_name(d.name);
  for (const std::string& e : d.extensions) info.add_extensions(e);
  for (const std::string& m : d.media_types) info.add_media_types(m);
  switch (d.scope) {
    case Scope::kFiles:
      info.set_scope(pb::SCOPE_FILES);
      break;
    case Scope::kContainers:
      info.set_scope(pb::SCOPE_CONTAINERS);
      break;
    case Scope::kAny:
      info.set_scope(pb::SCOPE_ANY);
      break;
  }
  info.set_handles_identical(d.handles_identical);
  return info;
}

pb::DescribeResponse MakeDescribeResponse(const std::vector<std::unique_ptr<Comparator>>& all,
                                          const PluginInfo& info, uint32_t protocol_version) {
  pb::DescribeResponse response;
  response.set_protocol_version(protocol_version);
  response.set_name(info.name);
  response.set_version(info.version);
  for (const auto& c : all) *response.add_comparators() = ToInfo(c->Describe());
  if (info.compare_pipe) response.add_capabilities(pb::CAPABILITY_COMPARE_PIPE);
  return response;
}

ComparatorService::ComparatorService(std::vector<std::unique_ptr<Comparator>> comparators,
                                     PluginInfo info, uint32_t protocol_version,
                                     std::function<void()> on_shutdown)
    : comparators_(std::move(comparators)),
      info_(std::move(info)),
      protocol_version_(protocol_version),
      on_shutdown_(std::move(on_shutdown)) {
  for (const auto& c : comparators_) by_name_[c->Describe().name] = c.get();
}

grpc::Status ComparatorService::Describe(grpc::ServerContext*, const pb::DescribeRequest*,
                                         pb::DescribeResponse* response) {
  *response = MakeDescribeResponse(comparators_, info_, protocol_version_);
  return grpc::Status::OK;
}

grpc::Status ComparatorService::Compare(grpc::ServerContext* ctx, const pb::CompareRequest* request,
                                        pb::CompareResponse* response) {
  InFlight in_flight(in_flight_);
  return ComparePaths(ctx, *request, response);
}

grpc::Status ComparatorService::ComparePaths(grpc::ServerContext* ctx,
                                             const pb::CompareRequest& request,
                                             pb::CompareResponse* response) {
  for (const pb::Item* item : {&request.left(), &request.right()}) {
    bool present = item == &request.left() ? request.has_left() : request.has_right();
    if (present && item->path().empty()) {
      return grpc::Status(StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("item '", item->logical_path(), "' has no path"));
    }
  }
  return Run(ctx, request, request.has_left() ? request.left().path() : "",
             request.has_right() ? request.right().path() : "", response);
}

grpc::Status ComparatorService::ComparePipe(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<pb::ComparePipeResponse, pb::ComparePipeRequest>* stream) {
  std::mutex mu;
  std::condition_variable work_cv;
  std::deque<pb::PipeCall> work;
  pb::ComparePipeResponse ready;  // replies not yet sent
  bool reading = true;            // more calls may come
  bool writing = false;           // a worker is sending

  // The worker whose reply finds no one sending sends it, with every other reply ready by then
  // (in messages kept under the host's limit for one reply); the others just add theirs.
  const auto send = [&](std::unique_lock<std::mutex>& lock) {
    writing = true;
    while (ready.replies_size() > 0) {
      pb::ComparePipeResponse batch;
      size_t bytes = 0;
      int taken = 0;
      for (; taken < ready.replies_size(); ++taken) {
        const size_t size = ready.replies(taken).ByteSizeLong();
        if (taken > 0 && bytes + size > kMaxResponseBytes / 2) break;
        bytes += size;
      }
      if (taken == ready.replies_size()) {
        batch.Swap(&ready);
      } else {
        for (int i = 0; i < taken; ++i) *batch.add_replies() = std::move(*ready.mutable_replies(i));
        ready.mutable_replies()->DeleteSubrange(0, taken);
      }
      lock.unlock();
      const bool sent = stream->Write(batch);
      lock.lock();
      if (!sent) {  // the host went away: drop what is left
        reading = false;
        work.clear();
        ready.Clear();
        work_cv.notify_all();
      }
    }
    writing = false;
  };
  const auto worker = [&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      work_cv.wait(lock, [&] { return !work.empty() || !reading; });
      if (work.empty()) return;
      pb::PipeCall call = std::move(work.front());
      work.pop_front();
      lock.unlock();
      pb::PipeReply reply;
      reply.set_id(call.id());
      {
        InFlight in_flight(in_flight_);
        grpc::Status status = ComparePaths(ctx, call.request(), reply.mutable_response());
        if (!status.ok()) {
          reply.clear_response();
          reply.set_code(static_cast<uint32_t>(status.error_code()));
          reply.set_message(status.error_message());
        }
      }
      lock.lock();
      *ready.add_replies() = std::move(reply);
      if (!writing) send(lock);
    }
  };

  const int workers = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back(worker);
  pb::ComparePipeRequest request;
  while (stream->Read(&request)) {
    std::lock_guard<std::mutex> lock(mu);
    for (pb::PipeCall& call : *request.mutable_calls()) work.push_back(std::move(call));
    work_cv.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    reading = false;
    if (ctx->IsCancelled()) work.clear();  // nobody waits for these answers
  }
  work_cv.notify_all();
  for (std::thread& t : threads) t.join();  // every reply is sent (or dropped) by then
  return grpc::Status::OK;
}

grpc::Status ComparatorService::CompareStream(grpc::ServerContext* ctx,
                                              grpc::ServerReader<pb::CompareStreamMessage>* reader,
                                              pb::CompareResponse* response) {
  InFlight in_flight(in_flight_);
  pb::CompareStreamMessage message;
  if (!reader->Read(&message) || !message.has_request()) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT, "the first message must carry the request");
  }
  const pb::CompareRequest request = message.request();
  absl::StatusOr<SpoolDir> dir = SpoolDir::Create();
  if (!dir.ok()) return ToGrpc(dir.status());

  // The sides still expected, in order; each is spooled to dir/<side>/<base name>.
  struct Pending {
    pb::ContentChunk::Side side;
    std::string path;
  };
  std::vector<Pending> pending;
  if (request.has_left()) {
    pending.push_back({pb::ContentChunk::SIDE_LEFT,
                       (dir->path() / "left" / SpoolName(request.left().logical_path()))});
  }
  if (request.has_right()) {
    pending.push_back({pb::ContentChunk::SIDE_RIGHT,
                       (dir->path() / "right" / SpoolName(request.right().logical_path()))});
  }
  std::string left_path = request.has_left() ? pending.front().path : "";
  std::string right_path = request.has_right() ? pending.back().path : "";

  size_t next = 0;
  std::optional<SpoolFile> file;
  while (reader->Read(&message)) {
    if (!message.has_chunk()) {
      return grpc::Status(StatusCode::INVALID_ARGUMENT, "only chunks may follow the request");
    }
    const pb::ContentChunk& chunk = message.chunk();
    if (next >= pending.size() || chunk.side() != pending[next].side) {
      return grpc::Status(
          StatusCode::INVALID_ARGUMENT,
          absl::StrCat("unexpected chunk for side ", pb::ContentChunk::Side_Name(chunk.side()),
                       " (left chunks, then right chunks, present sides only)"));
    }
    if (chunk.data().size() > kMaxChunkBytes) {
      return grpc::Status(StatusCode::INVALID_ARGUMENT, "chunk larger than 1 MiB");
    }
    if (!file) {
      absl::StatusOr<SpoolFile> created = SpoolFile::Create(pending[next].path);
      if (!created.ok()) return ToGrpc(created.status());
      file = std::move(*created);
    }
    if (absl::Status s = file->Append(chunk.data()); !s.ok()) return ToGrpc(s);
    if (chunk.last()) {
      if (absl::Status s = file->Close(); !s.ok()) return ToGrpc(s);
      file.reset();
      ++next;
    }
  }
  if (next < pending.size()) {
    return grpc::Status(StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("stream ended before the last chunk of ",
                                     pb::ContentChunk::Side_Name(pending[next].side)));
  }
  pb::CompareRequest without_output_dir = request;
  without_output_dir.clear_output_dir();  // the host cannot read a remote plugin's files
  return Run(ctx, without_output_dir, left_path, right_path, response);
}

grpc::Status ComparatorService::Run(grpc::ServerContext* ctx, const pb::CompareRequest& request,
                                    const std::string& left_path, const std::string& right_path,
                                    pb::CompareResponse* response) {
  auto it = by_name_.find(request.comparator());
  if (it == by_name_.end()) {
    return grpc::Status(StatusCode::UNIMPLEMENTED,
                        absl::StrCat("no comparator named '", request.comparator(), "'"));
  }
  Pair pair;
  pair.path = request.path();
  pair.identical = request.identical();
  if (request.has_left()) pair.left = ToSide(request.left(), left_path);
  if (request.has_right()) pair.right = ToSide(request.right(), right_path);
  Context context({request.options().begin(), request.options().end()},
                  request.max_examples() ? request.max_examples() : kDefaultMaxExamples,
                  request.output_dir(), [ctx] { return ctx->IsCancelled(); });
  try {
    return FillResponse(it->second->Compare(pair, context), request, request.comparator(),
                        response);
  } catch (const std::exception& e) {
    return grpc::Status(StatusCode::INTERNAL, e.what());
  } catch (...) {
    return grpc::Status(StatusCode::INTERNAL, "unknown exception in Compare");
  }
}

grpc::Status ComparatorService::Shutdown(grpc::ServerContext*, const pb::ShutdownRequest*,
                                         pb::ShutdownResponse*) {
  on_shutdown_();
  return grpc::Status::OK;
}

bool ComparatorService::WaitIdle(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (in_flight_.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace deltascope::plugin::internal
