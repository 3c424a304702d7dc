#include "daemon/engine/registry.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace deltascope {

absl::Status WithDiagnosticCode(absl::Status status, absl::string_view code) {
  status.SetPayload(kDiagnosticCodePayload, absl::Cord(code));
  return status;
}

std::string DiagnosticCodeOf(const absl::Status& status, absl::string_view fallback) {
  absl::optional<absl::Cord> code = status.GetPayload(kDiagnosticCodePayload);
  return code ? std::string(*code) : std::string(fallback);
}

absl::Status ComparatorRegistry::Register(std::shared_ptr<Comparator> comparator, int order) {
  const std::string& name = comparator->descriptor().name;
  if (Find(name)) {
    return absl::AlreadyExistsError(absl::StrCat("duplicate comparator name '", name, "'"));
  }
  entries_.push_back({std::move(comparator), order});
  return absl::OkStatus();
}

std::shared_ptr<Comparator> ComparatorRegistry::Find(const std::string& name) const {
  for (const Entry& e : entries_) {
    if (e.comparator->descriptor().name == name) return e.comparator;
  }
  return nullptr;
}

std::vector<ComparatorRegistry::Entry> ComparatorRegistry::SortedEntries() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    if (a.order != b.order) return a.order < b.order;
    return a.comparator->descriptor().name < b.comparator->descriptor().name;
  });
  return sorted;
}

int ComparatorRegistry::OrderOf(const std::string& name) const {
  for (const Entry& e : entries_) {
    if (e.comparator->descriptor().name == name) return e.order;
  }
  return -1;
}

std::vector<std::string> ComparatorRegistry::Names() const {
  std::vector<std::string> names;
  for (const Entry& e : SortedEntries()) names.push_back(e.comparator->descriptor().name);
  return names;
}

absl::StatusOr<std::vector<std::shared_ptr<Comparator>>> ComparatorRegistry::Pipeline(
    const std::vector<std::string>& names) const {
  std::vector<std::shared_ptr<Comparator>> pipeline;
  if (names.empty()) {
    for (const Entry& e : SortedEntries()) pipeline.push_back(e.comparator);
    return pipeline;
  }
  std::set<std::string> seen;
  for (const std::string& name : names) {
    std::shared_ptr<Comparator> c = Find(name);
    if (!c) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown comparator '", name, "' (known: ", absl::StrJoin(Names(), ", "), ")"));
    }
    if (seen.insert(name).second) pipeline.push_back(std::move(c));
  }
  for (const char* fallback : {"directory", "binary"}) {
    if (!seen.count(fallback)) {
      if (std::shared_ptr<Comparator> c = Find(fallback)) pipeline.push_back(std::move(c));
    }
  }
  return pipeline;
}

}  // namespace deltascope
