// The comparator contract. Every comparator, in-process ("stdlib") or out of process (a plugin
// behind the plugin host), implements this interface, so the engine never knows where one runs.
#ifndef DELTASCOPE_DAEMON_ENGINE_COMPARATOR_H_
#define DELTASCOPE_DAEMON_ENGINE_COMPARATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/compare_context.h"
#include "daemon/engine/item.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::DiffNode;

// Which item pairs a comparator may be offered.
enum class Scope {
  kFiles,       // regular files only
  kContainers,  // directories only
  kAny,
};

struct ComparatorDescriptor {
  std::string name;  // unique, e.g. "text", "csv", "json"
  // Lower-case suffixes with the leading dot (".csv", ".tar.gz"), matched case-insensitively
  // against the end of the logical path.
  std::vector<std::string> extensions;
  // Media types sniffed from content ("application/zip"); matched exactly.
  std::vector<std::string> media_types;
  Scope scope = Scope::kFiles;
  // When true the comparator is offered pairs whose contents are identical (directories: equal
  // folders must still be walked). Otherwise identical files never reach it.
  bool handles_identical = false;
  // The comparator reads an archive as a folder: it is also offered a regular file paired with
  // a folder (an archive and its unpacked tree), and compares the archive's members with the
  // folder's entries.
  bool unpacks = false;

  // No extensions and no media types: claims every pair in its scope.
  bool catch_all() const { return extensions.empty() && media_types.empty(); }
};

// What a comparator says about a pair.
struct CompareResult {
  enum class Kind {
    kIdentical,  // nothing changed: pruned
    kLeaf,       // `node` describes the change completely
    kExpand,     // `node` is a container; the engine compares `children` and attaches them
    kSkip,       // not mine after all: the engine tries the next comparator
  };
  Kind kind = Kind::kSkip;
  DiffNode node;
  std::vector<ItemPair> children;
  // Kept alive until the children have been compared (e.g. an archive's extraction directory).
  std::shared_ptr<void> keepalive;
  // kExpand: what to report when every child turns out identical (an archive repacked with the
  // same members is still a changed file); without it such a container is pruned.
  // (Held by pointer: results live on the stack of every level of a deep tree's recursion.)
  std::shared_ptr<DiffNode> if_unchanged;

  static CompareResult Identical() { return {Kind::kIdentical, {}, {}, {}, {}}; }
  static CompareResult Skip() { return {Kind::kSkip, {}, {}, {}, {}}; }
  static CompareResult Leaf(DiffNode node) { return {Kind::kLeaf, std::move(node), {}, {}, {}}; }
  static CompareResult Expand(DiffNode node, std::vector<ItemPair> children,
                              std::shared_ptr<void> keepalive = nullptr,
                              std::shared_ptr<DiffNode> if_unchanged = nullptr) {
    return {Kind::kExpand, std::move(node), std::move(children), std::move(keepalive),
            std::move(if_unchanged)};
  }
};

// A comparator's error may carry the diagnostic code the engine records for it (as an
// absl::Status payload under this type URL), e.g. "plugin-timeout"; default "comparator-failed".
inline constexpr char kDiagnosticCodePayload[] = "deltascope.dev/diagnostic-code";

// Returns `status` with `code` attached as its diagnostic code.
absl::Status WithDiagnosticCode(absl::Status status, absl::string_view code);
// The diagnostic code attached to `status`, or `fallback`.
std::string DiagnosticCodeOf(const absl::Status& status, absl::string_view fallback);

class Comparator {
 public:
  virtual ~Comparator() = default;

  virtual const ComparatorDescriptor& descriptor() const = 0;

  // Compares one pair. Called concurrently from several threads. An error status means "could
  // not compare": the engine records a diagnostic and falls back to the next comparator.
  virtual absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext& context) = 0;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_COMPARATOR_H_
