#include "daemon/plugin/reply.h"

#include <google/protobuf/io/coded_stream.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/sync_stream.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "daemon/engine/media_type.h"
#include "daemon/engine/node_util.h"
#include "google/protobuf/struct.pb.h"

namespace deltascope {
namespace {

using changeset::v1::DiffNode;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Describe lists a few comparators; a health answer is one enum.
constexpr size_t kMaxDescribeBytes = 256 << 10;
constexpr size_t kMaxHealthBytes = 4 << 10;
// google.protobuf.Struct nests three messages a level (Struct, its map entry, Value).
constexpr int kMaxDetailsMessageDepth = 3 * kMaxDetailsDepth;

bool ValidUtf8(absl::string_view text) { return IsValidUtf8({text.data(), text.size()}); }

// --- The protobuf wire format, read in place ---

struct Field {
  uint32_t number = 0;
  int type = 0;  // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
  uint64_t varint = 0;
  absl::string_view bytes;  // type 2
};

class WireReader {
 public:
  explicit WireReader(absl::string_view bytes) : rest_(bytes) {}
  bool done() const { return rest_.empty(); }

  // The next field, or an error at a malformed one (groups included: proto3 has none).
  absl::Status Next(Field& f) {
    uint64_t tag = 0;
    if (!Varint(tag) || tag >> 3 == 0 || tag >> 3 > (1u << 29) - 1) return Malformed();
    f.number = static_cast<uint32_t>(tag >> 3);
    f.type = static_cast<int>(tag & 7);
    switch (f.type) {
      case 0:
        return Varint(f.varint) ? absl::OkStatus() : Malformed();
      case 1:
      case 5:
        return Skip(f.type == 1 ? 8 : 4);
      case 2: {
        uint64_t size = 0;
        if (!Varint(size) || size > rest_.size()) return Malformed();
        f.bytes = rest_.substr(0, size);
        rest_.remove_prefix(size);
        return absl::OkStatus();
      }
      default:
        return Malformed();
    }
  }

 private:
  bool Varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) return false;
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;
  }
  absl::Status Skip(size_t n) {
    if (rest_.size() < n) return Malformed();
    rest_.remove_prefix(n);
    return absl::OkStatus();
  }
  static absl::Status Malformed() {
    return absl::InvalidArgumentError("not a well-formed protobuf message");
  }

  absl::string_view rest_;
};

