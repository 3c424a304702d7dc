// deltascope-test-plugin: a comparator plugin ("bad", claims .bad files) that misbehaves as
// $BAD_MODE says, for the host's misbehaviour tests (the manifest sets it, with a marker
// variable by which a test finds every process this plugin started).
//
// Modes: ok, error (the comparator returns an error), segv, abort, exit3, hang, slow, by-name
// (crashes on a path containing "crash", hangs on one containing "hang", waits on one containing
// "wait" until the file $BAD_GATE exists, else like ok),
// ignore-sigterm, grandchild, garbage-stdout, flood-stderr, wrong-protocol, no-socket, expand (SDK
// based; expand answers EXPAND with one child file per side); malformed, huge (a raw gRPC server
// that bypasses the SDK's own response checks); flaky (crashes on about 1 call in $BAD_CRASH_EVERY
// and hangs on about 1 in $BAD_HANG_EVERY, from a generator seeded per process, each fault logged
// to $BAD_FAULT_LOG); script (runs $BAD_SCRIPT with /bin/sh on its first call, e.g. to change the
// snapshot under the diff's feet, then answers like ok); segv-once (crashes on its first call
// while $BAD_ONCE_FILE does not exist, creating it; then answers like ok).
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "deltascope/plugin/sdk.h"
#include "deltascope/plugin/v1/comparator.grpc.pb.h"

namespace {

std::string g_mode;

void SleepForever() {
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}

// Forks a grandchild that escapes the process group (double fork + setsid) and lingers.
void SpawnLingeringGrandchild() {
  if (::fork() == 0) {
    ::setsid();
    if (::fork() == 0) SleepForever();
    _exit(0);
  }
}

long EnvLong(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atol(v) : fallback;
}

// The flaky mode's fault schedule: one generator per process, seeded from $BAD_SEED, the pid and
// the private socket path (so restarts and instances each draw their own sequence, even inside
// a PID namespace); each fault is logged with the seed, so a process's faults can be replayed.
class Faults {
 public:
  enum class Fault { kNone, kCrash, kHang };

  Faults()
      : crash_every_(EnvLong("BAD_CRASH_EVERY", 50)), hang_every_(EnvLong("BAD_HANG_EVERY", 200)) {
    const char* socket = std::getenv("DELTASCOPE_PLUGIN_SOCKET");
    seed_ = static_cast<uint64_t>(EnvLong("BAD_SEED", 1)) ^
            std::hash<std::string>{}(socket ? socket : "") ^
            (static_cast<uint64_t>(::getpid()) << 32);
    rng_.seed(seed_);
  }

  // Draws the fate of the next call and logs a fault before it happens.
  Fault Next(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t draw = rng_();
    Fault fault = Fault::kNone;
    if (crash_every_ > 0 && draw % static_cast<uint64_t>(crash_every_) == 0) {
      fault = Fault::kCrash;
    } else if (hang_every_ > 0 && (draw >> 32) % static_cast<uint64_t>(hang_every_) == 0) {
      fault = Fault::kHang;
    }
    if (fault != Fault::kNone) Log(fault == Fault::kCrash ? "crash" : "hang", path);
    return fault;
  }

 private:
  void Log(const char* what, const std::string& path) const {
    const char* file = std::getenv("BAD_FAULT_LOG");
    if (!file) return;
    int fd = ::open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    std::string line = std::string(what) + " " + path + " seed " + std::to_string(seed_) + "\n";
    (void)::write(fd, line.data(), line.size());  // one write: lines never interleave
    ::close(fd);
  }

