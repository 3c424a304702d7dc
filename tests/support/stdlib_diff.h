// Diffs of scratch trees through the real engine with the built-in comparators only.
#ifndef DELTASCOPE_TESTS_SUPPORT_STDLIB_DIFF_H_
#define DELTASCOPE_TESTS_SUPPORT_STDLIB_DIFF_H_

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "tests/support/tree.h"

namespace deltascope::testing {

// Diffs tree/a against tree/b (labels "a" and "b") with the stdlib comparators in their default
// order; `progress`, when given, sees the run's counters.
absl::StatusOr<changeset::v1::Changeset> DiffWithStdlib(const ScratchTree& tree,
                                                        const DiffOptions& options,
                                                        DiffProgress* progress = nullptr);

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_STDLIB_DIFF_H_
