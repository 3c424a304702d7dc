// Checks of command-line input that CLI11's validators cannot express: the worker count and
// saved changesets read back by `deltascope changelog`.
#ifndef DELTASCOPE_CLI_INPUT_CHECKS_H_
#define DELTASCOPE_CLI_INPUT_CHECKS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope::cli {

// The most worker threads a run uses: 4 per core, never more than 256.
int MaxJobs(int cores);

// `--jobs N` as used: N itself, or MaxJobs(cores) with a one-line `note` saying it was capped.
// N below 1 is an InvalidArgument error ("--jobs must be at least 1").
absl::StatusOr<int> CheckJobs(long long requested, int cores, std::string* note);

// Every node of `changesets` (parsed from `source`, a JSON array when `array`) has a known action
// (docs/changeset.md);
// otherwise InvalidArgument naming the JSON path: "f.json: $[0].root.children[2].action:
// unknown action 'explode' (expected add, remove, modify, move, copy or reorder)".
absl::Status CheckChangesets(const std::vector<changeset::v1::Changeset>& changesets,
                             const std::string& source, bool array);

}  // namespace deltascope::cli

#endif  // DELTASCOPE_CLI_INPUT_CHECKS_H_
