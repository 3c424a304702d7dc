// End-to-end tests of the C++ plugin SDK through the real example plugin
// (bin/deltascope-plugin-ini): the environment handshake on fd 3, gRPC over the Unix socket,
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
// The example plugin's cap (examples/plugins/ini-cpp/ini_file.h: kMaxSettings).
constexpr size_t kIniMaxSettings = 2'000'000;
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
    env.push_back("DELTASCOPE_PLUGIN_NAME=ini-cpp");
    env.push_back("DELTASCOPE_PLUGIN_INSTANCE=0");
    env.insert(env.end(), options.extra_env.begin(), options.extra_env.end());
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string binary = BinPath("deltascope-plugin-ini");
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
    item.set_media_type("text/plain");
    return item;
  }

  // Compares left/<name> with right/<name> (a side is absent when its file is missing).
  pb::CompareRequest Request(const std::string& name) {
    pb::CompareRequest request;
    request.set_comparator("ini");
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

// details[list] as "key before after" strings ("-" for a missing side).
std::vector<std::string> Examples(const changeset::v1::DiffNode& node, const std::string& list) {
  std::vector<std::string> out;
  auto it = node.details().fields().find(list);
  if (it == node.details().fields().end()) return out;
  for (const auto& v : it->second.list_value().values()) {
    const auto& f = v.struct_value().fields();
    auto get = [&](const char* k) {
      auto found = f.find(k);
      return found == f.end() ? std::string("-") : found->second.string_value();
    };
    out.push_back(absl::StrCat(get("key"), " ", get("before"), " ", get("after")));
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
  EXPECT_EQ(response.name(), "ini-cpp");
  EXPECT_EQ(response.version(), "0.1.0");
  ASSERT_EQ(response.comparators_size(), 1);
  EXPECT_EQ(response.comparators(0).name(), "ini");
  EXPECT_EQ(std::vector<std::string>(response.comparators(0).extensions().begin(),
                                     response.comparators(0).extensions().end()),
            (std::vector<std::string>{".ini", ".properties"}));
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

TEST_F(PluginSdkTest, SectionsKeysAndValues) {
  t_.Write("left/x.ini",
           "; server settings\n[server]\nhost = a.example\nport = 80\nlegacy = yes\n"
           "[paths]\nroot = /srv\n");
  t_.Write("right/x.ini",
           "[server]\nhost = b.example\nport: 8080\ntimeout = 30\n[paths]\nroot=/srv\n"
           "[log]\nlevel = info\n");
  Start();
  pb::CompareResponse r = MustCompare("x.ini");
  ASSERT_EQ(r.outcome(), pb::CompareResponse::OUTCOME_LEAF);
  EXPECT_EQ(r.node().action(), "modify");
  EXPECT_EQ(r.node().item_type(), "ini");
  EXPECT_EQ(r.node().path(), "data/x.ini");  // filled in by the SDK
  EXPECT_EQ(r.node().comparator(), "ini");
  EXPECT_EQ(r.node().summary(), "1 section added; 2 keys added; 1 key removed; 2 values changed");
  EXPECT_EQ(Tags(r.node()), (std::vector<std::string>{"key-addition", "key-removal",
                                                      "section-addition", "value-change"}));
  EXPECT_EQ(Detail(r.node(), "keys_added"), 2);
  EXPECT_EQ(Detail(r.node(), "key_count_before"), 4);
  EXPECT_EQ(
      Examples(r.node(), "values_changed_examples"),
      (std::vector<std::string>{"[server] host a.example b.example", "[server] port 80 8080"}));
  EXPECT_EQ(Examples(r.node(), "keys_added_examples"),
            (std::vector<std::string>{"[server] timeout - 30", "[log] level - info"}));
  EXPECT_EQ(Examples(r.node(), "keys_removed_examples"),
            std::vector<std::string>{"[server] legacy yes -"});
}

TEST_F(PluginSdkTest, ExamplesAreBounded) {
  std::string right = "[s]\n";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&right, "k", i, " = ", i, "\n");
  t_.Write("left/x.ini", "[s]\n");
  t_.Write("right/x.ini", right);
  Start();
  pb::CompareRequest request = Request("x.ini");
  request.set_max_examples(3);
  pb::CompareResponse r;
  ASSERT_TRUE(Call(request, &r).ok());
  EXPECT_EQ(r.node().summary(), "20 keys added");
  EXPECT_EQ(Examples(r.node(), "keys_added_examples"),
            (std::vector<std::string>{"[s] k0 - 0", "[s] k1 - 1", "[s] k2 - 2"}));
  request.set_max_examples(0);  // unset: the SDK's default of 8
  ASSERT_TRUE(Call(request, &r).ok());
  EXPECT_EQ(Examples(r.node(), "keys_added_examples").size(), 8u);
}

TEST_F(PluginSdkTest, OrderCommentsAndLayoutAreClerical) {
  t_.Write("left/order.ini", "[a]\nx = 1\ny = 2\n");
  t_.Write("right/order.ini", "[a]\ny = 2\nx = 1\n");
  t_.Write("left/comments.ini", "; old\n[a]\nx = 1\n");
  t_.Write("right/comments.ini", "# new\n[a]\nx = 1\n");
  t_.Write("left/layout.ini", "[a]\nx=1\n");
  t_.Write("right/layout.ini", "\n[ a ]\n  x = 1\r\n");
  Start();
  pb::CompareResponse r = MustCompare("order.ini");
  ASSERT_EQ(r.outcome(), pb::CompareResponse::OUTCOME_LEAF);
  EXPECT_EQ(r.node().action(), "reorder");
  EXPECT_EQ(r.node().summary(), "Key order changed (settings unchanged)");
  EXPECT_EQ(Tags(r.node()), std::vector<std::string>{"key-order"});
  r = MustCompare("comments.ini");
  EXPECT_EQ(r.node().summary(), "Comments changed (settings unchanged)");
  EXPECT_EQ(Tags(r.node()), std::vector<std::string>{"comment-change"});
  r = MustCompare("layout.ini");
  EXPECT_EQ(r.node().action(), "modify");
  EXPECT_EQ(Tags(r.node()), std::vector<std::string>{"format-change"});
}

TEST_F(PluginSdkTest, WhatIsNotASettingsFileIsSkipped) {
  t_.Write("left/x.ini", "[a]\nx = 1\n");
  t_.Write("right/x.ini", "[a\nx = 1\n");
  t_.Write("right/y.ini", std::string("x = \0\x01\x02", 7));
  t_.Write("right/z.ini", "x = \xff\xfe\n");
  t_.Write("left/long.ini", "x = 1\n");
  t_.Write("right/long.ini", "x = " + std::string(2 << 20, 'v') + "\n");  // a 2 MiB line
  Start();
  EXPECT_EQ(MustCompare("x.ini").outcome(), pb::CompareResponse::OUTCOME_SKIP);
  EXPECT_EQ(MustCompare("y.ini").outcome(), pb::CompareResponse::OUTCOME_SKIP);  // added
  EXPECT_EQ(MustCompare("z.ini").outcome(), pb::CompareResponse::OUTCOME_SKIP);
  EXPECT_EQ(MustCompare("long.ini").outcome(), pb::CompareResponse::OUTCOME_SKIP);
}

TEST_F(PluginSdkTest, AddedAndRemovedFiles) {
  t_.Write("right/new.ini", "[a]\nx=1\n[b]\ny=2\nz=3\n");
  t_.Write("left/old.properties", "a=1\n\n# c\nb: 2\n");
  Start();
  pb::CompareResponse r = MustCompare("new.ini");
  EXPECT_EQ(r.node().action(), "add");
  EXPECT_EQ(r.node().summary(), "New INI file (2 sections, 3 keys)");
  r = MustCompare("old.properties");
  EXPECT_EQ(r.node().action(), "remove");
  EXPECT_EQ(r.node().item_type(), "properties");
  EXPECT_EQ(r.node().summary(), "Properties file removed (2 keys)");
}

TEST_F(PluginSdkTest, PropertiesSeparatorsAndContinuations) {
  t_.Write("left/app.properties",
           "greeting = Hello \\\n    World\nname value\n!bang comment\npath=C:\\\\tmp\n");
  t_.Write("right/app.properties",
           "greeting=Hello World\nname = value\n#hash comment\npath: C:\\\\tmp\n");
  t_.Write("left/edit.properties", "a.b = 1\n[not] = a section\n");
  t_.Write("right/edit.properties", "a.b = 2\n[not] = a section\n");
  Start();
  pb::CompareResponse r = MustCompare("app.properties");
  EXPECT_EQ(r.node().summary(), "Comments changed (settings unchanged)");
  r = MustCompare("edit.properties");
  EXPECT_EQ(r.node().summary(), "1 value changed");
  EXPECT_EQ(Examples(r.node(), "values_changed_examples"), std::vector<std::string>{"a.b 1 2"});
}

TEST_F(PluginSdkTest, ErrorsBecomeStatuses) {
  t_.Write("left/x.ini", "");
  t_.Write("right/x.ini", "a = 1\n");
  Start();
  pb::CompareRequest request = Request("x.ini");
  (*request.mutable_options())["debug_throw"] = "boom in compare";
  pb::CompareResponse r;
  grpc::Status status = Call(request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "boom in compare");

  request = Request("x.ini");
  request.set_comparator("yaml");
  EXPECT_EQ(Call(request, &r).error_code(), grpc::StatusCode::UNIMPLEMENTED);

  request = Request("x.ini");
  request.mutable_right()->set_path((t_ / "right/missing.ini").string());
  status = Call(request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "missing.ini")) << status.error_message();

  // The plugin survives all of these.
  EXPECT_EQ(MustCompare("x.ini").node().summary(), "1 key added");
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
    std::string setting = absl::StrCat("key.", i, " = ", std::string(80, 'x'), "\n");
    left += setting;
    if (i % 1000 != 7) right += setting;  // 60 removed
  }
  for (int i = 0; i < 25; ++i) absl::StrAppend(&right, "key.", 100000 + i, " = new\n");
  ASSERT_GT(left.size(), 5u << 20);  // several chunks, more than gRPC's 4 MiB message limit
  t_.Write("left/big.properties", left);
  t_.Write("right/big.properties", right);
  t_.Mkdir("plugin-tmp");
  Start({.extra_env = {"TMPDIR=" + (t_ / "plugin-tmp").string()}});

  pb::CompareRequest request = Request("big.properties");
  request.mutable_left()->clear_path();
  request.mutable_right()->clear_path();
  grpc::ClientContext ctx;
  pb::CompareResponse r;
  auto writer = stub_->CompareStream(&ctx, &r);
  pb::CompareStreamMessage first;
  *first.mutable_request() = request;
  ASSERT_TRUE(writer->Write(first));
  ASSERT_TRUE(StreamFile(writer.get(), t_ / "left/big.properties", pb::ContentChunk::SIDE_LEFT));
  ASSERT_TRUE(StreamFile(writer.get(), t_ / "right/big.properties", pb::ContentChunk::SIDE_RIGHT));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.node().summary(), "25 keys added; 60 keys removed");
  EXPECT_EQ(Detail(r.node(), "key_count_before"), 60000);
  // The spooled copies are gone once the call returns.
  EXPECT_TRUE(std::filesystem::is_empty(t_ / "plugin-tmp"));
}

