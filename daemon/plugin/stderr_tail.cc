#include "daemon/plugin/stderr_tail.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace deltascope {

bool StderrTail::LooksLikeCrash(std::string_view line) {
  for (std::string_view prefix :
       {"panic: ", "fatal error: ", "runtime/cgo: ", "Traceback (most recent call last):"}) {
    if (line.starts_with(prefix)) return true;
  }
  // Go's report of a fatal signal: "SIGABRT: abort", "SIGSEGV: segmentation violation".
  if (line.starts_with("SIG") && line.find(": ") != std::string_view::npos) {
    std::string_view name = line.substr(3, line.find(": ") - 3);
    if (!name.empty() &&
        std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_isupper(c); })) {
      return true;
    }
  }
  // A Python exception line: an unindented dotted identifier ending in Error or Exception, then
  // ':'.
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return name.ends_with("Error") || name.ends_with("Exception");
}

void StderrTail::Add(std::string_view line) {
  if (first_.size() < max_first_ && LooksLikeCrash(line)) first_.emplace_back(seen_, line);
  last_.emplace_back(line);
  if (last_.size() > max_last_) last_.pop_front();
  ++seen_;
}

std::string StderrTail::Summary() const {
  const size_t last_begin = seen_ - last_.size();  // line number of last_.front()
  std::vector<std::string> parts;
  for (const auto& [number, line] : first_) {
    if (number < last_begin) parts.push_back(line);
  }
  if (!parts.empty()) parts.push_back("...");
  parts.insert(parts.end(), last_.begin(), last_.end());
  return absl::StrJoin(parts, " | ");
}

}  // namespace deltascope
