// deltascope-stdlib-plugin: serves built-in comparators out of process (as "<name>-oop"), for the
// parity test: the same comparator in-process and behind the plugin protocol must give
// byte-identical changesets.
#include <cstdlib>

#include "daemon/engine/compare_context.h"
#include "daemon/stdlib/stdlib.h"
#include "daemon/util/temp_dir.h"
#include "deltascope/plugin/sdk.h"

namespace {

namespace sdk = deltascope::plugin;

class Wrapped : public sdk::Comparator {
 public:
  explicit Wrapped(std::shared_ptr<deltascope::Comparator> inner) : inner_(std::move(inner)) {}

  sdk::Descriptor Describe() const override {
    const deltascope::ComparatorDescriptor& d = inner_->descriptor();
    return {.name = d.name + "-oop", .extensions = d.extensions, .media_types = d.media_types};
  }

  sdk::Result Compare(const sdk::Pair& pair, sdk::Context& ctx) override {
    deltascope::ItemPair items;
    items.path = pair.path;
    if (pair.left) items.left = *deltascope::Item::FromPath(pair.left->path);
    if (pair.right) items.right = *deltascope::Item::FromPath(pair.right->path);
    deltascope::DiffOptions options;
    options.max_examples = static_cast<int>(ctx.max_examples());
    absl::StatusOr<deltascope::TempDir> scratch = deltascope::TempDir::Create("stdlib-plugin-");
    if (!scratch.ok()) return sdk::Result::Error(scratch.status());
    deltascope::CompareContext context(options, scratch->path());
    absl::StatusOr<deltascope::CompareResult> r = inner_->Compare(items, context);
    if (!r.ok()) return sdk::Result::Error(r.status());
    switch (r->kind) {
      case deltascope::CompareResult::Kind::kIdentical:
        return sdk::Result::Identical();
      case deltascope::CompareResult::Kind::kLeaf:
        return sdk::Result::Leaf(std::move(r->node));
      default:
        return sdk::Result::Skip();  // containers stay in-process
    }
  }

 private:
  std::shared_ptr<deltascope::Comparator> inner_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::unique_ptr<sdk::Comparator>> comparators;
  comparators.push_back(std::make_unique<Wrapped>(deltascope::MakeTextComparator()));
  if (auto csv = deltascope::MakeCsvComparator())
    comparators.push_back(std::make_unique<Wrapped>(csv));
  // STDLIB_PLUGIN_NO_PIPE: an old-style plugin (Compare only), for the parity of the two paths.
  return sdk::Serve(std::move(comparators), argc, argv,
                    {.name = "stdlib-oop",
                     .version = "1.0",
                     .compare_pipe = std::getenv("STDLIB_PLUGIN_NO_PIPE") == nullptr});
}
