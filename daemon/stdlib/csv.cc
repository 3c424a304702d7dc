// Placeholder until the CSV comparator lands.
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
std::shared_ptr<Comparator> MakeCsvComparator() { return nullptr; }
}  // namespace deltascope
