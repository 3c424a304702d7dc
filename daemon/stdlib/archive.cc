// Placeholder until the archive comparators land.
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
std::shared_ptr<Comparator> MakeZipComparator() { return nullptr; }
std::shared_ptr<Comparator> MakeTarComparator() { return nullptr; }
std::shared_ptr<Comparator> MakeGzipComparator() { return nullptr; }
}  // namespace deltascope
