#include "daemon/engine/compare_context.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace deltascope {

CompareContext::CompareContext(const DiffOptions& options, std::filesystem::path scratch_root)
    : options_(options), scratch_root_(std::move(scratch_root)) {}

void CompareContext::AddDiagnostic(Severity severity, std::string code, std::string message,
                                   std::string path) {
  Diagnostic d;
  d.set_severity(severity);
  d.set_code(std::move(code));
  d.set_message(std::move(message));
  d.set_path(std::move(path));
  std::lock_guard<std::mutex> lock(mu_);
  diagnostics_.push_back(std::move(d));
}

std::vector<Diagnostic> CompareContext::SortedDiagnostics() const {
  std::vector<Diagnostic> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out = diagnostics_;
  }
  std::sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.path(), a.code(), a.message()) < std::tie(b.path(), b.code(), b.message());
  });
  // The same problem met twice (e.g. a file read by two comparators) is reported once.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Diagnostic& a, const Diagnostic& b) {
                          return a.path() == b.path() && a.code() == b.code() &&
                                 a.message() == b.message();
                        }),
            out.end());
  return out;
}

absl::StatusOr<std::filesystem::path> CompareContext::MakeScratchDir(const std::string& hint) {
  uint64_t n = scratch_counter_.fetch_add(1);
  std::filesystem::path dir = scratch_root_ / absl::StrCat(n, "-", hint);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot create scratch directory ", dir.string(), ": ", std::strerror(errno)));
  }
  return dir;
}

}  // namespace deltascope
