// directory: walks folders; pairs entries of both sides by name.
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
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
    // name -> (left, right)
    std::map<std::string, std::pair<std::shared_ptr<const Item>, std::shared_ptr<const Item>>>
        entries;
    bool unreadable = false;
    // Both folders stay open while their entries are compared (the keepalive below): the
    // entries are stat'ed, hashed and listed relative to them.
    std::vector<std::shared_ptr<const DirFd>> open_dirs;
    auto collect = [&](const std::shared_ptr<const Item>& side, bool is_left) {
      if (!side) return;
      absl::StatusOr<DirFd> dir = side->OpenDir();
      absl::StatusOr<std::vector<std::string>> names =
          dir.ok() ? dir->ListNames() : absl::StatusOr<std::vector<std::string>>(dir.status());
      if (!names.ok()) {
        unreadable = true;
        context.AddDiagnostic(changeset::v1::SEVERITY_ERROR, "unreadable",
                              std::string(names.status().message()), pair.path);
        return;
      }
      auto open = std::make_shared<const DirFd>(std::move(*dir));
      open_dirs.push_back(open);
      for (const std::string& name : *names) {
        absl::StatusOr<std::shared_ptr<Item>> item =
            Item::FromDirEntry(open, name, side->physical() / name);
        if (absl::IsNotFound(item.status())) {
          context.AddDiagnostic(
              changeset::v1::SEVERITY_WARNING, "vanished",
              absl::StrCat(JoinLogicalPath(pair.path, name),
                           " vanished during the diff: ", item.status().message()),
              JoinLogicalPath(pair.path, name));
          continue;
        }
        if (!item.ok()) {  // it is there but cannot be described: trouble, not "no change"
          context.AddDiagnostic(changeset::v1::SEVERITY_ERROR, "unreadable",
                                absl::StrCat("cannot read ", JoinLogicalPath(pair.path, name), ": ",
                                             item.status().message()),
                                JoinLogicalPath(pair.path, name));
          continue;
        }
        auto& slot = entries[name];
        (is_left ? slot.first : slot.second) = std::move(*item);
      }
    };
    collect(pair.left, true);
    collect(pair.right, false);
    // An unreadable side would make every entry of the other side look added or removed.
    if (unreadable && pair.left && pair.right) return CompareResult::Identical();

    std::vector<ItemPair> children;
    children.reserve(entries.size());
    for (auto& [name, sides] : entries) {
      children.push_back(ItemPair{JoinLogicalPath(pair.path, name), std::move(sides.first),
                                  std::move(sides.second), pair.archive_depth});
    }
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
