// directory: walks folders; pairs entries of both sides by name.
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/folder_listing.h"
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
namespace {

class DirectoryComparator : public Comparator {
 public:
  DirectoryComparator() {
    descriptor_.name = "directory";
    descriptor_.scope = Scope::kContainers;
    descriptor_.handles_identical = true;
  }
  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext& context) override {
    EntryPairs entries;
    bool unreadable = false;
    // Both folders stay open while their entries are compared (the keepalive below): the
    // entries are stat'ed, hashed and listed relative to them.
    std::vector<std::shared_ptr<const DirFd>> open_dirs;
    for (const auto& [side, left] : {std::pair{&pair.left, true}, std::pair{&pair.right, false}}) {
      if (!*side) continue;
      if (absl::Status s = ListFolder(**side, pair.path, left, entries, open_dirs, context);
          !s.ok()) {
        unreadable = true;
        context.AddDiagnostic(changeset::v1::SEVERITY_ERROR, "unreadable", std::string(s.message()),
                              pair.path);
      }
    }
    // An unreadable side would make every entry of the other side look added or removed.
    if (unreadable && pair.left && pair.right) return CompareResult::Identical();

    std::vector<ItemPair> children =
        EntryChildren(std::move(entries), pair.path, pair.archive_depth);
    const char* action = pair.added() ? "add" : pair.removed() ? "remove" : "modify";
    DiffNode node = MakeNode(action, "directory", pair.path, descriptor_.name);
    if (pair.added() || pair.removed()) {
      node.set_summary(pair.added() ? "New folder" : "Folder removed");
      AddTag(node, pair.added() ? "folder-addition" : "folder-removal");
      SetDetail(node, "entries", static_cast<int64_t>(children.size()));
    }
    return CompareResult::Expand(std::move(node), std::move(children),
                                 std::make_shared<decltype(open_dirs)>(std::move(open_dirs)));
  }

 private:
  ComparatorDescriptor descriptor_;
};

}  // namespace

std::shared_ptr<Comparator> MakeDirectoryComparator() {
  return std::make_shared<DirectoryComparator>();
}

}  // namespace deltascope
