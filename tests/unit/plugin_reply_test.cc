// Reading plugin replies as untrusted bytes (daemon/plugin/reply.h): whatever the bytes, a
// reply is read, cut to the limits, or refused with a reason; never a crash.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
#include "daemon/plugin/reply.h"
#include "deltascope/changeset/v1/changeset.pb.h"
#include "google/protobuf/util/message_differencer.h"

namespace deltascope {
namespace {

using changeset::v1::DiffNode;

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

pluginpb::CompareRequest Request(const std::string& path) {
  pluginpb::CompareRequest request;
  request.set_path(path);
  return request;
}

pluginpb::CompareResponse Leaf(DiffNode node) {
  pluginpb::CompareResponse r;
  r.set_outcome(pluginpb::CompareResponse::OUTCOME_LEAF);
  *r.mutable_node() = std::move(node);
  return r;
}

absl::StatusOr<CompareReply> Read(const std::string& bytes, const std::string& path = "d/x.json",
                                  const ReplyLimits& limits = {}) {
  return ReadCompareReply(Buffer(bytes), Request(path), limits);
}

absl::Status Error(const pluginpb::CompareResponse& response, const std::string& path = "d/x.json",
                   const ReplyLimits& limits = {}) {
  return Read(response.SerializeAsString(), path, limits).status();
}

// --- Protobuf wire format by hand, for what the library would not write ---
std::string Varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Bytes(int field, const std::string& data) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(data.size()) + data;
}
std::string LeafWith(const std::string& node_fields) { return "\x08\x02" + Bytes(2, node_fields); }

TEST(ReadCompareReplyTest, ReadsWhatProtobufWrites) {
  DiffNode node = MakeNode("modify", "json", "d/x.json", "json");
  node.set_summary("2 keys changed");
  AddTag(node, "content-changed");
  SetDetail(node, "keys", int64_t{2});
  SetDetail(node, "nested", ListValue({StringValue("a"), NumberValue(1.5)}));
  DiffNode* child = node.add_children();
  child->set_action("move");
  child->set_path("d/x.json/b");
  child->set_source_path("d/x.json/a");
  pluginpb::CompareResponse response = Leaf(node);
  absl::StatusOr<CompareReply> reply = Read(response.SerializeAsString());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reply->response, response))
      << reply->response.DebugString();
  EXPECT_EQ(reply->cut, "");
}

TEST(ReadCompareReplyTest, IgnoresUnknownFieldsAsProtobufDoes) {
  const std::string bytes = LeafWith(Bytes(1, "modify") + Bytes(42, "from a newer plugin")) +
                            Bytes(17, "unknown") + "\xa8\x01\x05";  // field 21, varint
  absl::StatusOr<CompareReply> reply = Read(bytes);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->response.node().action(), "modify");
}

TEST(ReadCompareReplyTest, RefusesBytesThatAreNotAReply) {
  const std::string ok = Leaf(MakeNode("modify", "json", "", "")).SerializeAsString();
  for (const std::string& bytes : std::vector<std::string>{
           std::string("\xff\xff\xff\xff garbage"), ok.substr(0, ok.size() - 3),
           std::string("\x0b\x0c", 2) /* a group */, std::string("\x00", 1), Varint(1ull << 63)}) {
    EXPECT_EQ(Read(bytes).status().message(), "not a well-formed protobuf message")
        << absl::CEscape(bytes);
  }
  EXPECT_EQ(Read("\x12\x05\x08\x01").status().message(), "not a well-formed protobuf message");
  EXPECT_EQ(Read("\x10\x01").status().message(),  // node as a varint
            "CompareResponse field 2 has the wrong wire type 0");
  EXPECT_EQ(Read("").status().message(), "outcome not set");
}