  const long crash_every_, hang_every_;
  uint64_t seed_ = 0;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

class BadComparator : public deltascope::plugin::Comparator {
  // Logs "wait PATH" (tests wait for the line), then waits for the file $BAD_GATE.
  static void WaitForGate(const std::string& path) {
    if (const char* log = std::getenv("BAD_FAULT_LOG")) {
      std::ofstream(log, std::ios::app) << "wait " << path << "\n";
    }
    const char* gate = std::getenv("BAD_GATE");
    while (gate && !std::ifstream(gate)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  static void Hang(const std::string& path) {
    // Tests wait for this line (not a sleep) to know the call is hanging.
    if (const char* log = std::getenv("BAD_FAULT_LOG")) {
      std::ofstream(log, std::ios::app) << "hang " << path << "\n";
    }
    SleepForever();
  }

 public:
  deltascope::plugin::Descriptor Describe() const override {
    return {.name = "bad", .extensions = {".bad"}};
  }
  deltascope::plugin::Result Compare(const deltascope::plugin::Pair& pair,
                                     deltascope::plugin::Context& ctx) override {
    if (g_mode == "flaky") {
      static Faults faults;
      Faults::Fault fault = faults.Next(pair.path);
      if (fault == Faults::Fault::kCrash) std::raise(SIGSEGV);
      if (fault == Faults::Fault::kHang) SleepForever();
    }
    if (g_mode == "script") {
      static std::once_flag once;
      std::call_once(once, [] {
        const char* script = std::getenv("BAD_SCRIPT");
        if (script) (void)std::system(script);
      });
    }
    if (g_mode == "by-name") {  // many items on one pipe: the named ones misbehave
      if (pair.path.find("crash") != std::string::npos) std::raise(SIGSEGV);
      if (pair.path.find("hang") != std::string::npos) Hang(pair.path);
      if (pair.path.find("wait") != std::string::npos) WaitForGate(pair.path);
    }
    if (g_mode == "error")
      return deltascope::plugin::Result::Error(absl::InternalError("no sense in it"));
    if (g_mode == "segv") std::raise(SIGSEGV);
    if (g_mode == "segv-once") {
      const char* once = std::getenv("BAD_ONCE_FILE");
      if (once && !std::ifstream(once)) {
        std::ofstream(once) << "crashed\n";
        std::raise(SIGSEGV);
      }
    }
    if (g_mode == "abort") std::abort();
    if (g_mode == "exit3") std::exit(3);
    if (g_mode == "hang" || g_mode == "ignore-sigterm") Hang(pair.path);
    if (g_mode == "slow") std::this_thread::sleep_for(std::chrono::seconds(30));
    if (g_mode == "grandchild") {
      SpawnLingeringGrandchild();
      std::raise(SIGKILL);
    }
    if (g_mode == "expand") {
      std::ofstream(ctx.output_dir() / "left.txt") << "inner one\n";
      std::ofstream(ctx.output_dir() / "right.txt") << "inner two\n";
      deltascope::plugin::DiffNode node;
      node.set_action("modify");
      node.set_item_type("bad-container");
      return deltascope::plugin::Result::Expand(std::move(node),
                                                {{"inner.txt", "left.txt", "right.txt"}});
    }
    if (g_mode == "flood-stderr") {
      std::string line(1 << 16, 'x');
      for (int i = 0; i < 300; ++i) std::fwrite(line.data(), 1, line.size(), stderr);  // ~20 MB
      std::fputs("\n", stderr);
    }
    deltascope::plugin::DiffNode node;
    node.set_action(pair.added() ? "add" : pair.removed() ? "remove" : "modify");
    node.set_item_type("bad");
    node.set_summary("plugin ok");
    node.add_tags("content-changed");
    return deltascope::plugin::Result::Leaf(std::move(node));
  }
};

// A raw server for responses the SDK would refuse to send.
class RawService final : public deltascope::plugin::v1::Comparator::Service {
 public:
  grpc::Status Describe(grpc::ServerContext*, const deltascope::plugin::v1::DescribeRequest*,
                        deltascope::plugin::v1::DescribeResponse* r) override {
    r->set_protocol_version(1);
    r->set_name("raw");
    r->add_comparators()->set_name("bad");
    return grpc::Status::OK;
  }
  grpc::Status Compare(grpc::ServerContext*, const deltascope::plugin::v1::CompareRequest* req,
                       deltascope::plugin::v1::CompareResponse* r) override {
    r->set_outcome(deltascope::plugin::v1::CompareResponse::OUTCOME_LEAF);
    if (g_mode == "malformed") {
      r->mutable_node()->set_action("explode");
      auto* child = r->mutable_node()->add_children();
      child->set_path("/etc/passwd");
    } else {  // huge: past the host's 16 MiB limit
      r->mutable_node()->set_action("modify");
      r->mutable_node()->set_summary(std::string(20 << 20, 'h'));
    }
    return grpc::Status::OK;
  }
};

int ServeRaw() {
  const char* socket = std::getenv("DELTASCOPE_PLUGIN_SOCKET");
  RawService service;
  grpc::ServerBuilder builder;
  builder.SetMaxSendMessageSize(64 << 20);
  builder.AddListeningPort(std::string("unix:") + socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  int fd = std::atoi(std::getenv("DELTASCOPE_PLUGIN_READY_FD"));
  std::string line = std::string("deltascope-plugin|1|unix|") + socket + "|grpc\n";
  (void)::write(fd, line.data(), line.size());
  ::close(fd);
  server->Wait();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = std::getenv("BAD_MODE");
  g_mode = mode ? mode : "ok";
  if (g_mode == "malformed" || g_mode == "huge") return ServeRaw();
  if (g_mode == "no-socket") SleepForever();
  if (g_mode == "wrong-protocol") ::setenv("DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS", "99", 1);
  if (g_mode == "ignore-sigterm") ::signal(SIGTERM, SIG_IGN);
  // No core dumps: writing one (or piping it to a crash handler) can outlast the host's call
  // deadline and turn a crash into a timeout.
  if (g_mode == "flaky" || g_mode == "by-name") ::prctl(PR_SET_DUMPABLE, 0);
  if (g_mode == "garbage-stdout") {
    std::printf("garbage before the handshake |||\n\x01\x02 not a handshake\n");
    std::fflush(stdout);
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::printf("deltascope-plugin|7|unix|/nowhere|grpc\nmore garbage after\n");
      std::fflush(stdout);
    }).detach();
  }
  // BAD_NO_PIPE: an old-style plugin, serving Compare only.
  return deltascope::plugin::Serve<BadComparator>(
      argc, argv,
      {.name = "bad", .version = "1.0", .compare_pipe = std::getenv("BAD_NO_PIPE") == nullptr});
}
