// Plugin overhead, measured in one run: per-call latency (p50, p99) of an out-of-process plugin
// against an in-process comparator call and against gRPC's own floor (an empty health-check
// call on the same instance), unsandboxed and sandboxed; throughput through one instance and
// through the pool; start-up (spawn to ready) with and without the sandbox; and deadline
// precision; items per second through one instance by ComparePipe vs one Compare RPC per item.
// Prints "key value..." lines for bench/bench.py.
//
//   plugin_bench MANIFEST_DIR [--quick]   (the folder holding the benchmark plugins' manifests)
//   plugin_bench MANIFEST_DIR --startup-only RUNS   (the C++ plugin's start-up only, with samples)
//   plugin_bench MANIFEST_DIR --pipe-only   (the C++ plugin by Compare and by ComparePipe only)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <thread>

#include "daemon/engine/compare_context.h"
#include "daemon/plugin/host.h"
#include "daemon/stdlib/stdlib.h"
#include "daemon/util/temp_dir.h"

namespace deltascope {
namespace {

using Clock = std::chrono::steady_clock;

double Us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

void PrintLatencies(const char* key, const std::string& label, const std::vector<double>& us) {
  std::printf("%s %s %.2f %.2f\n", key, label.c_str(), Pct(us, 0.5), Pct(us, 0.99));
  std::fflush(stdout);
}

ItemPair MakePair(const TempDir& dir, const std::string& ext) {
  std::ofstream(dir.path() / ("a" + ext)) << "[s]\na = 1\nb = x\n";
  std::ofstream(dir.path() / ("b" + ext)) << "[s]\na = 2\nb = x\nc = 3\n";
  ItemPair pair;
  pair.path = "x" + ext;
  pair.left = *Item::FromPath(dir.path() / ("a" + ext));
  pair.right = *Item::FromPath(dir.path() / ("b" + ext));
  return pair;
}

// A host for one manifest; `content_root` is what a standard-sandboxed plugin may read.
std::unique_ptr<PluginHost> Host(const std::filesystem::path& manifest, SandboxMode mode,
                                 const std::filesystem::path& content_root = {},
                                 const std::function<void(HostOptions&)>& tweak = {}) {
  PluginSearchOptions search;
  search.plugin_dirs = {manifest};
  search.use_environment = search.use_user_dir = search.use_system_dir = false;
  HostOptions options;
  options.sandbox = mode;
  options.compare_pipe = false;  // the per-call rows measure one Compare RPC per item
  if (tweak) tweak(options);
  if (!content_root.empty()) options.content_roots = {content_root};
  options.crash_budget = 1000;  // the deadline benchmark kills the same plugin repeatedly
  absl::StatusOr<std::unique_ptr<PluginHost>> host =
      PluginHost::Create(FindPlugins(search), options);
  if (!host.ok()) {
    std::fprintf(stderr, "plugin host: %s\n", std::string(host.status().message()).c_str());
    std::exit(1);
  }
  return std::move(*host);
}

// Scratch space for the calls' output folders, removed at exit.
const std::filesystem::path& Scratch() {
  static TempDir dir = *TempDir::Create("deltascope-bench-scratch-");
  return dir.path();
}

// Per-call latencies of `comparator` on `pair`, after a warm-up.
std::vector<double> CallLatencies(Comparator& comparator, const ItemPair& pair, int n) {
  DiffOptions options;
  CompareContext context(options, Scratch());
  for (int i = 0; i < std::min(n, 200); ++i) (void)comparator.Compare(pair, context);
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    absl::StatusOr<CompareResult> r = comparator.Compare(pair, context);
    us.push_back(Us(Clock::now() - t0));
    if (!r.ok()) {
      std::fprintf(stderr, "call failed: %s\n", std::string(r.status().message()).c_str());
      std::exit(1);
    }
  }
  return us;
}

// Latencies of an empty gRPC call (health check) on the plugin's warm instance.
std::vector<double> HealthLatencies(PluginSupervisor& supervisor, int n) {
  for (int i = 0; i < std::min(n, 200); ++i) (void)supervisor.Health();
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    (void)supervisor.Health();
    us.push_back(Us(Clock::now() - t0));
  }
  return us;
}

std::shared_ptr<Comparator> Registered(PluginHost& host, const std::string& name) {
  ComparatorRegistry registry;
  host.RegisterComparators(registry);
  std::shared_ptr<Comparator> c = registry.Find(name);
  if (!c) {
    std::fprintf(stderr, "comparator %s not registered\n", name.c_str());
    std::exit(1);
  }
  return c;
}

