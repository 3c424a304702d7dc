// binary: the catch-all. Knows only sizes (and that the engine found the hashes different).
#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/stdlib.h"

namespace deltascope {
namespace {

class BinaryComparator : public Comparator {
 public:
  BinaryComparator() {
    descriptor_.name = "binary";
    descriptor_.scope = Scope::kFiles;
  }
  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext&) override {
    if (pair.added() || pair.removed()) {
      bool added = pair.added();
      DiffNode node = MakeNode(added ? "add" : "remove", "file", pair.path, descriptor_.name);
      uint64_t size = pair.any().size();
      node.set_summary(absl::StrCat(added ? "New file (" : "File removed (", HumanSize(size), ")"));
      AddTag(node, added ? "file-addition" : "file-removal");
      SetDetail(node, "size", static_cast<int64_t>(size));
      return CompareResult::Leaf(std::move(node));
    }
    DiffNode node = MakeNode("modify", "file", pair.path, descriptor_.name);
    node.set_summary(absl::StrCat("Content changed (", HumanSize(pair.left->size()), " → ",
                                  HumanSize(pair.right->size()), ")"));
    AddTag(node, "content-changed");
    SetDetail(node, "size_before", static_cast<int64_t>(pair.left->size()));
    SetDetail(node, "size_after", static_cast<int64_t>(pair.right->size()));
    return CompareResult::Leaf(std::move(node));
  }

 private:
  ComparatorDescriptor descriptor_;
};

}  // namespace

std::shared_ptr<Comparator> MakeBinaryComparator() { return std::make_shared<BinaryComparator>(); }

}  // namespace deltascope
