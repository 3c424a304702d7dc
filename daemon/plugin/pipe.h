// The pipelined call path (ComparePipe, docs/plugin-protocol.md): one long-lived bidirectional
// stream per plugin instance that carries many Compare calls at once, each under an id. Callers
// on any thread hand in a request and wait for its reply bytes; a writer thread sends whatever
// requests are queued as one message, a reader thread hands each reply to its caller. The
// replies stay raw bytes (read by ReadCompareReply under the plugin's limits). Private to the
// plugin adapter, like reply.h.
#ifndef DELTASCOPE_DAEMON_PLUGIN_PIPE_H_
#define DELTASCOPE_DAEMON_PLUGIN_PIPE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/sync_stream.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "deltascope/plugin/v1/comparator.pb.h"

namespace deltascope {

class ComparePipe {
 public:
  // Opens the stream on `channel` and starts its writer and reader threads.
  explicit ComparePipe(std::shared_ptr<grpc::Channel> channel);
  // Cancels the stream (calls still waiting see kBroken) and joins the threads.
  ~ComparePipe();
  ComparePipe(const ComparePipe&) = delete;
  ComparePipe& operator=(const ComparePipe&) = delete;

  struct Outcome {
    enum Kind { kReply, kItemError, kTimeout, kBroken } kind = kBroken;
    std::string bytes;    // kReply: the CompareResponse, unread
    grpc::Status status;  // kItemError: the plugin's error; kBroken: why the stream ended
    uint64_t id = 0;      // the call's id on this stream; 0: never sent (the pipe had ended)

    static Outcome Of(Kind kind, grpc::Status status = grpc::Status::OK, std::string bytes = "") {
      Outcome o;
      o.kind = kind;
      o.bytes = std::move(bytes);
      o.status = std::move(status);
      return o;
    }
  };
  // One call; waits for its reply until `deadline`. kTimeout leaves the stream as it is: the
  // caller decides (the supervisor kills the instance).
  Outcome Call(const ::deltascope::plugin::v1::CompareRequest& request,
               std::chrono::steady_clock::time_point deadline);

  // Whether the stream has ended (a call now would get kBroken at once); waiting for that.
  bool broken() const;
  bool WaitEnded(std::chrono::milliseconds at_most);
  // The instance's channel: a call alone on the instance goes by Compare on it (the stream's
  // hand-offs cost a lone call more than they save).
  grpc::Channel& channel() { return *channel_; }
  // The oldest call in flight when the stream ended (0: none), and how many were.
  uint64_t oldest_at_end() const;
  size_t in_flight_at_end() const;

  // What happens to the calls that were in flight when the stream broke is decided once, by the
  // first caller that claims it; the others wait for that verdict.
  struct Verdict {
    bool retry = false;       // each call is made again, alone (by Compare)
    std::string crashed;      // how the process ended ("killed by signal 11 (SIGSEGV)"), or ""
    std::string stderr_tail;  // and the last lines of its stderr
    uint64_t blamed = 0;      // after a crash, the call that reports it (the oldest in flight)
  };
  bool Claim();
  void SetVerdict(Verdict verdict);
  Verdict AwaitVerdict();

  int leases = 0;  // calls handed this pipe; guarded by the supervisor's mutex

 private:
  struct Slot {
    bool done = false;
    Outcome outcome;
    std::condition_variable cv;
  };
  void WriteLoop();
  void ReadLoop();
  // With mu_ held: ends the stream for every waiting call.
  void EndLocked(const grpc::Status& why);

  std::shared_ptr<grpc::Channel> channel_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<::deltascope::plugin::v1::ComparePipeRequest, grpc::ByteBuffer>>
      stream_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;
  std::condition_variable ended_cv_;
  ::deltascope::plugin::v1::ComparePipeRequest outbox_;
  std::map<uint64_t, std::shared_ptr<Slot>> slots_;
  uint64_t next_id_ = 1;
  bool broken_ = false;
  bool stop_writer_ = false;
  grpc::Status end_status_;
  uint64_t oldest_at_end_ = 0;
  size_t in_flight_at_end_ = 0;

  std::mutex verdict_mu_;
  std::condition_variable verdict_cv_;
  bool claimed_ = false;
  std::optional<Verdict> verdict_;

  std::thread writer_;
  std::thread reader_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_PIPE_H_