// Start-up samples, one "startup_ms LABEL MODE median min max" line per sandbox mode; with
// `samples`, one "startup_samples_ms LABEL MODE ms..." line too (for side-by-side comparisons).
void Startup(const std::filesystem::path& manifest, const std::string& label, int runs,
             bool samples = false) {
  for (SandboxMode mode : {SandboxMode::kOff, SandboxMode::kStandard}) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
      std::unique_ptr<PluginHost> host = Host(manifest, mode);
      auto t0 = Clock::now();
      absl::StatusOr<pluginpb::DescribeResponse> d = host->supervisors()[0]->Describe();
      ms.push_back(Us(Clock::now() - t0) / 1000);
      if (!d.ok()) {
        std::fprintf(stderr, "%s\n", std::string(d.status().message()).c_str());
        std::exit(1);
      }
    }
    std::printf("startup_ms %s %s %.1f %.1f %.1f\n", label.c_str(), SandboxModeName(mode),
                Pct(ms, 0.5), *std::min_element(ms.begin(), ms.end()),
                *std::max_element(ms.begin(), ms.end()));
    if (samples) {
      std::printf("startup_samples_ms %s %s", label.c_str(), SandboxModeName(mode));
      for (double v : ms) std::printf(" %.2f", v);
      std::printf("\n");
    }
    std::fflush(stdout);
  }
}

// Items per second through `threads` callers sharing one comparator (its pool).
void Throughput(Comparator& plugin, const ItemPair& pair, int threads, int per_thread) {
  DiffOptions options;
  CompareContext context(options, Scratch());
  for (int i = 0; i < 2 * threads; ++i) (void)plugin.Compare(pair, context);  // start the pool
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) (void)plugin.Compare(pair, context);
    });
  }
  for (auto& w : workers) w.join();
  double s = Us(Clock::now() - t0) / 1e6;
  std::printf("items_per_s %d %.0f\n", threads, threads * per_thread / s);
  std::fflush(stdout);
}

// Items per second through ONE instance (max_instances capped to 1) with `threads` callers, by
// ComparePipe or by one Compare RPC per item: "instance_items_per_s pipe-8 RATE".
void OneInstance(const std::filesystem::path& manifest, const ItemPair& pair, bool pipe,
                 int threads, int per_thread) {
  std::unique_ptr<PluginHost> host =
      Host(manifest, SandboxMode::kOff, {}, [pipe](HostOptions& options) {
        options.compare_pipe = pipe;
        options.limit_ceiling = *ParseLimitCeiling("max_instances=1", "plugin_bench");
      });
  std::shared_ptr<Comparator> ini = Registered(*host, "ini");
  DiffOptions options;
  CompareContext context(options, Scratch());
  for (int i = 0; i < 200; ++i) (void)ini->Compare(pair, context);  // warm
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  std::atomic<int> failed{0};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) failed += !ini->Compare(pair, context).ok();
    });
  }
  for (auto& w : workers) w.join();
  const double s = Us(Clock::now() - t0) / 1e6;
  if (failed > 0) {
    std::fprintf(stderr, "%d calls failed\n", failed.load());
    std::exit(1);
  }
  const PluginCounters counters = host->supervisors()[0]->counters();
  // One caller: alone on the instance, each call goes by Compare on it (ComparePipe's rule).
  if ((counters.piped > 0) != (pipe && threads > 1)) {
    std::fprintf(stderr, "the pipe was %sused\n", pipe ? "not " : "");
    std::exit(1);
  }
  std::printf("instance_items_per_s %s-%d %.0f\n", pipe ? "pipe" : "unary", threads,
              threads * per_thread / s);
  std::fflush(stdout);
}

// Deadline precision: time from a hung plugin's deadline to its item being reported. The
// instance is started before the clock runs (Describe), so only the call is timed.
void Deadline(const std::filesystem::path& manifest, const TempDir& tmp, int runs) {
  std::unique_ptr<PluginHost> hang = Host(manifest, SandboxMode::kOff);
  std::shared_ptr<Comparator> hung = Registered(*hang, "bad");
  PluginSupervisor& supervisor = *hang->supervisors()[0];
  const double deadline_ms =
      std::chrono::duration<double, std::milli>(supervisor.manifest().limits.call_timeout).count();
  ItemPair bad = MakePair(tmp, ".bad");
  std::vector<double> overshoot;
  for (int i = 0; i < runs; ++i) {
    if (!supervisor.Describe().ok()) std::exit(1);  // a warm instance (after any backoff)
    DiffOptions options;
    CompareContext context(options, Scratch());
    auto t0 = Clock::now();
    absl::StatusOr<CompareResult> r = hung->Compare(bad, context);
    overshoot.push_back(Us(Clock::now() - t0) / 1000 - deadline_ms);
    if (r.ok()) std::fprintf(stderr, "the hung plugin answered?\n");
  }
  std::printf("deadline_overshoot_ms %.1f %.1f %.1f %.0f\n", Pct(overshoot, 0.5),
              *std::min_element(overshoot.begin(), overshoot.end()),
              *std::max_element(overshoot.begin(), overshoot.end()), deadline_ms);
  std::fflush(stdout);
}

