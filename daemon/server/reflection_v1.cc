#include "daemon/server/reflection_v1.h"

#include <grpcpp/impl/codegen/proto_utils.h>

namespace deltascope {

using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

void ReflectionV1Service::Attach(grpc::Server& server) {
  std::shared_ptr<grpc::Channel> channel = server.InProcessChannel(grpc::ChannelArguments());
  std::lock_guard<std::mutex> lock(mu_);
  v1alpha_ = std::move(channel);
}

void ReflectionV1Service::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  v1alpha_.reset();
}

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream) {
  std::shared_ptr<grpc::Channel> channel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    channel = v1alpha_;
  }
  if (!channel) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "reflection is starting");
  grpc::ClientContext forward;
  forward.set_deadline(context->deadline());
  static const grpc::internal::RpcMethod kV1alpha(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> v1alpha(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(), kV1alpha, &forward));
  // The v1alpha service answers every request with exactly one response, in order.
  ServerReflectionRequest request;
  while (stream->Read(&request)) {
    grpc::ByteBuffer bytes;
    bool own = false;
    grpc::Status s =
        grpc::SerializationTraits<ServerReflectionRequest>::Serialize(request, &bytes, &own);
    if (!s.ok()) return s;
    if (!v1alpha->Write(bytes) || !v1alpha->Read(&bytes)) break;
    ServerReflectionResponse response;
    s = grpc::SerializationTraits<ServerReflectionResponse>::Deserialize(&bytes, &response);
    if (!s.ok()) return s;
    if (!stream->Write(response)) {
      forward.TryCancel();
      break;
    }
  }
  v1alpha->WritesDone();
  return v1alpha->Finish();
}

}  // namespace deltascope
