// The engine-facing side of a plugin: one Comparator per comparator a plugin serves. Builds the
// request from an item pair, calls the supervisor, and turns the answer into a CompareResult.
#include <dirent.h>

#include <cstring>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/plugin/host.h"

namespace deltascope {
namespace {

class ExternalWait {
 public:
  explicit ExternalWait(ExternalWaitObserver* observer) : observer_(observer) {
    if (observer_) observer_->WaitBegins();
  }
  ~ExternalWait() {
    if (observer_) observer_->WaitEnds();
  }
  ExternalWait(const ExternalWait&) = delete;
  ExternalWait& operator=(const ExternalWait&) = delete;

 private:
  ExternalWaitObserver* observer_;
};

class PluginComparator : public Comparator {
 public:
  PluginComparator(std::shared_ptr<PluginSupervisor> supervisor, const ComparatorClaim& claim,
                   std::vector<std::filesystem::path> content_roots)
      : supervisor_(std::move(supervisor)),
        descriptor_(claim.descriptor),
        content_roots_(std::move(content_roots)) {}

  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext& context) override {
    pluginpb::CompareRequest request;
    request.set_comparator(descriptor_.name);
    request.set_path(pair.path);
    request.set_max_examples(static_cast<uint32_t>(context.options().max_examples));
    bool visible = true;
    for (auto [item, out] : {std::pair{pair.left.get(), request.mutable_left()},
                             std::pair{pair.right.get(), request.mutable_right()}}) {
      if (!item) continue;
      out->set_logical_path(pair.path);
      out->set_path(item->physical().string());
      out->set_size(item->size());
      out->set_media_type(item->MediaType());
      out->set_kind(ItemKindName(item->kind()));
      visible = visible && Visible(item->physical());
    }
    if (!pair.left) request.clear_left();
    if (!pair.right) request.clear_right();
    // Unsandboxed path-mode plugins may write EXPAND children into a scratch folder.
    std::filesystem::path output_dir;
    const Manifest& m = supervisor_->manifest();
    if (m.content == ContentDelivery::kPath && supervisor_->sandbox_mode() == SandboxMode::kOff) {
      output_dir = TakeOutputDir(context);
      if (!output_dir.empty()) request.set_output_dir(output_dir.string());
    }
    std::string cut, crash_note;
    absl::StatusOr<pluginpb::CompareResponse> response;
    {
      // A call that waits on the plugin holds none of the server's diff slots meanwhile.
      ExternalWait wait(context.options().external_waits.get());
      response = supervisor_->Compare(request, pair, visible, &cut, &crash_note);
    }
    if (!crash_note.empty()) {
      context.AddDiagnostic(changeset::v1::SEVERITY_WARNING, "plugin-crash", crash_note, pair.path);
    }
    if (!output_dir.empty() &&
        (!response.ok() || response->outcome() != pluginpb::CompareResponse::OUTCOME_EXPAND)) {
      GiveBackOutputDir(context, std::move(output_dir));  // unused: the next call may have it
      output_dir.clear();
    }
    if (!response.ok()) return response.status();
    if (!cut.empty()) {
      context.AddDiagnostic(
          changeset::v1::SEVERITY_WARNING, "plugin-reply-cut",
          absl::StrCat("plugin ", m.name, "'s reply for ", pair.path.empty() ? "<root>" : pair.path,
                       " was cut to the reply limits: ", cut),
          pair.path);
    }
    using R = pluginpb::CompareResponse;
    switch (response->outcome()) {
      case R::OUTCOME_IDENTICAL:
        return CompareResult::Identical();
      case R::OUTCOME_SKIP:
        return CompareResult::Skip();
      case R::OUTCOME_LEAF:
        return CompareResult::Leaf(std::move(*response->mutable_node()));
      default:
        break;
    }
    std::vector<ItemPair> children;
    for (const auto& child : response->children()) {
      ItemPair p;
      p.path = JoinLogicalPath(pair.path, child.name());
      p.archive_depth = pair.archive_depth + 1;
      for (auto [rel, side] :
           {std::pair{&child.left_path(), &p.left}, std::pair{&child.right_path(), &p.right}}) {
        if (rel->empty()) continue;
        absl::StatusOr<std::shared_ptr<Item>> item = Item::FromPath(output_dir / *rel);
        if (!item.ok()) {
          return WithDiagnosticCode(
              absl::InvalidArgumentError(absl::StrCat("plugin ", m.name, " named child file ", *rel,
                                                      " that does not exist")),
              "plugin-invalid-response");
        }
        *side = std::move(*item);
      }
      if (p.left || p.right) children.push_back(std::move(p));
    }
    return CompareResult::Expand(std::move(*response->mutable_node()), std::move(children));
  }

 private:
  // Whether a sandboxed plugin can read `path` itself (else the content is streamed).
  bool Visible(const std::filesystem::path& path) const {
    SandboxMode mode = supervisor_->sandbox_mode();
    if (mode == SandboxMode::kOff) return true;
    if (mode == SandboxMode::kStrict) return false;
    for (const auto& root : content_roots_) {
      if (path == root || absl::StartsWith(path.string(), root.string() + "/")) return true;
    }
    return false;
  }

  // A fresh, empty output folder of this run: one that an earlier call of the same run did not
  // use, else a new one. A mkdir per call cost more than the call itself (ext4 inode allocation
  // in a folder of thousands: ~60% of the host's CPU per call in a perf profile).
  std::filesystem::path TakeOutputDir(CompareContext& context) {
    {
      std::lock_guard<std::mutex> lock(spare_mu_);
      for (auto it = spare_dirs_.rbegin(); it != spare_dirs_.rend(); ++it) {
        if (it->first != &context) continue;
        std::filesystem::path dir = std::move(it->second);
        spare_dirs_.erase(std::next(it).base());
        if (IsEmptyDir(dir)) return dir;  // else the plugin left files there: not reused
        break;
      }
    }
    absl::StatusOr<std::filesystem::path> dir =
        context.MakeScratchDir(supervisor_->manifest().name);
    return dir.ok() ? *dir : std::filesystem::path();
  }

  void GiveBackOutputDir(CompareContext& context, std::filesystem::path dir) {
    std::lock_guard<std::mutex> lock(spare_mu_);
    spare_dirs_.emplace_back(&context, std::move(dir));
    // Entries of finished runs are never asked for again: keep the list short.
    if (spare_dirs_.size() > kMaxSpareDirs) spare_dirs_.erase(spare_dirs_.begin());
  }

  static bool IsEmptyDir(const std::filesystem::path& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
    bool empty = true;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        empty = false;
        break;
      }
    }
    ::closedir(d);
    return empty;
  }

  static constexpr size_t kMaxSpareDirs = 64;
  std::shared_ptr<PluginSupervisor> supervisor_;
  ComparatorDescriptor descriptor_;
  std::vector<std::filesystem::path> content_roots_;
  std::mutex spare_mu_;
  // (run, folder): output folders handed out and returned unused. The run is only compared by
  // address; a folder is checked to exist and be empty before it is reused.
  std::vector<std::pair<const CompareContext*, std::filesystem::path>> spare_dirs_;
};

}  // namespace

std::shared_ptr<Comparator> MakePluginComparator(std::shared_ptr<PluginSupervisor> supervisor,
                                                 const ComparatorClaim& claim,
                                                 std::vector<std::filesystem::path> content_roots) {
  return std::make_shared<PluginComparator>(std::move(supervisor), claim, std::move(content_roots));
}

}  // namespace deltascope