// The C++ plugin by one Compare RPC per item and by ComparePipe: one caller's latency each, the
// empty gRPC call, and items per second through one instance.
void PipeRows(const std::filesystem::path& ini_manifest, const ItemPair& pair, int calls,
              bool quick) {
  {
    std::unique_ptr<PluginHost> cpp = Host(ini_manifest, SandboxMode::kOff);
    std::shared_ptr<Comparator> ini = Registered(*cpp, "ini");
    PrintLatencies("plugin_call_us", "cpp-off", CallLatencies(*ini, pair, calls));
    PrintLatencies("grpc_empty_us", "cpp-off", HealthLatencies(*cpp->supervisors()[0], calls));
    Throughput(*ini, pair, 1, calls);
    Throughput(*ini, pair, 2, calls);
  }
  {
    std::unique_ptr<PluginHost> cpp =
        Host(ini_manifest, SandboxMode::kOff, {}, [](HostOptions& o) { o.compare_pipe = true; });
    PrintLatencies("plugin_call_us", "cpp-pipe",
                   CallLatencies(*Registered(*cpp, "ini"), pair, calls));
  }
  // One instance, unary vs pipelined, at the engine's usual callers (--jobs: 2 on 2 cores, up to
  // 4 per core) and more.
  for (int threads : {1, 2, 8, 32, 128}) {
    const int total = quick ? 2000 : 40000;
    OneInstance(ini_manifest, pair, false, threads, std::max(1, total / 4 / threads));
    OneInstance(ini_manifest, pair, true, threads, std::max(1, total / threads));
  }
}

int Main(const std::filesystem::path& dir, bool quick, int startup_only, bool pipe_only) {
  if (startup_only > 0) {  // only the C++ plugin's start-up (e.g. to compare two builds of it)
    Startup(dir / "ini-cpp.plugin.yaml", "cpp", startup_only, /*samples=*/true);
    return 0;
  }
  const int calls = quick ? 500 : 5000;
  absl::StatusOr<TempDir> tmp = TempDir::Create("deltascope-bench-");
  ItemPair pair = MakePair(*tmp, ".ini");
  if (pipe_only) {
    PipeRows(dir / "ini-cpp.plugin.yaml", pair, calls, quick);
    return 0;
  }

  ComparatorRegistry builtins;
  (void)RegisterStdlibComparators(builtins);
  PrintLatencies("inprocess_us", "binary", CallLatencies(*builtins.Find("binary"), pair, calls));

  const std::filesystem::path ini_manifest = dir / "ini-cpp.plugin.yaml";
  const std::filesystem::path words_manifest = dir / "words-python.plugin.yaml";
  PipeRows(ini_manifest, pair, calls, quick);
  for (SandboxMode mode : {SandboxMode::kStandard, SandboxMode::kStrict}) {
    std::unique_ptr<PluginHost> cpp = Host(ini_manifest, mode, tmp->path());
    PrintLatencies("plugin_call_us", std::string("cpp-") + SandboxModeName(mode),
                   CallLatencies(*Registered(*cpp, "ini"), pair, calls));
  }
  ItemPair words = MakePair(*tmp, ".words");
  for (SandboxMode mode : {SandboxMode::kOff, SandboxMode::kStandard}) {
    std::unique_ptr<PluginHost> py = Host(words_manifest, mode, tmp->path());
    PrintLatencies("plugin_call_us", std::string("python-") + SandboxModeName(mode),
                   CallLatencies(*Registered(*py, "words"), words, calls / 2));
  }

  Startup(ini_manifest, "cpp", quick ? 3 : 9);
  Startup(words_manifest, "python", quick ? 3 : 7);
  Deadline(dir / "hang.plugin.yaml", *tmp, quick ? 3 : 7);
  return 0;
}

}  // namespace
}  // namespace deltascope

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr, "usage: plugin_bench MANIFEST_DIR [--quick | --startup-only RUNS | --pipe-only]\n");
    return 2;
  }
  const bool startup_only = argc > 3 && std::strcmp(argv[2], "--startup-only") == 0;
  return deltascope::Main(argv[1], argc > 2 && std::strcmp(argv[2], "--quick") == 0,
                          startup_only ? std::atoi(argv[3]) : 0,
                          argc > 2 && std::strcmp(argv[2], "--pipe-only") == 0);
}
