#include "tests/support/stdlib_diff.h"

#include "daemon/engine/registry.h"
#include "daemon/stdlib/stdlib.h"

namespace deltascope::testing {

absl::StatusOr<changeset::v1::Changeset> DiffWithStdlib(const ScratchTree& tree,
                                                        const DiffOptions& options,
                                                        DiffProgress* progress) {
  ComparatorRegistry registry;
  if (absl::Status s = RegisterStdlibComparators(registry); !s.ok()) return s;
  absl::StatusOr<std::vector<std::shared_ptr<Comparator>>> pipeline = registry.Pipeline({});
  if (!pipeline.ok()) return pipeline.status();
  Engine engine(*std::move(pipeline), options);
  return engine.Diff(tree / "a", tree / "b", "a", "b", progress);
}

}  // namespace deltascope::testing