TEST(ReadCompareReplyTest, RefusesInvalidUtf8Anywhere) {
  const std::string bad = "caf\xc3\x28";
  EXPECT_EQ(Read(LeafWith(Bytes(5, bad))).status().message(), "invalid UTF-8 in summary");
  EXPECT_EQ(Read(LeafWith(Bytes(3, bad))).status().message(), "invalid UTF-8 in path");
  EXPECT_EQ(Read(LeafWith(Bytes(6, bad))).status().message(), "invalid UTF-8 in a tag");
  EXPECT_EQ(Read(LeafWith(Bytes(8, Bytes(1, bad)))).status().message(), "invalid UTF-8 in action");
  // details {"k": "caf\xc3\x28"}: Struct.fields entry {1 key, 2 Value{3 string_value}}.
  EXPECT_EQ(Read(LeafWith(Bytes(7, Bytes(1, Bytes(1, "k") + Bytes(2, Bytes(3, bad))))))
                .status()
                .message(),
            "details: invalid UTF-8 in Value.string_value");
  EXPECT_EQ(Read("\x08\x03" + Bytes(2, "") + Bytes(3, Bytes(1, bad))).status().message(),
            "invalid UTF-8 in a child");
}

// `levels` times the same wrapping, innermost first: each wrapper is a field number and what
// precedes the inner bytes inside it. Built in linear time (a million levels are cheap).
struct Wrapper {
  int field;
  std::string prefix;
};
std::string Nest(const std::vector<Wrapper>& level, int levels) {
  std::vector<uint64_t> sizes = {0};  // of the content inside each wrapper, innermost first
  for (int i = 0; i < levels; ++i) {
    for (const Wrapper& w : level) {
      const uint64_t inner = w.prefix.size() + sizes.back();
      sizes.push_back(Varint(static_cast<uint64_t>(w.field) << 3 | 2).size() +
                      Varint(inner).size() + inner);
    }
  }
  std::string out;
  out.reserve(sizes.back());
  for (size_t k = sizes.size() - 1; k > 0; --k) {
    const Wrapper& w = level[(k - 1) % level.size()];
    out += Varint(static_cast<uint64_t>(w.field) << 3 | 2) +
           Varint(w.prefix.size() + sizes[k - 1]) + w.prefix;
  }
  return out;
}

// details {"a": {"a": ...}}: Value.struct_value 5 in a map entry {1 key, 2 value} in Struct 1.
std::string DeepStruct(int depth) { return Nest({{5, ""}, {2, ""}, {1, Bytes(1, "a")}}, depth); }

TEST(ReadCompareReplyTest, DetailsNestingIsBounded) {
  EXPECT_EQ(DeepStruct(2),
            Bytes(1, Bytes(1, "a") +
                         Bytes(2, Bytes(5, Bytes(1, Bytes(1, "a") + Bytes(2, Bytes(5, "")))))));
  EXPECT_TRUE(Read(LeafWith(Bytes(7, DeepStruct(kMaxDetailsDepth)))).ok());
  for (int depth : {kMaxDetailsDepth + 1, 5000, 50000}) {  // 50,000: 0.6 MB of details
    EXPECT_EQ(Read(LeafWith(Bytes(7, DeepStruct(depth)))).status().message(),
              "details nested deeper than 32 levels")
        << depth;
  }
}

TEST(ReadCompareReplyTest, NodeNestingIsBoundedWhateverTheBytes) {
  // The pair's node, then children nested `depth` levels below it (children 8, path 3).
  auto nested = [](int depth) { return LeafWith(Nest({{8, Bytes(3, "d/x.json/a")}}, depth)); };
  EXPECT_TRUE(Read(nested(kMaxNodeDepth)).ok()) << Read(nested(kMaxNodeDepth)).status();
  EXPECT_EQ(Read(nested(kMaxNodeDepth + 1)).status().message(), "nodes nested deeper than 64");
  // 1,000,000 levels in 2 MB: refused at level 65, without recursing any further.
  EXPECT_EQ(Read(LeafWith(Nest({{8, ""}}, 1000000))).status().message(),
            "nodes nested deeper than 64");
}

