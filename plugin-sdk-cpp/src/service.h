// The gRPC service a plugin serves: deltascope.plugin.v1.Comparator (grpc.health.v1.Health is
// gRPC's default health service, enabled in serve.cc).
#ifndef DELTASCOPE_PLUGIN_SDK_SRC_SERVICE_H_
#define DELTASCOPE_PLUGIN_SDK_SRC_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "deltascope/plugin/sdk.h"
#include "deltascope/plugin/v1/comparator.grpc.pb.h"

namespace deltascope::plugin::internal {

namespace pb = ::deltascope::plugin::v1;

// Limits the host enforces on responses; checked here first so that authors see the error.
inline constexpr size_t kMaxResponseBytes = pb::REPLY_BOUND_MAX_REPLY_BYTES;
inline constexpr int kMaxNodeDepth = plugin::v1::REPLY_BOUND_MAX_NODE_DEPTH;  // the host's bound
inline constexpr size_t kMaxChunkBytes = 1 << 20;
inline constexpr uint32_t kDefaultMaxExamples = 8;

pb::ComparatorInfo ToInfo(const Descriptor& descriptor);

// The DescribeResponse for these comparators.
pb::DescribeResponse MakeDescribeResponse(const std::vector<std::unique_ptr<Comparator>>& all,
                                          const PluginInfo& info, uint32_t protocol_version);

class ComparatorService final : public pb::Comparator::Service {
 public:
  // `on_shutdown` is called once, after the Shutdown RPC has been answered or is about to be.
  ComparatorService(std::vector<std::unique_ptr<Comparator>> comparators, PluginInfo info,
                    uint32_t protocol_version, std::function<void()> on_shutdown);

  grpc::Status Describe(grpc::ServerContext* ctx, const pb::DescribeRequest* request,
                        pb::DescribeResponse* response) override;
  grpc::Status Compare(grpc::ServerContext* ctx, const pb::CompareRequest* request,
                       pb::CompareResponse* response) override;
  grpc::Status CompareStream(grpc::ServerContext* ctx,
                             grpc::ServerReader<pb::CompareStreamMessage>* reader,
                             pb::CompareResponse* response) override;
  // Many calls on one stream (CAPABILITY_COMPARE_PIPE): a pool of workers runs them as they
  // arrive, and the replies go back as they are ready, batched.
  grpc::Status ComparePipe(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<pb::ComparePipeResponse, pb::ComparePipeRequest>* stream) override;
  grpc::Status Shutdown(grpc::ServerContext* ctx, const pb::ShutdownRequest* request,
                        pb::ShutdownResponse* response) override;

  // Waits until no Compare call is running, at most `timeout`; true when idle.
  bool WaitIdle(std::chrono::milliseconds timeout) const;

 private:
  // Compare's work for one request whose items carry paths.
  grpc::Status ComparePaths(grpc::ServerContext* ctx, const pb::CompareRequest& request,
                            pb::CompareResponse* response);
  // Runs the named comparator on sides read from the given files (empty path: side absent).
  grpc::Status Run(grpc::ServerContext* ctx, const pb::CompareRequest& request,
                   const std::string& left_path, const std::string& right_path,
                   pb::CompareResponse* response);

  std::vector<std::unique_ptr<Comparator>> comparators_;
  std::map<std::string, Comparator*> by_name_;
  PluginInfo info_;
  uint32_t protocol_version_;
  std::function<void()> on_shutdown_;
  std::atomic<int> in_flight_{0};
};

}  // namespace deltascope::plugin::internal

#endif  // DELTASCOPE_PLUGIN_SDK_SRC_SERVICE_H_
