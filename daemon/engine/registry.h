// The comparators known to one run: built-ins and plugins, each with a default position.
// Resolves the pipeline a user asks for by name.
#ifndef DELTASCOPE_DAEMON_ENGINE_REGISTRY_H_
#define DELTASCOPE_DAEMON_ENGINE_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/comparator.h"

namespace deltascope {

// Default positions: lower runs first. Plugins land after the data comparators and before the
// generic ones ("text" claims every UTF-8 file, "binary" everything): a plugin that claims an
// extension is asked before them unless its manifest names another position.
inline constexpr int kOrderArchive = 100;
inline constexpr int kOrderDirectory = 200;
inline constexpr int kOrderData = 300;
inline constexpr int kOrderText = 400;
inline constexpr int kOrderPlugin = 390;
// Structured text (json): after the plugins, so that a plugin claiming `.json` at its default
// position answers first and this built-in takes what the plugin skips or fails on.
inline constexpr int kOrderStructuredText = 395;
inline constexpr int kOrderBinary = 1000;

class ComparatorRegistry {
 public:
  // Fails when the name is already taken.
  absl::Status Register(std::shared_ptr<Comparator> comparator, int order);

  // The comparator called `name`, or null.
  std::shared_ptr<Comparator> Find(const std::string& name) const;

  // The pipeline: with `names` empty, every comparator by (order, name); otherwise exactly the
  // named ones in the given order, followed by the fallbacks ("directory", "binary") when they
  // were not named, so no pair is ever left without a comparator. Unknown names are an error
  // that lists the known ones.
  absl::StatusOr<std::vector<std::shared_ptr<Comparator>>> Pipeline(
      const std::vector<std::string>& names) const;

  // The default position of `name`, or -1 when it is not registered.
  int OrderOf(const std::string& name) const;

  // Every registered name, in default pipeline order.
  std::vector<std::string> Names() const;

 private:
  struct Entry {
    std::shared_ptr<Comparator> comparator;
    int order;
  };
  std::vector<Entry> SortedEntries() const;
  std::vector<Entry> entries_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_REGISTRY_H_
