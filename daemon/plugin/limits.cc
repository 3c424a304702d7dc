#include "daemon/plugin/limits.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace deltascope {
namespace {

// Longer values are refused before they are parsed (and quoted in errors).
constexpr size_t kMaxValueChars = 64;
// A year: far beyond any sensible timeout, far below what int64 milliseconds hold.
constexpr absl::Duration kMaxDuration = absl::Hours(365 * 24);

absl::StatusOr<int64_t> Count(const std::string& key, const std::string& text, int64_t min,
                              int64_t max) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " must be a number from ", min, " to ", max));
  }
  return n;
}

// Lowers `value` to `ceiling`, recording `key` when it did. With `zero_unlimited`, 0 means no
// limit on either side.
template <class T>
void Cap(const std::string& key, T& value, T ceiling, bool zero_unlimited,
         std::vector<std::string>& lowered) {
  if (zero_unlimited && ceiling == T{}) return;
  if ((zero_unlimited && value == T{}) || ceiling < value) {
    value = ceiling;
    lowered.push_back(key);
  }
}

// "key=value,key=value" → entries; a key given twice is an error.
absl::StatusOr<std::map<std::string, std::string>> SplitLimits(const std::string& text,
                                                               const std::string& source) {
  std::map<std::string, std::string> entries;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    const std::string key(absl::StripAsciiWhitespace(kv.first));
    if (!entries.emplace(key, std::string(absl::StripAsciiWhitespace(kv.second))).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": limit '", key.substr(0, 40), "' given twice"));
    }
  }
  return entries;
}

}  // namespace

const std::vector<std::string>& PluginLimitKeys() {
  static const std::vector<std::string> keys = {"startup_timeout", "call_timeout", "max_instances",
                                                "memory",          "cpu",          "open_files",
                                                "file_size",       "processes",    "reply_size",
                                                "reply_nodes",     "summary_size", "details_size"};
  return keys;
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  absl::Duration d;
  double seconds = 0;
  // A bare number is seconds; absl::ParseDuration wants a unit on all but "0".
  const bool ok = trimmed.size() <= kMaxValueChars &&
                  (absl::ParseDuration(trimmed, &d) ||
                   (absl::SimpleAtod(trimmed, &seconds) && std::isfinite(seconds) &&
                    (d = absl::Seconds(seconds), true)));
  if (!ok || d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("'", trimmed.substr(0, kMaxValueChars),
                                                   "' is not a duration like 10s or 500ms"));
  }
  if (d > kMaxDuration) {
    return absl::InvalidArgumentError(absl::StrCat("'", trimmed, "' is too long a duration"));
  }
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

absl::StatusOr<uint64_t> ParseByteSize(const std::string& text) {
  static const RE2 re(R"(\s*(\d+)\s*(B|K|KB|KiB|M|MB|MiB|G|GB|GiB|T|TB|TiB)?\s*)");
  std::string digits, unit;
  if (text.size() > kMaxValueChars || !RE2::FullMatch(text, re, &digits, &unit)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text.substr(0, kMaxValueChars),
                                                   "' is not a size like 512MiB, 1GiB or 4096"));
  }
  const int shift = unit.empty() ? 0 : static_cast<int>(std::string("BKMGT").find(unit[0]) * 10);
  // SimpleAtoi, not stoull: too many digits is an error, not an exception; and no wrap-around.
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || value > (UINT64_MAX >> shift)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too large a size"));
  }
  return value << shift;
}

absl::Status SetPluginLimit(const std::string& key, const std::string& value, PluginLimits& out) {
  auto prefixed = [&key](const absl::Status& s) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": ", s.message()));
  };
  if (key == "startup_timeout" || key == "call_timeout" || key == "cpu") {
    absl::StatusOr<std::chrono::milliseconds> d = ParseDuration(value);
    if (!d.ok()) return prefixed(d.status());
    if (key == "startup_timeout") out.startup_timeout = *d;
    if (key == "call_timeout") out.call_timeout = *d;
    if (key == "cpu") out.cpu_seconds = static_cast<uint64_t>((d->count() + 999) / 1000);
    return absl::OkStatus();
  }
  for (auto [name, target] :
       {std::pair{"memory", &out.memory_bytes}, std::pair{"file_size", &out.file_size_bytes},
        std::pair{"reply_size", &out.reply_bytes}, std::pair{"summary_size", &out.summary_bytes},
        std::pair{"details_size", &out.details_bytes}}) {
    if (key != name) continue;
    absl::StatusOr<uint64_t> bytes = ParseByteSize(value);
    if (!bytes.ok()) return prefixed(bytes.status());
    *target = *bytes;
    return absl::OkStatus();
  }
  if (key == "max_instances") {
    absl::StatusOr<int64_t> n = Count(key, value, 1, 256);
    if (!n.ok()) return n.status();
    out.max_instances = static_cast<int>(*n);
    return absl::OkStatus();
  }
  for (auto [name, min, max, target] : {std::tuple{"open_files", 16, 1 << 20, &out.open_files},
                                        std::tuple{"processes", 1, 4096, &out.processes},
                                        std::tuple{"reply_nodes", 1, 1 << 24, &out.reply_nodes}}) {
    if (key != name) continue;
    absl::StatusOr<int64_t> n = Count(key, value, min, max);
    if (!n.ok()) return n.status();
    *target = static_cast<uint64_t>(*n);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown limit '", key.substr(0, 40), "' (known: ",
                                                 absl::StrJoin(PluginLimitKeys(), ", "), ")"));
}