TEST(ReadCompareReplyTest, CutsNodesSummariesTagsAndDetailsToTheLimits) {
  ReplyLimits limits;
  limits.nodes = 3;
  limits.summary_bytes = 10;
  limits.details_bytes = 40;
  DiffNode node = MakeNode("modify", "json", "", "");
  node.set_summary("ééééééé");  // 14 bytes; 7 fit before the ellipsis, cut to whole characters
  for (int i = 0; i < kMaxTagsPerNode + 5; ++i) node.add_tags(absl::StrCat("t", i));
  SetDetail(node, "k", std::string(20, 'v'));
  for (int i = 0; i < 5; ++i) {
    DiffNode* child = node.add_children();
    child->set_path(absl::StrCat("d/x.json/", i));
    SetDetail(*child, "k", std::string(20, 'v'));
  }
  absl::StatusOr<CompareReply> reply = Read(Leaf(node).SerializeAsString(), "d/x.json", limits);
  ASSERT_TRUE(reply.ok()) << reply.status();
  const DiffNode& got = reply->response.node();
  EXPECT_EQ(got.summary(), "ééé…");
  EXPECT_EQ(got.tags_size(), kMaxTagsPerNode);
  EXPECT_EQ(got.children_size(), 2);
  EXPECT_TRUE(got.has_details());
  EXPECT_FALSE(got.children(0).has_details());  // the budget went to the parent
  EXPECT_EQ(reply->cut,
            "kept 3 of 6 nodes; 1 summary cut to 10 bytes; details of 2 nodes dropped (over 40 "
            "bytes of details in all); 5 tags dropped (over 64 on a node)");
}

TEST(ReadCompareReplyTest, RefusesTooManyExpandChildrenAndTooLargeReplies) {
  ReplyLimits limits;
  limits.nodes = 2;
  pluginpb::CompareResponse expand = Leaf(MakeNode("modify", "zip", "", ""));
  expand.set_outcome(pluginpb::CompareResponse::OUTCOME_EXPAND);
  for (int i = 0; i < 3; ++i) expand.add_children()->set_name(absl::StrCat("c", i));
  EXPECT_EQ(Error(expand, "d/x.json", limits).message(), "more than 2 EXPAND children");
  limits.bytes = 10;
  DiffNode big = MakeNode("modify", "json", "", "");
  big.set_summary("more than ten bytes");
  EXPECT_EQ(Error(Leaf(big), "d/x.json", limits).message(),
            absl::StrCat("reply of ", Leaf(big).ByteSizeLong(), " bytes is over the limit of 10"));
}

DiffNode Child(const std::string& action, const std::string& path, const std::string& source = "") {
  DiffNode node = MakeNode(action, "key", path, "");
  node.set_source_path(source);
  return node;
}

absl::Status WithChild(const DiffNode& child, const std::string& pair = "d/x.json") {
  DiffNode node = MakeNode("modify", "json", "", "");
  *node.add_children() = child;
  return Error(Leaf(node), pair);
}

TEST(ValidateResponsePathsTest, EveryPathNamesAnItemBelowThePair) {
  EXPECT_TRUE(WithChild(Child("add", "d/x.json/a")).ok());
  EXPECT_TRUE(WithChild(Child("add", "a/b"), "").ok());  // below the snapshot root
  for (const std::string& bad : std::vector<std::string>{
           "d/x.json/../../etc/shadow", "d/x.json//a", "d/x.json/./a", "d/x.json/", "d/x.json",
           "/etc/passwd", "d/x.jsonl/a", std::string("d/x.json/a\0b", 12)}) {
    EXPECT_EQ(WithChild(Child("add", bad)).message(),
              absl::StrCat("child path '", bad, "' is not below 'd/x.json'"))
        << absl::CEscape(bad);
  }
  EXPECT_FALSE(WithChild(Child("add", "/a"), "").ok());
  EXPECT_FALSE(WithChild(Child("add", "../a"), "").ok());
}

TEST(ValidateResponsePathsTest, MovesAndCopiesStayInsideTheItem) {
  EXPECT_TRUE(WithChild(Child("move", "d/x.json/b", "d/x.json/a")).ok());
  EXPECT_TRUE(WithChild(Child("copy", "d/x.json/b", "d/x.json/a/c")).ok());
  EXPECT_EQ(WithChild(Child("move", "d/x.json/b", "../../../etc/shadow")).message(),
            "move of 'd/x.json/b' from '../../../etc/shadow', which is not another item below "
            "'d/x.json'");
  for (const char* bad :
       {"", "d/x.json/b", "d/x.json", "d/other.json", "/etc/shadow", "d/x.json/../y.json"}) {
    EXPECT_FALSE(WithChild(Child("move", "d/x.json/b", bad)).ok()) << bad;
  }
  EXPECT_EQ(WithChild(Child("modify", "d/x.json/b", "d/x.json/a")).message(),
            "source_path on a 'modify' node 'd/x.json/b'");

  DiffNode self = Child("move", "", "/etc/shadow");
  EXPECT_EQ(Error(Leaf(self)).message(),
            "the compared item itself cannot be a move from '/etc/shadow' (moves between items "
            "are the host's)");
  EXPECT_FALSE(Error(Leaf(Child("modify", "", "d/y.json"))).ok());
  EXPECT_TRUE(Error(Leaf(Child("modify", "d/x.json"))).ok());
  EXPECT_EQ(Error(Leaf(Child("modify", "d/y.json"))).message(),
            "node path 'd/y.json' is not the compared item 'd/x.json'");
}