TEST_F(PluginSdkTest, CompareStreamRejectsChunksOutOfOrder) {
  t_.Write("right/x.ini", "");
  Start();
  grpc::ClientContext ctx;
  pb::CompareResponse r;
  auto writer = stub_->CompareStream(&ctx, &r);
  pb::CompareStreamMessage message;
  *message.mutable_request() = Request("x.ini");  // right side only
  writer->Write(message);
  message.mutable_chunk()->set_side(pb::ContentChunk::SIDE_LEFT);
  message.mutable_chunk()->set_last(true);
  writer->Write(message);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "SIDE_LEFT")) << status.error_message();
}

// More settings than the plugin keeps: it answers Skip (the host's text comparator takes the
// file) instead of growing without bound, and serves the next call.
TEST_F(PluginSdkTest, TooManySettingsAreSkippedNotFatal) {
  std::string many;
  many.reserve(24u << 20);
  for (size_t i = 0; i <= kIniMaxSettings; ++i) absl::StrAppend(&many, "k", i, "=1\n");
  t_.Write("left/many.properties", many);
  t_.Write("right/many.properties", many + "extra=2\n");
  t_.Write("left/x.ini", "a = 1\n");
  t_.Write("right/x.ini", "a = 2\n");
  Start();
  EXPECT_EQ(MustCompare("many.properties").outcome(), pb::CompareResponse::OUTCOME_SKIP);
  EXPECT_EQ(MustCompare("x.ini").node().summary(), "1 value changed");
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
  ProcessResult result = RunProcess({BinPath("deltascope-plugin-ini"), "--describe"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(result.out, "\"name\": \"ini-cpp\"")) << result.out;
  EXPECT_TRUE(absl::StrContains(result.out, "\".properties\"")) << result.out;
}

}  // namespace
}  // namespace deltascope::testing
