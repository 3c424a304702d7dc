// End-to-end tests of the C++ plugin SDK through the real example plugin
// (bin/deltascope-plugin-json): the environment handshake on fd 3, gRPC over the Unix socket,
// Describe, health, Compare and CompareStream on real files, errors, and Shutdown.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "deltascope/plugin/v1/comparator.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

extern char** environ;

namespace deltascope::testing {
namespace {

namespace pb = ::deltascope::plugin::v1;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// The example plugin started the way the host starts it: environment, fd 3 a pipe for the
// handshake line, stderr to a file, its own process group (killed on destruction).
class PluginProcess {
 public:
  struct Options {
    bool cookie = true;
    std::string versions = "1";
    std::vector<std::string> extra_env = {};
  };

  PluginProcess(const ScratchTree& t, const Options& options)
      : socket_(t.root() / "instance.sock"), stderr_path_(t.root() / "plugin.stderr") {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      if (!absl::StartsWith(*e, "DELTASCOPE_PLUGIN_")) env.emplace_back(*e);
    }
    if (options.cookie) env.push_back("DELTASCOPE_PLUGIN_MAGIC_COOKIE=d3lt4sc0pe-plugin-v1");
    env.push_back("DELTASCOPE_PLUGIN_SOCKET=" + socket_.string());
    env.push_back("DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS=" + options.versions);
    env.push_back("DELTASCOPE_PLUGIN_READY_FD=3");
    env.push_back("DELTASCOPE_PLUGIN_NAME=json-cpp");
    env.push_back("DELTASCOPE_PLUGIN_INSTANCE=0");
    env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string binary = BinPath("deltascope-plugin-json");
    char* argv[] = {binary.data(), nullptr};

    int ready[2];
    EXPECT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(ready[1], 3);  // dup2 clears FD_CLOEXEC on the copy
      ::dup2(err, 2);
      ::execve(argv[0], argv, envp.data());
      _exit(127);
    }
    ::close(ready[1]);
    ::close(err);
    ready_fd_ = ready[0];
  }