// Checks `bytes` as a message of `type`: well-formed, strings valid UTF-8 (proto3's rule, which
// the protobuf parser would otherwise enforce with a log line), nested at most `max_depth`.
absl::Status CheckMessage(absl::string_view bytes, const Descriptor& type, int max_depth) {
  if (max_depth < 0) return absl::OutOfRangeError("nested too deep");
  WireReader wire(bytes);
  Field f;
  while (!wire.done()) {
    if (absl::Status s = wire.Next(f); !s.ok()) return s;
    const FieldDescriptor* field = type.FindFieldByNumber(static_cast<int>(f.number));
    if (!field || f.type != 2) continue;  // unknown or scalar: the parser copes
    if (field->type() == FieldDescriptor::TYPE_STRING && !ValidUtf8(f.bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid UTF-8 in ", type.name(), ".", field->name()));
    }
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (absl::Status s = CheckMessage(f.bytes, *field->message_type(), max_depth - 1); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// Parses bytes CheckMessage accepted (merging, as protobuf does for a repeated field).
absl::Status MergeChecked(absl::string_view bytes, int depth, google::protobuf::Message& out) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(depth + 1);
  if (!out.MergeFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid ", out.GetTypeName()));
  }
  return absl::OkStatus();
}

absl::Status CheckSize(const grpc::ByteBuffer& bytes, uint64_t max_bytes) {
  if (bytes.Length() <= max_bytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("reply of ", bytes.Length(), " bytes is over the limit of ", max_bytes));
}

// The longest prefix of valid UTF-8 `text` of at most `max` bytes that ends on a character.
absl::string_view CutAtCharacter(absl::string_view text, size_t max) {
  size_t end = std::min(max, text.size());
  while (end > 0 && end < text.size() && (static_cast<uint8_t>(text[end]) & 0xc0) == 0x80) --end;
  return text.substr(0, end);
}

// Builds a CompareResponse from its wire bytes under the limits, noting what it cuts.
class ReplyDecoder {
 public:
  explicit ReplyDecoder(const ReplyLimits& limits) : limits_(limits) {}

  absl::Status Response(absl::string_view bytes, pluginpb::CompareResponse& out) {
    WireReader wire(bytes);
    Field f;
    while (!wire.done()) {
      if (absl::Status s = wire.Next(f); !s.ok()) return s;
      if (f.number == 1 && f.type == 0) {
        out.set_outcome(
            static_cast<pluginpb::CompareResponse::Outcome>(static_cast<int32_t>(f.varint)));
      } else if (f.number == 2 && f.type == 2) {
        if (!out.has_node()) ++nodes_;
        if (absl::Status s = Node(f.bytes, 0, out.mutable_node()); !s.ok()) return s;
      } else if (f.number == 3 && f.type == 2) {
        if (static_cast<uint64_t>(out.children_size()) >= limits_.nodes) {
          return absl::InvalidArgumentError(
              absl::StrCat("more than ", limits_.nodes, " EXPAND children"));
        }
        if (absl::Status s = ChildPair(f.bytes, *out.add_children()); !s.ok()) return s;
      } else if (f.number <= 3) {
        return WrongType(f, "CompareResponse");
      }
    }
    return absl::OkStatus();
  }

  // "" when nothing was cut.
  std::string Cuts() const {
    std::vector<std::string> parts;
    if (nodes_ > limits_.nodes) {
      parts.push_back(absl::StrCat("kept ", limits_.nodes, " of ", nodes_, " nodes"));
    }
    if (summaries_cut_ > 0) {
      parts.push_back(absl::StrCat(summaries_cut_, summaries_cut_ == 1 ? " summary" : " summaries",
                                   " cut to ", limits_.summary_bytes, " bytes"));
    }
    if (details_dropped_ > 0) {
      parts.push_back(absl::StrCat("details of ", details_dropped_,
                                   details_dropped_ == 1 ? " node" : " nodes", " dropped (over ",
                                   limits_.details_bytes, " bytes of details in all)"));
    }
    if (tags_dropped_ > 0) {
      parts.push_back(
          absl::StrCat(tags_dropped_, " tags dropped (over ", kMaxTagsPerNode, " on a node)"));
    }
    return absl::StrJoin(parts, "; ");
  }

 private:
  static absl::Status WrongType(const Field& f, const char* message) {
    return absl::InvalidArgumentError(
        absl::StrCat(message, " field ", f.number, " has the wrong wire type ", f.type));
  }

  static absl::Status Text(const Field& f, const char* what, std::string* out) {
    if (f.type != 2) return WrongType(f, "DiffNode");
    if (!ValidUtf8(f.bytes))
      return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 in ", what));
    if (out) out->assign(f.bytes.data(), f.bytes.size());
    return absl::OkStatus();
  }

  // Decodes one node into `out`; with `out` null (past the node limit) only counts its nodes.
  absl::Status Node(absl::string_view bytes, int depth, DiffNode* out) {
    if (depth > kMaxNodeDepth) {
      return absl::InvalidArgumentError(absl::StrCat("nodes nested deeper than ", kMaxNodeDepth));
    }
    WireReader wire(bytes);
    Field f;
    while (!wire.done()) {
      if (absl::Status s = wire.Next(f); !s.ok()) return s;
      if (f.number == 8) {
        if (f.type != 2) return WrongType(f, "DiffNode");
        ++nodes_;
        DiffNode* child = out && nodes_ <= limits_.nodes ? out->add_children() : nullptr;
        if (absl::Status s = Node(f.bytes, depth + 1, child); !s.ok()) return s;
        continue;
      }
      if (!out) continue;
      absl::Status s;
      switch (f.number) {
        case 1:
          s = Text(f, "action", out->mutable_action());
          break;
        case 2:
          s = Text(f, "item_type", out->mutable_item_type());
          break;
        case 3:
          s = Text(f, "path", out->mutable_path());
          break;
        case 4:
          s = Text(f, "source_path", out->mutable_source_path());
          break;
        case 9:
          s = Text(f, "comparator", out->mutable_comparator());
          break;
        case 5:
          s = Summary(f, *out);
          break;
        case 6:
          s = Text(f, "a tag", nullptr);
          if (s.ok() && out->tags_size() < kMaxTagsPerNode) {
            out->add_tags(std::string(f.bytes));
          } else if (s.ok()) {
            ++tags_dropped_;
          }
          break;
        case 7:
          s = Details(f, *out);
          break;
        default:
          break;  // unknown: ignored, as protobuf would
      }
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Summary(const Field& f, DiffNode& out) {
    if (absl::Status s = Text(f, "summary", nullptr); !s.ok()) return s;
    if (f.bytes.size() <= limits_.summary_bytes) {
      out.set_summary(std::string(f.bytes));
      return absl::OkStatus();
    }
    ++summaries_cut_;
    constexpr absl::string_view kEllipsis = "…";
    const size_t room =
        limits_.summary_bytes > kEllipsis.size() ? limits_.summary_bytes - kEllipsis.size() : 0;
    out.set_summary(absl::StrCat(CutAtCharacter(f.bytes, room), kEllipsis));
    return absl::OkStatus();
  }

  absl::Status Details(const Field& f, DiffNode& out) {
    if (f.type != 2) return WrongType(f, "DiffNode");
    if (details_bytes_ + f.bytes.size() > limits_.details_bytes) {
      ++details_dropped_;
      return absl::OkStatus();
    }
    details_bytes_ += f.bytes.size();
    const Descriptor& type = *google::protobuf::Struct::descriptor();
    if (absl::Status s = CheckMessage(f.bytes, type, kMaxDetailsMessageDepth); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::IsOutOfRange(s)
              ? absl::StrCat("details nested deeper than ", kMaxDetailsDepth, " levels")
              : absl::StrCat("details: ", s.message()));
    }
    return MergeChecked(f.bytes, kMaxDetailsMessageDepth, *out.mutable_details());
  }

  static absl::Status ChildPair(absl::string_view bytes, pluginpb::ChildPair& out) {
    WireReader wire(bytes);
    Field f;
    while (!wire.done()) {
      if (absl::Status s = wire.Next(f); !s.ok()) return s;
      std::string* target = f.number == 1   ? out.mutable_name()
                            : f.number == 2 ? out.mutable_left_path()
                            : f.number == 3 ? out.mutable_right_path()
                                            : nullptr;
      if (!target) continue;
      if (f.type != 2) return WrongType(f, "ChildPair");
      if (!ValidUtf8(f.bytes)) return absl::InvalidArgumentError("invalid UTF-8 in a child");
      target->assign(f.bytes.data(), f.bytes.size());
    }
    return absl::OkStatus();
  }

  const ReplyLimits limits_;
  uint64_t nodes_ = 0;  // seen, kept or not
  uint64_t summaries_cut_ = 0;
  uint64_t details_bytes_ = 0;
  uint64_t details_dropped_ = 0;
  uint64_t tags_dropped_ = 0;
};

// --- Paths ---

// Whether `path` names an item strictly below `parent` (the compared pair's path; "" is the
// snapshot root): '/'-separated, relative, without empty, "." or ".." segments or NUL bytes.
bool NamesItemBelow(absl::string_view path, absl::string_view parent) {
  if (!parent.empty() && !absl::ConsumePrefix(&path, parent)) return false;
  if (!parent.empty() && !absl::ConsumePrefix(&path, "/")) return false;
  if (path.empty()) return false;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == "." || segment == ".." ||
        segment.find('\0') != absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string Quoted(absl::string_view text) { return absl::StrCat("'", text.substr(0, 200), "'"); }

bool IsMoveOrCopy(const DiffNode& node) {
  return node.action() == "move" || node.action() == "copy";
}

absl::Status ValidateNode(const DiffNode& node, const std::string& root, int depth) {
  if (depth > kMaxNodeDepth) {
    return absl::InvalidArgumentError(absl::StrCat("nodes nested deeper than ", kMaxNodeDepth));
  }
  if (!ParseAction(node.action())) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid action ", Quoted(node.action().substr(0, 40))));
  }
  if (depth == 0) {
    // The compared item is where it is: where an item came from, only the host can tell (it sees
    // both snapshots; the moves pass).
    if (!node.path().empty() && node.path() != root) {
      return absl::InvalidArgumentError(absl::StrCat("node path ", Quoted(node.path()),
                                                     " is not the compared item ", Quoted(root)));
    }
    if (IsMoveOrCopy(node) || !node.source_path().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the compared item itself cannot be a ", node.action(), " from ",
                       Quoted(node.source_path()), " (moves between items are the host's)"));
    }
  } else if (IsMoveOrCopy(node)) {
    // Inside the item: one of its parts moved or copied from another of its parts.
    if (!NamesItemBelow(node.source_path(), root) || node.source_path() == node.path()) {
      return absl::InvalidArgumentError(absl::StrCat(
          node.action(), " of ", Quoted(node.path()), " from ", Quoted(node.source_path()),
          ", which is not another item below ", Quoted(root)));
    }
  } else if (!node.source_path().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("source_path on a ", Quoted(node.action()), " node ", Quoted(node.path())));
  }
  for (const DiffNode& child : node.children()) {
    if (!NamesItemBelow(child.path(), root)) {
      return absl::InvalidArgumentError(
          absl::StrCat("child path ", Quoted(child.path()), " is not below ", Quoted(root)));
    }
    if (absl::Status s = ValidateNode(child, root, depth + 1); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool IsUnder(const std::string& path, const std::string& parent) {
  return parent.empty() || absl::StartsWith(path, parent + "/");
}

// --- Calls ---

// RpcMethod keeps the name's pointer: the names are literals.
constexpr char kDescribeMethod[] = "/deltascope.plugin.v1.Comparator/Describe";
constexpr char kCompareMethod[] = "/deltascope.plugin.v1.Comparator/Compare";
constexpr char kCompareStreamMethod[] = "/deltascope.plugin.v1.Comparator/CompareStream";
constexpr char kShutdownMethod[] = "/deltascope.plugin.v1.Comparator/Shutdown";
constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

template <class Request>
grpc::Status UnaryCall(grpc::Channel& channel, const char* name, grpc::ClientContext& context,
                       const Request& request, grpc::ByteBuffer* reply) {
  return grpc::internal::BlockingUnaryCall<Request, grpc::ByteBuffer, google::protobuf::MessageLite,
                                           grpc::ByteBuffer>(
      &channel, grpc::internal::RpcMethod(name, grpc::internal::RpcMethod::NORMAL_RPC), &context,
      request, reply);
}

}  // namespace

std::string Contiguous(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

absl::StatusOr<CompareReply> ReadCompareReply(grpc::ByteBuffer bytes,
                                              const pluginpb::CompareRequest& request,
                                              const ReplyLimits& limits) {
  if (absl::Status s = CheckSize(bytes, limits.bytes); !s.ok()) return s;
  std::string wire = Contiguous(bytes);
  bytes.Clear();  // one copy of the bytes at a time
  return ReadCompareReply(std::move(wire), request, limits);
}

absl::StatusOr<CompareReply> ReadCompareReply(std::string wire,
                                              const pluginpb::CompareRequest& request,
                                              const ReplyLimits& limits) {
  if (wire.size() > limits.bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reply of ", wire.size(), " bytes is over the limit of ", limits.bytes));
  }
  CompareReply reply;
  ReplyDecoder decoder(limits);
  if (absl::Status s = decoder.Response(wire, reply.response); !s.ok()) return s;
  wire = std::string();
  if (absl::Status s = ValidateResponse(reply.response, request); !s.ok()) return s;
  reply.cut = decoder.Cuts();
  return reply;
}

absl::Status ValidateResponse(const pluginpb::CompareResponse& response,
                              const pluginpb::CompareRequest& request) {
  using R = pluginpb::CompareResponse;
  switch (response.outcome()) {
    case R::OUTCOME_IDENTICAL:
    case R::OUTCOME_SKIP:
      return absl::OkStatus();
    case R::OUTCOME_LEAF:
    case R::OUTCOME_EXPAND:
      break;
    default:
      return absl::InvalidArgumentError("outcome not set");
  }
  if (!response.has_node()) return absl::InvalidArgumentError("LEAF/EXPAND without a node");
  if (absl::Status s = ValidateNode(response.node(), request.path(), 0); !s.ok()) return s;
  if (response.outcome() == R::OUTCOME_EXPAND) {
    if (request.output_dir().empty() && response.children_size() > 0) {
      return absl::InvalidArgumentError("EXPAND children but no output_dir was offered");
    }
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::weakly_canonical(request.output_dir(), ec);
    for (const auto& child : response.children()) {
      if (child.name().empty() ||
          child.name().find_first_of(std::string("/\0", 2)) != std::string::npos ||
          child.name() == "." || child.name() == "..") {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid child name ", Quoted(child.name())));
      }
      for (const std::string& side : {child.left_path(), child.right_path()}) {
        if (side.empty()) continue;
        std::filesystem::path p = std::filesystem::weakly_canonical(base / side, ec);
        if (ec || side.find('\0') != std::string::npos || !IsUnder(p.string(), base.string())) {
          return absl::InvalidArgumentError(
              absl::StrCat("child file ", Quoted(side), " is outside output_dir"));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSmallReply(const grpc::ByteBuffer& bytes, size_t max_bytes,
                            google::protobuf::Message& out) {
  if (absl::Status s = CheckSize(bytes, max_bytes); !s.ok()) return s;
  const std::string wire = Contiguous(bytes);
  if (absl::Status s = CheckMessage(wire, *out.GetDescriptor(), kMaxNodeDepth); !s.ok()) return s;
  out.Clear();
  return MergeChecked(wire, kMaxNodeDepth, out);
}

grpc::Status CallCompare(grpc::Channel& channel, grpc::ClientContext& context,
                         const pluginpb::CompareRequest& request, grpc::ByteBuffer* reply) {
  return UnaryCall(channel, kCompareMethod, context, request, reply);
}

std::unique_ptr<grpc::ClientWriter<pluginpb::CompareStreamMessage>> CallCompareStream(
    grpc::Channel& channel, grpc::ClientContext& context, grpc::ByteBuffer* reply) {
  return std::unique_ptr<grpc::ClientWriter<pluginpb::CompareStreamMessage>>(
      grpc::internal::ClientWriterFactory<pluginpb::CompareStreamMessage>::Create(
          &channel,
          grpc::internal::RpcMethod(kCompareStreamMethod,
                                    grpc::internal::RpcMethod::CLIENT_STREAMING),
          &context, reply));
}

absl::StatusOr<std::vector<PipeReplyBytes>> ReadPipeReplies(const grpc::ByteBuffer& bytes) {
  const std::string wire = Contiguous(bytes);
  std::vector<PipeReplyBytes> out;
  WireReader message(wire);
  Field f;
  while (!message.done()) {
    if (absl::Status s = message.Next(f); !s.ok()) return s;
    if (f.number != 1) continue;  // a field this host does not know
    if (f.type != 2) return absl::InvalidArgumentError("malformed pipe reply");
    PipeReplyBytes reply;
    WireReader fields(f.bytes);
    Field g;
    while (!fields.done()) {
      if (absl::Status s = fields.Next(g); !s.ok()) return s;
      const bool varint = g.type == 0, bytes_field = g.type == 2;
      if ((g.number == 1 || g.number == 3) && !varint) {
        return absl::InvalidArgumentError("malformed pipe reply");
      }
      if ((g.number == 2 || g.number == 4) && !bytes_field) {
        return absl::InvalidArgumentError("malformed pipe reply");
      }
      switch (g.number) {
        case 1:
          reply.id = g.varint;
          break;
        case 2:
          reply.response.assign(g.bytes.data(), g.bytes.size());
          break;
        case 3:
          reply.code = static_cast<uint32_t>(g.varint);
          break;
        case 4:
          reply.message.assign(g.bytes.data(), std::min<size_t>(g.bytes.size(), 500));
          break;
        default:
          break;
      }
    }
    out.push_back(std::move(reply));
  }
  return out;
}

grpc::Status CallShutdown(grpc::Channel& channel, grpc::ClientContext& context) {
  grpc::ByteBuffer ignored;
  return UnaryCall(channel, kShutdownMethod, context, pluginpb::ShutdownRequest(), &ignored);
}

absl::StatusOr<pluginpb::DescribeResponse> DescribePlugin(grpc::Channel& channel,
                                                          std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  pluginpb::DescribeRequest request;
  request.add_host_protocol_versions(1);
  grpc::ByteBuffer bytes;
  grpc::Status s = UnaryCall(channel, kDescribeMethod, context, request, &bytes);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("Describe failed: ", s.error_message().substr(0, 300)));
  }
  pluginpb::DescribeResponse description;
  if (absl::Status read = ReadSmallReply(bytes, kMaxDescribeBytes, description); !read.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Describe failed: invalid reply: ", read.message()));
  }
  return description;
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse> CheckPluginHealth(
    grpc::Channel& channel, std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::ByteBuffer bytes;
  grpc::Status s = UnaryCall(channel, kHealthCheckMethod, context,
                             grpc::health::v1::HealthCheckRequest(), &bytes);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("health check failed: ", s.error_message().substr(0, 300)));
  }
  grpc::health::v1::HealthCheckResponse response;
  if (absl::Status read = ReadSmallReply(bytes, kMaxHealthBytes, response); !read.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("health check failed: invalid reply: ", read.message()));
  }
  return response;
}

}  // namespace deltascope
