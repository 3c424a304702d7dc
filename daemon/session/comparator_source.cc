#include "daemon/session/comparator_source.h"

#include "daemon/stdlib/stdlib.h"

namespace deltascope {

StdlibComparatorSource::StdlibComparatorSource() {
  auto registry = std::make_shared<ComparatorRegistry>();
  // Built-in names are unique by construction.
  (void)RegisterStdlibComparators(*registry);
  registry_ = std::move(registry);
}

}  // namespace deltascope
