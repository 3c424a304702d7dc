#include "cli/input_checks.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"

namespace deltascope::cli {
namespace {

using changeset::v1::DiffNode;

absl::Status CheckNode(const DiffNode& node, const std::string& where) {
  const std::optional<changeset::v1::Action> action = ParseAction(node.action());
  if (!action || *action == changeset::v1::ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".action: unknown action '", node.action(), "' (expected ", KnownActions(), ")"));
  }
  for (int i = 0; i < node.children_size(); ++i) {
    if (absl::Status s = CheckNode(node.children(i), absl::StrCat(where, ".children[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

int MaxJobs(int cores) { return std::min(256, 4 * std::max(1, cores)); }

absl::StatusOr<int> CheckJobs(long long requested, int cores, std::string* note) {
  if (requested < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs must be at least 1 (got ", requested, ")"));
  }
  const int max = MaxJobs(cores);
  if (requested <= max) return static_cast<int>(requested);
  *note = absl::StrCat("--jobs ", requested, " capped at ", max, " (4 per core, at most 256)");
  return max;
}

absl::Status CheckChangesets(const std::vector<changeset::v1::Changeset>& changesets,
                             const std::string& source, bool array) {
  for (size_t i = 0; i < changesets.size(); ++i) {
    if (!changesets[i].has_root()) continue;
    const std::string where = array ? absl::StrCat("$[", i, "].root") : "$.root";
    if (absl::Status s = CheckNode(changesets[i].root(), where); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace deltascope::cli
