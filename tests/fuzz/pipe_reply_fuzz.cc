// A hostile plugin's ComparePipe answer: arbitrary bytes as one ComparePipeResponse message go
// through the host's framing reader (ReadPipeReplies) and each reply's response through
// ReadCompareReply under small limits, as daemon/plugin/supervisor_pipe.cc reads them.
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/plugin/reply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grpc::Slice slice(data, size);
  const grpc::ByteBuffer bytes(&slice, 1);
  auto replies = deltascope::ReadPipeReplies(bytes);
  if (!replies.ok()) return 0;
  deltascope::pluginpb::CompareRequest request;
  request.set_path("tables/t.bin");
  deltascope::ReplyLimits limits;
  limits.nodes = 64;
  limits.summary_bytes = 256;
  limits.details_bytes = 4096;
  for (deltascope::PipeReplyBytes& reply : *replies) {
    if (reply.message.size() > 500) __builtin_trap();  // the documented bound on error text
    (void)deltascope::ReadCompareReply(std::move(reply.response), request, limits);
  }
  return 0;
}
