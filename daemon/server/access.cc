#include "daemon/server/access.h"

#include <system_error>

#include "absl/strings/str_cat.h"

namespace deltascope {
namespace {

// True when `path` is `root` or lies below it (both canonical).
bool IsUnder(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // the trailing "" of a root such as "/"
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

AccessRoots AccessRoots::Everything() {
  AccessRoots all;
  all.everything_ = true;
  return all;
}

absl::StatusOr<AccessRoots> AccessRoots::Create(const std::vector<std::string>& roots) {
  AccessRoots out;
  for (const std::string& root : roots) {
    std::error_code ec;
    std::filesystem::path resolved = std::filesystem::canonical(root, ec);
    if (ec)
      return absl::InvalidArgumentError(absl::StrCat("--allow-root ", root, ": ", ec.message()));
    if (!std::filesystem::is_directory(resolved, ec)) {
      return absl::InvalidArgumentError(absl::StrCat("--allow-root ", root, ": not a folder"));
    }
    out.roots_.push_back(std::move(resolved));
  }
  return out;
}

absl::StatusOr<std::filesystem::path> AccessRoots::Resolve(const std::string& path) const {
  const std::filesystem::path given(path);
  if (!given.is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot path '", path, "' is relative: the daemon needs absolute paths"));
  }
  // weakly_canonical resolves every symlink of the part that exists, so a link inside a root that
  // points out of it is judged by where it leads.
  std::error_code ec;
  std::filesystem::path resolved = std::filesystem::weakly_canonical(given, ec);
  bool allowed = !ec && everything_;
  for (const std::filesystem::path& root : roots_) {
    if (!ec && IsUnder(resolved, root)) allowed = true;
  }
  if (!allowed) {
    return absl::PermissionDeniedError(
        absl::StrCat("snapshot path '", path,
                     "' is not under a folder this daemon serves (deltascoped --allow-root)"));
  }
  return resolved;
}

}  // namespace deltascope
