// Every plugin reply is untrusted bytes. These are the host's side of that: the protocol's calls
// made with the answer taken as raw bytes (gRPC never decodes it: its sync client aborts the
// process on an answer it cannot decode), and the reading of those bytes under limits on what
// one reply may cost the host (docs/plugin-protocol.md, "Reply limits").
#ifndef DELTASCOPE_DAEMON_PLUGIN_REPLY_H_
#define DELTASCOPE_DAEMON_PLUGIN_REPLY_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/plugin/limits.h"
#include "daemon/plugin/manifest.h"
#include "deltascope/plugin/v1/comparator.pb.h"
#include "grpc/health/v1/health.pb.h"

namespace deltascope {

namespace pluginpb = ::deltascope::plugin::v1;

// Fixed bounds of every reply: nesting (nodes, details) and tags per node (the protocol's
// ReplyBound, which the SDKs check too).
inline constexpr int kMaxNodeDepth = pluginpb::REPLY_BOUND_MAX_NODE_DEPTH;
inline constexpr int kMaxDetailsDepth = pluginpb::REPLY_BOUND_MAX_DETAILS_DEPTH;
inline constexpr int kMaxTagsPerNode = pluginpb::REPLY_BOUND_MAX_TAGS_PER_NODE;

// A Compare reply, read.
struct CompareReply {
  pluginpb::CompareResponse response;
  std::string cut;  // what the limits cut ("" when nothing): "90,001 of 100,001 nodes dropped"
};

// Reads a Compare or CompareStream reply for a request on `pair_path` under `limits`: checks the
// wire format, UTF-8 in every string, nesting, and cuts nodes, summaries, tags and details past
// the limits. Then validates it (ValidateResponse). Errors say what is wrong, without naming the
// plugin. `bytes` is released as soon as it is read.
absl::StatusOr<CompareReply> ReadCompareReply(grpc::ByteBuffer bytes,
                                              const pluginpb::CompareRequest& request,
                                              const ReplyLimits& limits);

// A gRPC message's bytes in one piece ("" when they cannot be read).
std::string Contiguous(const grpc::ByteBuffer& buffer);

// The same, for a reply already in one piece (a ComparePipe reply's response field).
absl::StatusOr<CompareReply> ReadCompareReply(std::string wire,
                                              const pluginpb::CompareRequest& request,
                                              const ReplyLimits& limits);

// One PipeReply of a ComparePipeResponse, its response left unread.
struct PipeReplyBytes {
  uint64_t id = 0;
  std::string response;  // a CompareResponse's bytes, for ReadCompareReply
  uint32_t code = 0;     // a gRPC status code; not 0: the call failed with `message`
  std::string message;   // at most 500 bytes
};
// Splits a ComparePipeResponse into its replies (the wire format only), or says it is malformed.
absl::StatusOr<std::vector<PipeReplyBytes>> ReadPipeReplies(const grpc::ByteBuffer& bytes);

// Checks a decoded response against the request: outcome set, valid actions, every node path
// and source_path naming an item below the pair's path (normalised), move and copy sources,
// nesting depth, EXPAND child names and files inside output_dir.
absl::Status ValidateResponse(const pluginpb::CompareResponse& response,
                              const pluginpb::CompareRequest& request);

// Decodes a small reply (Describe, Health) of at most `max_bytes`: well-formed, valid UTF-8,
// nested at most kMaxNodeDepth, or an error saying why.
absl::Status ReadSmallReply(const grpc::ByteBuffer& bytes, size_t max_bytes,
                            google::protobuf::Message& out);

// The protocol's calls, answers as raw bytes. `channel` must outlive the returned writer.
grpc::Status CallCompare(grpc::Channel& channel, grpc::ClientContext& context,
                         const pluginpb::CompareRequest& request, grpc::ByteBuffer* reply);
std::unique_ptr<grpc::ClientWriter<pluginpb::CompareStreamMessage>> CallCompareStream(
    grpc::Channel& channel, grpc::ClientContext& context, grpc::ByteBuffer* reply);
grpc::Status CallShutdown(grpc::Channel& channel, grpc::ClientContext& context);

// Describe and grpc.health.v1 Check, read as small replies, within `timeout`. Errors read
// "Describe failed: ..." / "health check failed: ...".
absl::StatusOr<pluginpb::DescribeResponse> DescribePlugin(grpc::Channel& channel,
                                                          std::chrono::milliseconds timeout);
absl::StatusOr<grpc::health::v1::HealthCheckResponse> CheckPluginHealth(
    grpc::Channel& channel, std::chrono::milliseconds timeout);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_REPLY_H_
