#include "daemon/plugin/pipe.h"

#include <grpcpp/impl/rpc_method.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/plugin/reply.h"

namespace deltascope {

namespace pluginpb = ::deltascope::plugin::v1;

namespace {

// The answers stay raw bytes (ReadPipeReplies): gRPC's sync client never decodes a plugin's.
std::unique_ptr<grpc::ClientReaderWriter<pluginpb::ComparePipeRequest, grpc::ByteBuffer>>
OpenComparePipe(grpc::Channel& channel, grpc::ClientContext& context) {
  return std::unique_ptr<grpc::ClientReaderWriter<pluginpb::ComparePipeRequest, grpc::ByteBuffer>>(
      grpc::internal::ClientReaderWriterFactory<pluginpb::ComparePipeRequest, grpc::ByteBuffer>::
          Create(&channel,
                 grpc::internal::RpcMethod("/deltascope.plugin.v1.Comparator/ComparePipe",
                                           grpc::internal::RpcMethod::BIDI_STREAMING),
                 &context));
}

}  // namespace

ComparePipe::ComparePipe(std::shared_ptr<grpc::Channel> channel) : channel_(std::move(channel)) {
  stream_ = OpenComparePipe(*channel_, context_);
  writer_ = std::thread([this] { WriteLoop(); });
  reader_ = std::thread([this] { ReadLoop(); });
}

ComparePipe::~ComparePipe() {
  context_.TryCancel();
  {
    std::lock_guard<std::mutex> lock(mu_);
    EndLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the pipe was closed"));
  }
  writer_cv_.notify_all();
  reader_.join();  // the reader joins the writer before it finishes the stream
}

ComparePipe::Outcome ComparePipe::Call(const pluginpb::CompareRequest& request,
                                       std::chrono::steady_clock::time_point deadline) {
  auto slot = std::make_shared<Slot>();
  std::unique_lock<std::mutex> lock(mu_);
  if (broken_) return Outcome::Of(Outcome::kBroken, end_status_);
  const uint64_t id = next_id_++;
  slots_.emplace(id, slot);
  pluginpb::PipeCall* call = outbox_.add_calls();
  call->set_id(id);
  *call->mutable_request() = request;
  if (outbox_.calls_size() == 1) writer_cv_.notify_one();
  Outcome outcome;
  if (!slot->cv.wait_until(lock, deadline, [&] { return slot->done; })) {
    slots_.erase(id);
    outcome = Outcome::Of(Outcome::kTimeout);
  } else {
    outcome = std::move(slot->outcome);
  }
  outcome.id = id;
  return outcome;
}

bool ComparePipe::broken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

bool ComparePipe::WaitEnded(std::chrono::milliseconds at_most) {
  std::unique_lock<std::mutex> lock(mu_);
  return ended_cv_.wait_for(lock, at_most, [&] { return broken_; });
}

uint64_t ComparePipe::oldest_at_end() const {
  std::lock_guard<std::mutex> lock(mu_);
  return oldest_at_end_;
}

size_t ComparePipe::in_flight_at_end() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_at_end_;
}

bool ComparePipe::Claim() {
  std::lock_guard<std::mutex> lock(verdict_mu_);
  return !std::exchange(claimed_, true);
}

void ComparePipe::SetVerdict(Verdict verdict) {
  {
    std::lock_guard<std::mutex> lock(verdict_mu_);
    verdict_ = std::move(verdict);
  }
  verdict_cv_.notify_all();
}

ComparePipe::Verdict ComparePipe::AwaitVerdict() {
  std::unique_lock<std::mutex> lock(verdict_mu_);
  verdict_cv_.wait(lock, [&] { return verdict_.has_value(); });
  return *verdict_;
}

void ComparePipe::WriteLoop() {
  pluginpb::ComparePipeRequest batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      writer_cv_.wait(lock, [&] { return stop_writer_ || outbox_.calls_size() > 0; });
      if (stop_writer_) return;
      batch.Swap(&outbox_);  // every request queued so far goes in one message
    }
    // Blocks while the plugin does not read (flow control): the callers' deadlines still run,
    // and a kill or a cancellation ends the write.
    if (!stream_->Write(batch)) return;
    batch.Clear();
  }
}

void ComparePipe::ReadLoop() {
  grpc::ByteBuffer bytes;
  grpc::Status violation;
  while (stream_->Read(&bytes)) {
    absl::StatusOr<std::vector<PipeReplyBytes>> replies = ReadPipeReplies(bytes);
    if (!replies.ok()) {
      violation = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("invalid pipe reply: ", replies.status().message()));
      context_.TryCancel();
      break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (PipeReplyBytes& reply : *replies) {
      auto it = slots_.find(reply.id);
      if (it == slots_.end()) continue;  // timed out already, or an id never sent
      Slot& slot = *it->second;
      if (reply.code == 0) {
        slot.outcome = Outcome::Of(Outcome::kReply, grpc::Status::OK, std::move(reply.response));
      } else {
        slot.outcome =
            Outcome::Of(Outcome::kItemError,
                        grpc::Status(static_cast<grpc::StatusCode>(reply.code), reply.message));
      }
      slot.done = true;
      slot.cv.notify_one();
      slots_.erase(it);
    }
  }
  // The call is over (a write still blocked now fails): stop the writer, then finish.
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_writer_ = true;
  }
  writer_cv_.notify_all();
  writer_.join();
  grpc::Status finished = stream_->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  EndLocked(!violation.ok() ? violation : finished);
}

void ComparePipe::EndLocked(const grpc::Status& why) {
  if (!broken_ || end_status_.ok()) {
    // The first reason sticks; a stream that ended without an error still ends the pipe.
    end_status_ = why.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the pipe ended") : why;
  }
  if (!broken_ && !slots_.empty()) {
    oldest_at_end_ = slots_.begin()->first;
    in_flight_at_end_ = slots_.size();
  }
  broken_ = true;
  stop_writer_ = true;
  ended_cv_.notify_all();
  for (auto& [id, slot] : slots_) {
    slot->outcome = Outcome::Of(Outcome::kBroken, end_status_);
    slot->done = true;
    slot->cv.notify_one();
  }
  slots_.clear();
}

}  // namespace deltascope
