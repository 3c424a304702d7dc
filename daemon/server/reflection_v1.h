// grpc.reflection.v1.ServerReflection (what current grpcurl, Postman and grpc-go clients ask for
// first) next to gRPC's own v1alpha. gRPC 1.51 implements only v1alpha; the two protocols have
// the same messages with the same field numbers, so each v1 request is forwarded, byte for byte,
// to the server's own v1alpha service over an in-process channel, and each answer comes back
// the same way: one implementation, two names.
#ifndef DELTASCOPE_DAEMON_SERVER_REFLECTION_V1_H_
#define DELTASCOPE_DAEMON_SERVER_REFLECTION_V1_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace deltascope {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // Register with a builder that also has v1alpha (InitProtoReflectionServerBuilderPlugin()),
  // then Attach the started server; until then calls get UNAVAILABLE.
  void Attach(grpc::Server& server);
  // Drops the in-process channel (before the server is destroyed); calls get UNAVAILABLE again.
  void Detach();

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

 private:
  std::mutex mu_;
  std::shared_ptr<grpc::Channel> v1alpha_;  // in-process, to this server
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_REFLECTION_V1_H_
