// deltascope-malformed-plugin: a comparator plugin ("malformed", claims .mal files) whose Compare
// and CompareStream replies are whatever bytes $MALFORMED_REPLY asks for, for the reply tests
// (tests/e2e/plugin_reply_test.cc). It is a raw gRPC server: every answer is written as bytes, so
// it can send what no protobuf library would (garbage, a cut message, invalid UTF-8).
//
// Replies: ok (a valid LEAF), garbage, truncated, invalid-utf8, deep-struct (details nested
// 5,000 levels), bad-source (a child moved from ../../../etc/shadow), bad-child (a child at
// <path>/../../etc/shadow), moved-self (the item itself "moved from" /etc/shadow), inner-move (a
// valid move between two children), many-children (100,000), huge-summary (15 MB), huge-tags
// (1,000,000 empty tags), huge-details (a 2 MB Struct). $MALFORMED_DESCRIBE=garbage and
// $MALFORMED_HEALTH=garbage spoil those answers instead. With --listen ADDRESS it serves there as
// an attached plugin (no handshake), so that a test can measure the host without it.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "deltascope/plugin/v1/comparator.pb.h"

namespace {

namespace pluginpb = ::deltascope::plugin::v1;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// --- Protobuf wire format, by hand (so nothing refuses to write a bad message) ---

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Bytes(int field, const std::string& data) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(data.size()) + data;
}

std::string VarintField(int field, uint64_t v) {
  return Varint(static_cast<uint64_t>(field) << 3) + Varint(v);
}

// DiffNode fields: 1 action, 3 path, 4 source_path, 5 summary, 6 tags, 7 details, 8 children.
std::string Node(const std::string& action, const std::string& path, const std::string& summary,
                 const std::string& extra = "") {
  std::string node = Bytes(1, action) + Bytes(2, "malformed");
  if (!path.empty()) node += Bytes(3, path);
  return node + Bytes(5, summary) + Bytes(6, "content-changed") + extra;
}

// CompareResponse: 1 outcome (2 = LEAF), 2 node.
std::string Leaf(const std::string& node) { return VarintField(1, 2) + Bytes(2, node); }

// A Struct {"a": {"a": ... }} nested `depth` levels (Struct.fields 1 = map entry {1 key, 2 value},
// Value.struct_value 5).
std::string DeepStruct(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s = Bytes(1, Bytes(1, "a") + Bytes(2, Bytes(5, s)));
  return s;
}

