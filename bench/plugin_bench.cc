// Plugin overhead, measured in one run: per-call latency (p50, p99) of an out-of-process
// plugin against an in-process comparator call, throughput through one instance and through
// the pool, start-up (spawn to ready) with and without the sandbox, and deadline precision.
// Prints "key value..." lines for bench/bench.py.
//
//   plugin_bench MANIFEST_DIR      (the folder holding the benchmark plugins' manifests)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
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

ItemPair MakePair(const TempDir& dir, const std::string& ext) {
  std::ofstream(dir.path() / ("a" + ext)) << "{\"a\": 1, \"b\": [1, 2]}\n";
  std::ofstream(dir.path() / ("b" + ext)) << "{\"a\": 2, \"b\": [1, 2, 3]}\n";
  ItemPair pair;
  pair.path = "x" + ext;
  pair.left = *Item::FromPath(dir.path() / ("a" + ext));
  pair.right = *Item::FromPath(dir.path() / ("b" + ext));
  return pair;
}

std::unique_ptr<PluginHost> Host(const std::filesystem::path& manifest, SandboxMode mode) {
  PluginSearchOptions search;
  search.plugin_dirs = {manifest};
  search.use_environment = search.use_user_dir = search.use_system_dir = false;
  HostOptions options;
  options.sandbox = mode;
  return *PluginHost::Create(FindPlugins(search), options);
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
  for (int i = 0; i < 50; ++i) (void)comparator.Compare(pair, context);
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    absl::StatusOr<CompareResult> r = comparator.Compare(pair, context);
    us.push_back(Us(Clock::now() - t0));
    if (!r.ok())
      std::fprintf(stderr, "call failed: %s\n", std::string(r.status().message()).c_str());
  }
  return us;
}

std::shared_ptr<Comparator> Registered(PluginHost& host, const std::string& name) {
  ComparatorRegistry registry;
  host.RegisterComparators(registry);
  return registry.Find(name);
}

void Startup(const std::filesystem::path& manifest, const std::string& label) {
  for (SandboxMode mode : {SandboxMode::kOff, SandboxMode::kStandard}) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      std::unique_ptr<PluginHost> host = Host(manifest, mode);
      auto t0 = Clock::now();
      absl::StatusOr<pluginpb::DescribeResponse> d = host->supervisors()[0]->Describe();
      ms.push_back(Us(Clock::now() - t0) / 1000);
      if (!d.ok()) std::fprintf(stderr, "%s\n", std::string(d.status().message()).c_str());
    }
    std::printf("startup_ms %s %s %.1f\n", label.c_str(), SandboxModeName(mode), Pct(ms, 0.5));
  }
}

int Main(const std::filesystem::path& dir) {
  absl::StatusOr<TempDir> tmp = TempDir::Create("deltascope-bench-");
  ItemPair pair = MakePair(*tmp, ".json");

  ComparatorRegistry builtins;
  (void)RegisterStdlibComparators(builtins);
  std::vector<double> in_process = CallLatencies(*builtins.Find("binary"), pair, 20000);
  std::printf("inprocess_us %.3f %.3f\n", Pct(in_process, 0.5), Pct(in_process, 0.99));

  std::unique_ptr<PluginHost> cpp = Host(dir / "json-cpp.plugin.yaml", SandboxMode::kOff);
  std::vector<double> calls = CallLatencies(*Registered(*cpp, "json"), pair, 5000);
  std::printf("plugin_call_us cpp %.2f %.2f\n", Pct(calls, 0.5), Pct(calls, 0.99));

  std::unique_ptr<PluginHost> py = Host(dir / "words-python.plugin.yaml", SandboxMode::kOff);
  ItemPair words = MakePair(*tmp, ".words");
  std::vector<double> py_calls = CallLatencies(*Registered(*py, "words"), words, 2000);
  std::printf("plugin_call_us python %.2f %.2f\n", Pct(py_calls, 0.5), Pct(py_calls, 0.99));

  // Items per second through one instance, then through a pool of two with two callers.
  for (int threads : {1, 2}) {
    std::shared_ptr<Comparator> json = Registered(*cpp, "json");
    DiffOptions options;
    CompareContext context(options, Scratch());
    const int per_thread = 3000;
    auto t0 = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < per_thread; ++i) (void)json->Compare(pair, context);
      });
    }
    for (auto& w : workers) w.join();
    double s = Us(Clock::now() - t0) / 1e6;
    std::printf("items_per_s %d %.0f\n", threads, threads * per_thread / s);
  }

  Startup(dir / "json-cpp.plugin.yaml", "cpp");
  Startup(dir / "words-python.plugin.yaml", "python");

  // Deadline precision: a plugin that never answers, call timeout 200 ms.
  std::unique_ptr<PluginHost> hang = Host(dir / "hang.plugin.yaml", SandboxMode::kOff);
  std::shared_ptr<Comparator> hung = Registered(*hang, "bad");
  ItemPair bad = MakePair(*tmp, ".bad");
  std::vector<double> overshoot;
  for (int i = 0; i < 3; ++i) {
    DiffOptions options;
    CompareContext context(options, Scratch());
    auto t0 = Clock::now();
    (void)hung->Compare(bad, context);
    overshoot.push_back(Us(Clock::now() - t0) / 1000 - 200);
  }
  std::printf("deadline_overshoot_ms %.1f\n", Pct(overshoot, 0.5));
  return 0;
}

}  // namespace
}  // namespace deltascope

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  return deltascope::Main(argv[1]);
}
