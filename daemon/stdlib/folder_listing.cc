#include "daemon/stdlib/folder_listing.h"

#include "absl/strings/str_cat.h"

namespace deltascope {

absl::Status ListFolder(const Item& side, const std::string& path, bool left, EntryPairs& entries,
                        std::vector<std::shared_ptr<const DirFd>>& open_dirs,
                        CompareContext& context) {
  absl::StatusOr<DirFd> dir = side.OpenDir();
  absl::StatusOr<std::vector<DirFd::Entry>> listed =
      dir.ok() ? dir->ListEntries() : absl::StatusOr<std::vector<DirFd::Entry>>(dir.status());
  if (!listed.ok()) return listed.status();
  auto open = std::make_shared<const DirFd>(std::move(*dir));
  open_dirs.push_back(open);
  for (const DirFd::Entry& entry : *listed) {
    const std::string& name = entry.name;
    const std::string logical = JoinLogicalPath(path, name);
    absl::StatusOr<std::shared_ptr<Item>> item =
        Item::FromDirEntry(open, name, side.physical() / name, entry.type);
    if (absl::IsNotFound(item.status())) {
      context.AddDiagnostic(
          changeset::v1::SEVERITY_WARNING, "vanished",
          absl::StrCat(logical, " vanished during the diff: ", item.status().message()), logical);
      continue;
    }
    if (!item.ok()) {  // it is there but cannot be described: trouble, not "no change"
      context.AddDiagnostic(changeset::v1::SEVERITY_ERROR, "unreadable",
                            absl::StrCat("cannot read ", logical, ": ", item.status().message()),
                            logical);
      continue;
    }
    auto& slot = entries[name];
    (left ? slot.first : slot.second) = std::move(*item);
  }
  return absl::OkStatus();
}

std::vector<ItemPair> EntryChildren(EntryPairs entries, const std::string& path,
                                    int archive_depth) {
  std::vector<ItemPair> children;
  children.reserve(entries.size());
  for (auto& [name, sides] : entries) {
    children.push_back(ItemPair{JoinLogicalPath(path, name), std::move(sides.first),
                                std::move(sides.second), archive_depth});
  }
  return children;
}

}  // namespace deltascope