  ~PluginProcess() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (ready_fd_ >= 0) ::close(ready_fd_);
  }

  // Everything the plugin writes to fd 3 until it closes it (or 10 s pass).
  std::string ReadHandshake() {
    std::string line;
    char buf[512];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p = {ready_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(ready_fd_, buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    return line;
  }

  // Exit code, or -1 when it did not exit within `seconds` (or died by a signal).
  int WaitForExit(int seconds = 10) {
    for (int i = 0; i < seconds * 20; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  std::string Stderr() const { return ReadFile(stderr_path_); }
  const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
  std::filesystem::path stderr_path_;
  pid_t pid_ = -1;
  int ready_fd_ = -1;
};

// A running plugin with a connected client.
class PluginSdkTest : public ::testing::Test {
 protected:
  void Start(const PluginProcess::Options& options = {}) {
    plugin_.emplace(t_, options);
    handshake_ = plugin_->ReadHandshake();
    ASSERT_EQ(handshake_,
              absl::StrCat("deltascope-plugin|1|unix|", plugin_->socket().string(), "|grpc\n"))
        << plugin_->Stderr();
    channel_ = grpc::CreateChannel("unix:" + plugin_->socket().string(),
                                   grpc::InsecureChannelCredentials());
    stub_ = pb::Comparator::NewStub(channel_);
  }

  // An Item for a file of the scratch tree.
  pb::Item FileItem(const std::string& rel, bool with_path = true) {
    pb::Item item;
    item.set_logical_path(rel);
    if (with_path) item.set_path((t_ / rel).string());
    item.set_size(std::filesystem::file_size(t_ / rel));
    item.set_kind("file");
    item.set_media_type("application/json");
    return item;
  }

  // Compares left/<name> with right/<name> (a side is absent when its file is missing).
  pb::CompareRequest Request(const std::string& name) {
    pb::CompareRequest request;
    request.set_comparator("json");
    request.set_path("data/" + name);
    if (std::filesystem::exists(t_ / ("left/" + name))) {
      *request.mutable_left() = FileItem("left/" + name);
    }
    if (std::filesystem::exists(t_ / ("right/" + name))) {
      *request.mutable_right() = FileItem("right/" + name);
    }
    return request;
  }

  grpc::Status Call(const pb::CompareRequest& request, pb::CompareResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Compare(&ctx, request, response);
  }

  pb::CompareResponse MustCompare(const std::string& name) {
    pb::CompareResponse response;
    grpc::Status status = Call(Request(name), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  ScratchTree t_;
  std::optional<PluginProcess> plugin_;
  std::string handshake_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Comparator::Stub> stub_;
};

std::vector<std::string> Tags(const changeset::v1::DiffNode& node) {
  return {node.tags().begin(), node.tags().end()};
}

// details.examples as (change, path, before, after) strings.
std::vector<std::string> Examples(const changeset::v1::DiffNode& node) {
  std::vector<std::string> out;
  auto it = node.details().fields().find("examples");
  if (it == node.details().fields().end()) return out;
  for (const auto& v : it->second.list_value().values()) {
    const auto& f = v.struct_value().fields();
    auto get = [&](const char* k) {
      auto found = f.find(k);
      return found == f.end() ? std::string("-") : found->second.string_value();
    };
    out.push_back(
        absl::StrCat(get("change"), " ", get("path"), " ", get("before"), " ", get("after")));
  }
  return out;
}

double Detail(const changeset::v1::DiffNode& node, const std::string& key) {
  auto it = node.details().fields().find(key);
  return it == node.details().fields().end() ? -1 : it->second.number_value();
}

TEST_F(PluginSdkTest, DescribeAndHealth) {
  Start({.versions = "1,2"});  // the plugin picks 1, the highest it speaks
  grpc::ClientContext ctx;
  pb::DescribeRequest request;
  request.add_host_protocol_versions(1);
  pb::DescribeResponse response;
  ASSERT_TRUE(stub_->Describe(&ctx, request, &response).ok());
  EXPECT_EQ(response.protocol_version(), 1u);
  EXPECT_EQ(response.name(), "json-cpp");
  EXPECT_EQ(response.version(), "0.1.0");
  ASSERT_EQ(response.comparators_size(), 1);
  EXPECT_EQ(response.comparators(0).name(), "json");
  EXPECT_EQ(std::vector<std::string>(response.comparators(0).extensions().begin(),
                                     response.comparators(0).extensions().end()),
            (std::vector<std::string>{".json", ".jsonl"}));
  EXPECT_EQ(response.comparators(0).scope(), pb::SCOPE_FILES);

  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service : {"", "deltascope.plugin.v1.Comparator"}) {
    grpc::ClientContext hctx;
    HealthCheckRequest hreq;
    hreq.set_service(service);
    HealthCheckResponse hres;
    ASSERT_TRUE(health->Check(&hctx, hreq, &hres).ok()) << service;
    EXPECT_EQ(hres.status(), HealthCheckResponse::SERVING) << service;
  }
  grpc::ClientContext hctx;
  HealthCheckRequest hreq;
  hreq.set_service("no.such.Service");
  HealthCheckResponse hres;
  EXPECT_EQ(health->Check(&hctx, hreq, &hres).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PluginSdkTest, KeysAddedAndValuesChanged) {
  t_.Write("left/x.json", R"({"a": 1, "b": {"c": [1, 2]}, "gone": "x", "odd key": 0})");
  t_.Write("right/x.json", R"({"a": 2, "b": {"c": [1, 2, 3]}, "d": true, "odd key": 1})");
  Start();
  pb::CompareResponse r = MustCompare("x.json");
  ASSERT_EQ(r.outcome(), pb::CompareResponse::OUTCOME_LEAF);
  EXPECT_EQ(r.node().action(), "modify");
  EXPECT_EQ(r.node().item_type(), "json");
  EXPECT_EQ(r.node().path(), "data/x.json");  // filled in by the SDK
  EXPECT_EQ(r.node().comparator(), "json");
  EXPECT_EQ(r.node().summary(), "1 key added; 1 key removed; 1 item added; 2 values changed");
  EXPECT_EQ(Tags(r.node()), (std::vector<std::string>{"item-addition", "key-addition",
                                                      "key-removal", "value-change"}));
  EXPECT_EQ(Detail(r.node(), "keys_added"), 1);
  EXPECT_EQ(Detail(r.node(), "values_changed"), 2);
  EXPECT_EQ(Examples(r.node()), (std::vector<std::string>{
                                    "changed $.a 1 2",
                                    "added $.b.c[2] - 3",
                                    "removed $.gone \"x\" -",
                                    "changed $['odd key'] 0 1",
                                    "added $.d - true",
                                }));
}

TEST_F(PluginSdkTest, ExamplesAreBounded) {
  std::string right = "{";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&right, i ? "," : "", "\"k", i, "\": ", i);
  t_.Write("left/x.json", "{}");
  t_.Write("right/x.json", right + "}");
  Start();
  pb::CompareRequest request = Request("x.json");
  request.set_max_examples(3);
  pb::CompareResponse r;
  ASSERT_TRUE(Call(request, &r).ok());
  EXPECT_EQ(r.node().summary(), "20 keys added");
  EXPECT_EQ(Examples(r.node()).size(), 3u);
  request.set_max_examples(0);  // unset: the SDK's default of 8
  ASSERT_TRUE(Call(request, &r).ok());
  EXPECT_EQ(Examples(r.node()).size(), 8u);
}

TEST_F(PluginSdkTest, KeyOrderOnlyIsAReorder) {
  t_.Write("left/x.json", R"({"a": 1, "b": {"x": 1, "y": 2}})");
  t_.Write("right/x.json", R"({"a": 1, "b": {"y": 2, "x": 1}})");
  t_.Write("left/ws.json", R"({"a": [1, 2]})");
  t_.Write("right/ws.json", "{\n  \"a\": [1,2]\n}\n");
  Start();
  pb::CompareResponse r = MustCompare("x.json");
  ASSERT_EQ(r.outcome(), pb::CompareResponse::OUTCOME_LEAF);
  EXPECT_EQ(r.node().action(), "reorder");
  EXPECT_EQ(r.node().summary(), "Key order changed (content unchanged)");
  EXPECT_EQ(Tags(r.node()), std::vector<std::string>{"key-order"});
  r = MustCompare("ws.json");
  EXPECT_EQ(r.node().action(), "modify");
  EXPECT_EQ(Tags(r.node()), std::vector<std::string>{"whitespace-change"});
}

TEST_F(PluginSdkTest, InvalidJsonIsSkipped) {
  t_.Write("left/x.json", R"({"a": 1})");
  t_.Write("right/x.json", R"({"a": 1,)");
  t_.Write("right/y.json", "not json at all");
  Start();
  EXPECT_EQ(MustCompare("x.json").outcome(), pb::CompareResponse::OUTCOME_SKIP);
  EXPECT_EQ(MustCompare("y.json").outcome(), pb::CompareResponse::OUTCOME_SKIP);  // added
}

TEST_F(PluginSdkTest, AddedAndRemovedDocuments) {
  t_.Write("right/new.json", R"({"a": 1, "b": 2})");
  t_.Write("left/old.jsonl", "{\"a\":1}\n\n{\"a\":2}\n");
  Start();
  pb::CompareResponse r = MustCompare("new.json");
  EXPECT_EQ(r.node().action(), "add");
  EXPECT_EQ(r.node().summary(), "New JSON document (2 keys)");
  r = MustCompare("old.jsonl");
  EXPECT_EQ(r.node().action(), "remove");
  EXPECT_EQ(r.node().summary(), "JSON Lines file removed (2 records)");
}

TEST_F(PluginSdkTest, JsonLinesAreMultisets) {
  t_.Write("left/x.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":2}\n");
  t_.Write("right/x.jsonl", "{\"id\":2}\n{\"id\":3}\n{\"id\": 4}\n{\"id\":1}\n{\"id\":5}\n");
  t_.Write("left/o.jsonl", "{\"a\":1,\"b\":2}\n{\"id\":2}\n");
  t_.Write("right/o.jsonl", "{\"id\":2}\n{\"b\":2,\"a\":1}\n");
  Start();
  pb::CompareResponse r = MustCompare("x.jsonl");
  EXPECT_EQ(r.node().summary(), "3 records added; 1 record removed");
  EXPECT_EQ(Examples(r.node()), (std::vector<std::string>{
                                    "added line 2 - {\"id\":3}",
                                    "added line 3 - {\"id\":4}",
                                    "added line 5 - {\"id\":5}",
                                    "removed line 2 {\"id\":2} -",
                                }));
  r = MustCompare("o.jsonl");
  EXPECT_EQ(r.node().action(), "reorder");
  EXPECT_EQ(r.node().summary(), "Record order changed (content unchanged)");
}

TEST_F(PluginSdkTest, ErrorsBecomeStatuses) {
  t_.Write("left/x.json", "{}");
  t_.Write("right/x.json", R"({"a": 1})");
  Start();
  pb::CompareRequest request = Request("x.json");
  (*request.mutable_options())["debug_throw"] = "boom in compare";
  pb::CompareResponse r;
  grpc::Status status = Call(request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "boom in compare");

  request = Request("x.json");
  request.set_comparator("yaml");
  EXPECT_EQ(Call(request, &r).error_code(), grpc::StatusCode::UNIMPLEMENTED);

  request = Request("x.json");
  request.mutable_right()->set_path((t_ / "right/missing.json").string());
  status = Call(request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "missing.json")) << status.error_message();

  // The plugin survives all of these.
  EXPECT_EQ(MustCompare("x.json").node().summary(), "1 key added");
}

// Streams `file` as `side` in 1 MiB chunks, ending with last=true.
bool StreamFile(grpc::ClientWriter<pb::CompareStreamMessage>* writer,
                const std::filesystem::path& file, pb::ContentChunk::Side side) {
  std::ifstream in(file, std::ios::binary);
  std::string buf(1 << 20, '\0');
  while (true) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t n = static_cast<size_t>(in.gcount());
    pb::CompareStreamMessage message;
    message.mutable_chunk()->set_side(side);
    message.mutable_chunk()->set_data(buf.data(), n);
    message.mutable_chunk()->set_last(n < buf.size());
    if (!writer->Write(message)) return false;
    if (n < buf.size()) return true;
  }
}

TEST_F(PluginSdkTest, CompareStreamSpoolsMultiMegabyteFiles) {
  std::string left, right;
  for (int i = 0; i < 60000; ++i) {
    std::string record =
        absl::StrCat("{\"id\":", i, ",\"payload\":\"", std::string(70, 'x'), "\"}\n");
    left += record;
    if (i % 1000 != 7) right += record;  // 60 removed
  }
  for (int i = 0; i < 25; ++i) absl::StrAppend(&right, "{\"id\":", 100000 + i, "}\n");
  ASSERT_GT(left.size(), 5u << 20);  // several chunks, more than gRPC's 4 MiB message limit
  t_.Write("left/big.jsonl", left);
  t_.Write("right/big.jsonl", right);
  t_.Mkdir("plugin-tmp");
  Start({.extra_env = {"TMPDIR=" + (t_ / "plugin-tmp").string()}});

  pb::CompareRequest request = Request("big.jsonl");
  request.mutable_left()->clear_path();
  request.mutable_right()->clear_path();
  grpc::ClientContext ctx;
  pb::CompareResponse r;
  auto writer = stub_->CompareStream(&ctx, &r);
  pb::CompareStreamMessage first;
  *first.mutable_request() = request;
  ASSERT_TRUE(writer->Write(first));
  ASSERT_TRUE(StreamFile(writer.get(), t_ / "left/big.jsonl", pb::ContentChunk::SIDE_LEFT));
  ASSERT_TRUE(StreamFile(writer.get(), t_ / "right/big.jsonl", pb::ContentChunk::SIDE_RIGHT));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.node().summary(), "25 records added; 60 records removed");
  EXPECT_EQ(Detail(r.node(), "record_count_before"), 60000);
  // The spooled copies are gone once the call returns.
  EXPECT_TRUE(std::filesystem::is_empty(t_ / "plugin-tmp"));
}

TEST_F(PluginSdkTest, CompareStreamRejectsChunksOutOfOrder) {
  t_.Write("right/x.json", "{}");
  Start();
  grpc::ClientContext ctx;
  pb::CompareResponse r;
  auto writer = stub_->CompareStream(&ctx, &r);
  pb::CompareStreamMessage message;
  *message.mutable_request() = Request("x.json");  // right side only
  writer->Write(message);
  message.mutable_chunk()->set_side(pb::ContentChunk::SIDE_LEFT);
  message.mutable_chunk()->set_last(true);
  writer->Write(message);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "SIDE_LEFT")) << status.error_message();
}