TEST(ReadSmallReplyTest, DescribeAndHealthAnswersAreCheckedToo) {
  pluginpb::DescribeResponse describe;
  describe.set_protocol_version(1);
  describe.add_comparators()->set_name("json");
  pluginpb::DescribeResponse out;
  ASSERT_TRUE(ReadSmallReply(Buffer(describe.SerializeAsString()), 1024, out).ok());
  EXPECT_EQ(out.comparators(0).name(), "json");
  EXPECT_EQ(ReadSmallReply(Buffer("\xff\xff garbage"), 1024, out).message(),
            "not a well-formed protobuf message");
  EXPECT_EQ(ReadSmallReply(Buffer(Bytes(2, "\xc3\x28")), 1024, out).message(),
            "invalid UTF-8 in DescribeResponse.name");
  EXPECT_EQ(ReadSmallReply(Buffer(describe.SerializeAsString()), 4, out).message(),
            absl::StrCat("reply of ", describe.ByteSizeLong(), " bytes is over the limit of 4"));
}

// The reader decodes CompareResponse, DiffNode and ChildPair by hand: a field added to the
// protocol must be added to it (daemon/plugin/reply.cc, ReplyDecoder) before this passes again.
TEST(ReadCompareReplyTest, KnowsEveryFieldOfTheProtocol) {
  EXPECT_EQ(pluginpb::CompareResponse::descriptor()->field_count(), 3);
  EXPECT_EQ(DiffNode::descriptor()->field_count(), 9);
  EXPECT_EQ(pluginpb::ChildPair::descriptor()->field_count(), 3);
}

// ComparePipe's answers are untrusted bytes too: split into replies by the wire format alone,
// each reply's response left for ReadCompareReply; malformed framing is refused, not trusted.
TEST(PipeReplyTest, SplitsRepliesAndRefusesMalformedFraming) {
  pluginpb::ComparePipeResponse message;
  pluginpb::PipeReply* ok = message.add_replies();
  ok->set_id(7);
  ok->mutable_response()->set_outcome(pluginpb::CompareResponse::OUTCOME_IDENTICAL);
  pluginpb::PipeReply* failed = message.add_replies();
  failed->set_id(9);
  failed->set_code(13);
  failed->set_message(std::string(2000, 'x'));
  std::string wire = message.SerializeAsString();
  wire += std::string("\x10\x05", 2);  // a field this host does not know: skipped
  absl::StatusOr<std::vector<PipeReplyBytes>> replies = ReadPipeReplies(Buffer(wire));
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 2u);
  EXPECT_EQ((*replies)[0].id, 7u);
  EXPECT_EQ((*replies)[0].code, 0u);
  pluginpb::CompareResponse response;
  ASSERT_TRUE(response.ParseFromString((*replies)[0].response));
  EXPECT_EQ(response.outcome(), pluginpb::CompareResponse::OUTCOME_IDENTICAL);
  EXPECT_EQ((*replies)[1].id, 9u);
  EXPECT_EQ((*replies)[1].code, 13u);
  EXPECT_EQ((*replies)[1].message.size(), 500u);  // cut

  for (const std::string& bad : {std::string("\x0a\x05\x08", 3),      // length past the end
                                 std::string("\x0a\x02\x12\x05", 4),  // response past its reply
                                 std::string("\x08\x01", 2) + std::string("\x0a\x02\x0a\x00", 4),
                                 std::string("\x0b", 1)}) {  // a group
    EXPECT_FALSE(ReadPipeReplies(Buffer(bad)).ok()) << absl::CEscape(bad);
  }
}

}  // namespace
}  // namespace deltascope
