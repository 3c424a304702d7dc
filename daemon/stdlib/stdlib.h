// The built-in ("stdlib") comparators, run in-process.
#ifndef DELTASCOPE_DAEMON_STDLIB_STDLIB_H_
#define DELTASCOPE_DAEMON_STDLIB_STDLIB_H_

#include <memory>

#include "absl/status/status.h"
#include "daemon/engine/comparator.h"
#include "daemon/engine/registry.h"

namespace deltascope {

// Registers every built-in comparator at its default position.
absl::Status RegisterStdlibComparators(ComparatorRegistry& registry);

std::shared_ptr<Comparator> MakeDirectoryComparator();
std::shared_ptr<Comparator> MakeBinaryComparator();
std::shared_ptr<Comparator> MakeTextComparator();
std::shared_ptr<Comparator> MakeCsvComparator();   // csv.cc
std::shared_ptr<Comparator> MakeJsonComparator();  // json.cc
std::shared_ptr<Comparator> MakeZipComparator();   // archive.cc
std::shared_ptr<Comparator> MakeTarComparator();   // archive.cc
std::shared_ptr<Comparator> MakeGzipComparator();  // archive.cc

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_STDLIB_H_