TEST_F(PluginSdkTest, ShutdownExitsZero) {
  Start();
  {
    grpc::ClientContext ctx;
    pb::ShutdownResponse response;
    ASSERT_TRUE(stub_->Shutdown(&ctx, pb::ShutdownRequest(), &response).ok());
  }
  stub_.reset();
  channel_.reset();
  EXPECT_EQ(plugin_->WaitForExit(5), 0) << plugin_->Stderr();
  EXPECT_FALSE(std::filesystem::exists(plugin_->socket()));
}

TEST_F(PluginSdkTest, MissingMagicCookieRefusesToStart) {
  PluginProcess plugin(t_, {.cookie = false});
  EXPECT_EQ(plugin.ReadHandshake(), "");
  EXPECT_EQ(plugin.WaitForExit(), 1);
  EXPECT_TRUE(absl::StrContains(plugin.Stderr(), "it is started by deltascope, not by hand"))
      << plugin.Stderr();
}

TEST_F(PluginSdkTest, NoCommonProtocolVersion) {
  PluginProcess plugin(t_, {.versions = "7,9"});
  EXPECT_EQ(plugin.ReadHandshake(),
            absl::StrCat("deltascope-plugin|0|unix|", plugin.socket().string(), "|grpc\n"));
  EXPECT_EQ(plugin.WaitForExit(), 1);
  EXPECT_TRUE(absl::StrContains(plugin.Stderr(), "no protocol version in common"))
      << plugin.Stderr();
}

TEST_F(PluginSdkTest, DescribeFlagPrintsJson) {
  ProcessResult result = RunProcess({BinPath("deltascope-plugin-json"), "--describe"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(result.out, "\"name\": \"json-cpp\"")) << result.out;
  EXPECT_TRUE(absl::StrContains(result.out, "\".jsonl\"")) << result.out;
}

}  // namespace
}  // namespace deltascope::testing
