#include "daemon/session/plugin_source.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
namespace {

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(samples.size()))) - 1;
  return samples[std::min(i, samples.size() - 1)];
}

}  // namespace

class PluginComparatorSource::Reaper {
 public:
  Reaper() : thread_([this] { Run(); }) {}
  // Tears down what is queued, then stops.
  ~Reaper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Add(std::unique_ptr<Generation> generation) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(generation));
    }
    cv_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::unique_ptr<Generation> next = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      next.reset();  // ~PluginHost: its plugins shut down
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Generation>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

PluginComparatorSource::PluginComparatorSource(PluginSearchOptions search, HostOptions host_options)
    : search_(std::move(search)),
      host_options_(std::move(host_options)),
      reaper_(std::make_shared<Reaper>()) {}

absl::StatusOr<std::shared_ptr<PluginComparatorSource>> PluginComparatorSource::Create(
    PluginSearchOptions search, HostOptions host_options) {
  // Counters by plugin name, shared by every generation: they survive reloads.
  host_options.counters = std::make_shared<PluginCounterStore>();
  std::shared_ptr<PluginComparatorSource> source(
      new PluginComparatorSource(std::move(search), std::move(host_options)));
  absl::StatusOr<std::shared_ptr<Generation>> first = source->Build();
  if (!first.ok()) return first.status();
  source->current_ = std::move(*first);
  return source;
}

absl::StatusOr<std::shared_ptr<PluginComparatorSource::Generation>>
PluginComparatorSource::Build() {
  // Handed to the reaper when the last request (or the source) lets it go; the deleter keeps
  // the reaper alive until then.
  std::shared_ptr<Generation> generation(
      std::make_unique<Generation>().release(),
      [reaper = reaper_](Generation* g) { reaper->Add(std::unique_ptr<Generation>(g)); });
  if (absl::Status s = RegisterStdlibComparators(generation->registry); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<PluginHost>> host =
      PluginHost::Create(FindPlugins(search_), host_options_);
  if (!host.ok()) return host.status();
  generation->host = std::move(*host);
  generation->host->RegisterComparators(generation->registry);
  return generation;
}

std::shared_ptr<PluginComparatorSource::Generation> PluginComparatorSource::generation() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::shared_ptr<const ComparatorRegistry> PluginComparatorSource::Current() {
  std::shared_ptr<Generation> g = generation();
  // Aliasing: the registry keeps its whole generation (and its plugin processes) alive.
  return std::shared_ptr<const ComparatorRegistry>(g, &g->registry);
}

absl::Status PluginComparatorSource::Reload() {
  absl::StatusOr<std::shared_ptr<Generation>> next = Build();
  if (!next.ok()) return next.status();
  // An operator's typo must not take working plugins away: with an invalid manifest the new
  // set is dropped (its plugins never started: they start on demand) and the old one serves on.
  std::vector<std::string> errors;
  for (const FoundPlugin& p : (*next)->host->found()) {
    if (absl::StartsWith(p.disabled_reason, "invalid manifest")) {
      errors.push_back(absl::StrCat(p.file.string(), ": ", p.disabled_reason));
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(*next);
  return absl::OkStatus();
}

std::vector<daemon::v1::PluginInfo> PluginComparatorSource::Plugins() {
  std::shared_ptr<Generation> g = generation();
  std::vector<daemon::v1::PluginInfo> out;
  for (const FoundPlugin& p : g->host->found()) {
    daemon::v1::PluginInfo info;
    info.set_manifest(p.file.string());
    info.set_reason(p.disabled_reason);
    info.set_state("disabled");
    if (p.manifest) {
      info.set_name(p.manifest->name);
      info.set_version(p.manifest->version);
      info.set_source(p.manifest->attached() ? "endpoint " + p.manifest->endpoint
                                             : p.manifest->source);
      for (const ComparatorClaim& c : p.manifest->comparators)
        info.add_comparators(c.descriptor.name);
      if (p.disabled_reason.empty()) {
        if (PluginSupervisor* s = g->host->Find(p.manifest->name)) {
          info.set_state(PluginStateName(s->state()));
          info.set_reason(s->reason());
        }
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<FoundPlugin> PluginComparatorSource::Found() { return generation()->host->found(); }

std::vector<daemon::v1::PluginMetrics> PluginComparatorSource::Metrics() {
  std::shared_ptr<Generation> g = generation();
  std::vector<daemon::v1::PluginMetrics> out;
  for (PluginSupervisor* s : g->host->supervisors()) {
    PluginCounters c = s->counters();
    daemon::v1::PluginMetrics m;
    m.set_name(s->manifest().name);
    m.set_state(PluginStateName(s->state()));
    m.set_instances(static_cast<uint32_t>(c.instances));
    m.set_calls(c.calls);
    m.set_failures(c.failures);
    m.set_timeouts(c.timeouts);
    m.set_crashes(c.crashes);
    m.set_restarts(c.restarts);
    m.set_latency_p50_ms(Percentile(c.latencies_ms, 0.50));
    m.set_latency_p90_ms(Percentile(c.latencies_ms, 0.90));
    m.set_latency_p99_ms(Percentile(c.latencies_ms, 0.99));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace deltascope