std::string Reply(const std::string& kind, const std::string& path) {
  const std::string ok = Leaf(Node("modify", "", "malformed ok"));
  if (kind == "garbage") return "\xff\xff\xff\xff garbage, not a CompareResponse \x01\x02\x03";
  if (kind == "truncated") return ok.substr(0, ok.size() - 5);
  if (kind == "invalid-utf8") return Leaf(Node("modify", "", "caf\xc3\x28 \xff\xfe"));
  if (kind == "deep-struct") return Leaf(Node("modify", "", "deep", Bytes(7, DeepStruct(5000))));
  const std::string child = path.empty() ? "x" : path + "/x";
  if (kind == "bad-source") {
    return Leaf(Node("modify", "", "bad source",
                     Bytes(8, Node("move", child, "Moved", Bytes(4, "../../../etc/shadow")))));
  }
  if (kind == "bad-child") {
    const std::string escape = path.empty() ? "../../etc/shadow" : path + "/../../etc/shadow";
    return Leaf(Node("modify", "", "bad child", Bytes(8, Node("modify", escape, "escaped"))));
  }
  if (kind == "moved-self") {
    return Leaf(Node("move", "", "Moved", Bytes(4, "/etc/shadow")));
  }
  if (kind == "inner-move") {
    const std::string from = path.empty() ? "y" : path + "/y";
    return Leaf(Node("modify", "", "inner move",
                     Bytes(8, Node("move", child, "Moved within", Bytes(4, from)))));
  }
  if (kind == "many-children") {
    std::string children;
    for (int i = 0; i < 100000; ++i) {
      children += Bytes(8, Node("add", child + std::to_string(i), "added"));
    }
    return Leaf(Node("modify", "", "many children", children));
  }
  if (kind == "huge-summary") return Leaf(Node("modify", "", std::string(15 << 20, 's')));
  if (kind == "huge-tags") {
    std::string tags;
    for (int i = 0; i < 1000000; ++i) tags += Bytes(6, "");
    return Leaf(Node("modify", "", "huge tags", tags));
  }
  if (kind == "huge-details") {
    // ListValue (Value.list_value 6) of 1,000,000 empty Values (ListValue.values 1).
    std::string list;
    for (int i = 0; i < 1000000; ++i) list += Bytes(1, "");
    const std::string details = Bytes(1, Bytes(1, "rows") + Bytes(2, Bytes(6, list)));
    return Leaf(Node("modify", "", "huge details", Bytes(7, details)));
  }
  return ok;
}

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Text(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// Set by the Shutdown call; main() then stops the server.
std::mutex g_mu;
std::condition_variable g_cv;
bool g_stop = false;

using grpc::internal::RpcMethod;
using grpc::internal::RpcServiceMethod;

// Answers every method of the plugin protocol with raw bytes.
class RawComparator : public grpc::Service {
 public:
  RawComparator() {
    Unary("/deltascope.plugin.v1.Comparator/Describe", &RawComparator::Describe);
    Unary("/deltascope.plugin.v1.Comparator/Compare", &RawComparator::Compare);
    AddMethod(new RpcServiceMethod(
        "/deltascope.plugin.v1.Comparator/CompareStream", RpcMethod::CLIENT_STREAMING,
        new grpc::internal::ClientStreamingHandler<RawComparator, grpc::ByteBuffer,
                                                   grpc::ByteBuffer>(
            [](RawComparator* self, grpc::ServerContext*,
               grpc::ServerReader<grpc::ByteBuffer>* reader,
               grpc::ByteBuffer* out) { return self->CompareStream(reader, out); },
            this)));
    Unary("/deltascope.plugin.v1.Comparator/Shutdown", &RawComparator::Shutdown);
  }

 protected:
  using Handler = grpc::Status (RawComparator::*)(const grpc::ByteBuffer&, grpc::ByteBuffer*);
  void Unary(const char* name, Handler handler) {
    AddMethod(new RpcServiceMethod(
        name, RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<RawComparator, grpc::ByteBuffer, grpc::ByteBuffer>(
            [handler](RawComparator* self, grpc::ServerContext*, const grpc::ByteBuffer* in,
                      grpc::ByteBuffer* out) { return (self->*handler)(*in, out); },
            this)));
  }

 private:
  grpc::Status Describe(const grpc::ByteBuffer&, grpc::ByteBuffer* out) {
    if (Env("MALFORMED_DESCRIBE") == "garbage") {
      *out = Buffer("\xff\xff\xff not a DescribeResponse");
      return grpc::Status::OK;
    }
    pluginpb::DescribeResponse r;
    r.set_protocol_version(1);
    r.set_name("malformed");
    r.set_version("1.0");
    r.add_comparators()->set_name("malformed");
    *out = Buffer(r.SerializeAsString());
    return grpc::Status::OK;
  }

  grpc::Status Compare(const grpc::ByteBuffer& in, grpc::ByteBuffer* out) {
    pluginpb::CompareRequest request;
    request.ParseFromString(Text(in));
    *out = Buffer(Reply(Env("MALFORMED_REPLY"), request.path()));
    return grpc::Status::OK;
  }

  grpc::Status CompareStream(grpc::ServerReader<grpc::ByteBuffer>* reader, grpc::ByteBuffer* out) {
    std::string path;
    grpc::ByteBuffer message;
    for (bool first = true; reader->Read(&message); first = false) {
      pluginpb::CompareStreamMessage m;
      if (first && m.ParseFromString(Text(message))) path = m.request().path();
    }
    *out = Buffer(Reply(Env("MALFORMED_REPLY"), path));
    return grpc::Status::OK;
  }

  grpc::Status Shutdown(const grpc::ByteBuffer&, grpc::ByteBuffer* out) {
    *out = Buffer("");
    std::lock_guard<std::mutex> lock(g_mu);
    g_stop = true;
    g_cv.notify_all();
    return grpc::Status::OK;
  }
};

class RawHealth : public grpc::Service {
 public:
  RawHealth() {
    AddMethod(new RpcServiceMethod(
        "/grpc.health.v1.Health/Check", RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<RawHealth, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](RawHealth*, grpc::ServerContext*, const grpc::ByteBuffer*, grpc::ByteBuffer* out) {
              // HealthCheckResponse.status 1 = SERVING.
              *out = Buffer(Env("MALFORMED_HEALTH") == "garbage" ? "\xff\xff\xff garbage"
                                                                 : VarintField(1, 1));
              return grpc::Status::OK;
            },
            this)));
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool attached = argc == 3 && std::string(argv[1]) == "--listen";
  const std::string socket = Env("DELTASCOPE_PLUGIN_SOCKET");
  const int ready_fd = std::atoi(Env("DELTASCOPE_PLUGIN_READY_FD").c_str());
  if (!attached && (socket.empty() || ready_fd <= 0)) return 1;
  RawComparator comparator;
  RawHealth health;
  grpc::ServerBuilder builder;
  builder.SetMaxSendMessageSize(64 << 20);
  builder.AddListeningPort(attached ? argv[2] : "unix:" + socket,
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&comparator);
  builder.RegisterService(&health);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return 1;
  if (attached) {
    std::fprintf(stderr, "listening on %s\n", argv[2]);
  } else {
    const std::string line = "deltascope-plugin|1|unix|" + socket + "|grpc\n";
    if (::write(ready_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
    ::close(ready_fd);
  }
  std::unique_lock<std::mutex> lock(g_mu);
  g_cv.wait(lock, [] { return g_stop; });
  lock.unlock();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  return 0;
}
