#include "daemon/stdlib/stdlib.h"

namespace deltascope {

absl::Status RegisterStdlibComparators(ComparatorRegistry& registry) {
  struct Builtin {
    std::shared_ptr<Comparator> comparator;
    int order;
  };
  const Builtin builtins[] = {
      {MakeZipComparator(), kOrderArchive},       {MakeTarComparator(), kOrderArchive + 10},
      {MakeGzipComparator(), kOrderArchive + 20}, {MakeDirectoryComparator(), kOrderDirectory},
      {MakeCsvComparator(), kOrderData},          {MakeJsonComparator(), kOrderStructuredText},
      {MakeTextComparator(), kOrderText},         {MakeBinaryComparator(), kOrderBinary},
  };
  for (const Builtin& b : builtins) {
    if (!b.comparator) continue;  // not built yet
    if (absl::Status s = registry.Register(b.comparator, b.order); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace deltascope