absl::Status ParsePluginLimits(const std::map<std::string, std::string>& limits,
                               const std::string& where, PluginLimits& out) {
  for (const auto& [key, value] : limits) {
    if (absl::Status s = SetPluginLimit(key, value, out); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LimitCeiling> LimitCeilingFromMap(const std::map<std::string, std::string>& limits,
                                                 const std::string& source) {
  LimitCeiling ceiling;
  ceiling.source = source;
  if (absl::Status s = ParsePluginLimits(limits, source, ceiling.values); !s.ok()) return s;
  for (const auto& entry : limits) ceiling.keys.insert(entry.first);
  if (ceiling.values.reply_bytes > static_cast<uint64_t>(kMaxPluginResponseBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": reply_size is above ",
                                                   kMaxPluginResponseBytes,
                                                   " bytes, the most the host receives"));
  }
  return ceiling;
}

absl::StatusOr<LimitCeiling> ParseLimitCeiling(const std::string& text, const std::string& source) {
  absl::StatusOr<std::map<std::string, std::string>> entries = SplitLimits(text, source);
  if (!entries.ok()) return entries.status();
  return LimitCeilingFromMap(*entries, source);
}

absl::StatusOr<LimitCeiling> UserLimitCeiling(const std::string& flag,
                                              const std::map<std::string, std::string>& config) {
  const char* env = std::getenv(kPluginLimitsEnv);
  std::map<std::string, std::string> merged = config;
  // Each later place overrides the keys it names.
  for (const auto& [text, source] :
       {std::pair<std::string, const char*>{env ? env : "", kPluginLimitsEnv},
        std::pair<std::string, const char*>{flag, "--plugin-limits"}}) {
    absl::StatusOr<std::map<std::string, std::string>> entries = SplitLimits(text, source);
    if (!entries.ok()) return entries.status();
    if (absl::Status s = LimitCeilingFromMap(*entries, source).status(); !s.ok()) return s;
    for (auto& [key, value] : *entries) merged[key] = value;
  }
  // Only the config's own entries can still be wrong here.
  return LimitCeilingFromMap(merged, "plugins.limits");
}

EffectiveLimits ResolveLimits(const PluginLimits& manifest, const LimitCeiling& ceiling,
                              SandboxMode mode) {
  EffectiveLimits out;
  out.startup_timeout = manifest.startup_timeout;
  out.call_timeout = manifest.call_timeout;
  out.max_instances = manifest.max_instances > 0
                          ? manifest.max_instances
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  ResourceLimits& rl = out.resources = DefaultResourceLimits(mode);
  rl.memory_bytes = manifest.memory_bytes.value_or(rl.memory_bytes);
  rl.cpu_seconds = manifest.cpu_seconds.value_or(rl.cpu_seconds);
  rl.open_files = manifest.open_files.value_or(rl.open_files);
  rl.file_size_bytes = manifest.file_size_bytes.value_or(rl.file_size_bytes);
  rl.processes = manifest.processes.value_or(rl.processes);
  // Reply limits: the user's value, not the built-in one, is what an unset manifest gets.
  const PluginLimits& user = ceiling.values;
  ReplyLimits& reply = out.reply;
  for (auto [key, own, users, limit] :
       {std::tuple{"reply_size", manifest.reply_bytes, user.reply_bytes, &reply.bytes},
        std::tuple{"reply_nodes", manifest.reply_nodes, user.reply_nodes, &reply.nodes},
        std::tuple{"summary_size", manifest.summary_bytes, user.summary_bytes,
                   &reply.summary_bytes},
        std::tuple{"details_size", manifest.details_bytes, user.details_bytes,
                   &reply.details_bytes}}) {
    const bool capped = ceiling.keys.count(key) > 0;
    if (capped) *limit = *users;
    if (own) *limit = std::min(*own, *limit);
    if (capped && own && *own > *users) out.lowered.push_back(key);
  }
  const auto has = [&ceiling](const char* key) { return ceiling.keys.count(key) > 0; };
  if (has("startup_timeout")) {
    Cap("startup_timeout", out.startup_timeout, user.startup_timeout, false, out.lowered);
  }
  if (has("call_timeout")) {
    Cap("call_timeout", out.call_timeout, user.call_timeout, false, out.lowered);
  }
  if (has("max_instances")) {
    Cap("max_instances", out.max_instances, user.max_instances, false, out.lowered);
  }
  for (auto [key, value, users] :
       {std::tuple{"memory", &rl.memory_bytes, user.memory_bytes},
        std::tuple{"cpu", &rl.cpu_seconds, user.cpu_seconds},
        std::tuple{"open_files", &rl.open_files, user.open_files},
        std::tuple{"file_size", &rl.file_size_bytes, user.file_size_bytes},
        std::tuple{"processes", &rl.processes, user.processes}}) {
    if (has(key)) Cap(key, *value, *users, true, out.lowered);
  }
  return out;
}

}  // namespace deltascope
