// zip, tar and gzip: extract both sides (archive_extract.h) into scratch space and hand the
// members back to the engine as children, one pair per top-level member, so logical paths run
// through archives: "outer.zip/inner.zip/data.csv". A single gzip stream "data.csv.gz" holds one
// child, "data.csv.gz/data.csv", which the csv comparator then claims.
#include <sys/stat.h>

#include <map>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"
#include "daemon/stdlib/archive_extract.h"
#include "daemon/stdlib/archive_repack.h"
#include "daemon/stdlib/folder_listing.h"
#include "daemon/stdlib/stdlib.h"
#include "daemon/util/temp_dir.h"

namespace deltascope {
namespace {

using changeset::v1::SEVERITY_ERROR;
using changeset::v1::SEVERITY_WARNING;

// Budgets of one diff's extractions alive now, by extraction folder: an archive found inside
// another one draws on its ancestor's budget. One per diff (CompareContext::DiffState).
class BudgetRegistry {
 public:
  // The budget of the extraction holding `physical`, or a fresh one.
  std::shared_ptr<ExtractionBudget> For(const std::filesystem::path& physical) {
    const std::string p = physical.string();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = budgets_.begin(); it != budgets_.end();) {
      std::shared_ptr<ExtractionBudget> budget = it->second.lock();
      if (!budget) {
        it = budgets_.erase(it);
        continue;
      }
      if (absl::StartsWith(p, it->first + "/")) return budget;
      ++it;
    }
    return std::make_shared<ExtractionBudget>();
  }

  void Register(const std::filesystem::path& dir, const std::shared_ptr<ExtractionBudget>& b) {
    std::lock_guard<std::mutex> lock(mu_);
    budgets_[dir.string()] = b;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<ExtractionBudget>> budgets_;
};

// Owns one pair's extraction: removes the files when released (after the children are compared),
// and keeps the folders listed open until then.
struct ExtractionHold {
  TempDir dir;
  std::shared_ptr<ExtractionBudget> budget;
  std::vector<std::shared_ptr<const DirFd>> open_dirs;
};

// The name a single gzip stream decompresses to: its own name without ".gz".
std::string GunzippedName(const ItemPair& pair) {
  std::string name =
      pair.path.empty() ? pair.any().physical().filename().string() : LogicalBaseName(pair.path);
  for (absl::string_view suffix : {".gz", ".gzip"}) {
    if (absl::EndsWithIgnoreCase(name, suffix) && name.size() > suffix.size()) {
      return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

struct ArchiveKind {
  std::string name;
  std::string label;  // "Zip archive"
  std::string item_type;
  ArchiveFormat format;
  std::vector<std::string> extensions;
  std::vector<std::string> media_types;
};

class ArchiveComparator : public Comparator {
 public:
  explicit ArchiveComparator(ArchiveKind kind) : kind_(std::move(kind)) {
    descriptor_.name = kind_.name;
    descriptor_.extensions = kind_.extensions;
    descriptor_.media_types = kind_.media_types;
    descriptor_.scope = Scope::kFiles;
    descriptor_.unpacks = kind_.format != ArchiveFormat::kRaw;
  }
  const ComparatorDescriptor& descriptor() const override { return descriptor_; }

  absl::StatusOr<CompareResult> Compare(const ItemPair& pair, CompareContext& context) override {
    const ArchiveLimits& limits = context.options().archive_limits;
    if (kind_.format == ArchiveFormat::kRaw) {
      // A compressed tarball that the tar comparator could not read is not a gzip file's job.
      const std::string lower = FormatName(pair);
      if (absl::EndsWith(lower, ".tar.gz") || absl::EndsWith(lower, ".tgz")) {
        return CompareResult::Skip();
      }
    }
    const std::string shown = pair.path.empty() ? "<root>" : pair.path;
    if (pair.archive_depth >= limits.max_depth) {
      context.AddDiagnostic(
          SEVERITY_ERROR, kArchiveBombCode,
          absl::StrCat("archive ", shown, " is nested more than ", limits.max_depth,
                       " archives deep (cap archive_limits.max_depth); "
                       "compared as binary"),
          pair.path);
      return CompareResult::Skip();
    }

    absl::StatusOr<std::filesystem::path> scratch = context.MakeScratchDir(kind_.name);
    if (!scratch.ok()) return scratch.status();
    std::shared_ptr<BudgetRegistry> budgets = context.DiffState<BudgetRegistry>("archive-budgets");
    auto hold = std::make_shared<ExtractionHold>(
        ExtractionHold{TempDir::Adopt(*scratch), budgets->For(pair.any().physical()), {}});
    budgets->Register(*scratch, hold->budget);

    ExtractOptions options;
    options.format = kind_.format;
    options.limits = limits;
    options.raw_name = GunzippedName(pair);
    options.budget = hold->budget;
    options.cancelled = [&context] { return context.cancelled(); };

    EntryPairs members;
    std::optional<Extraction> extracted[2];
    for (const auto& [side, label] :
         {std::pair{pair.left, "left"}, std::pair{pair.right, "right"}}) {
      if (!side) continue;
      const bool left = side == pair.left;
      // A folder paired with an archive is listed as it is: its entries meet the members.
      std::shared_ptr<const Item> folder = side->is_directory() ? side : nullptr;
      if (!folder) {
        const std::filesystem::path root = *scratch / label;
        if (::mkdir(root.c_str(), 0700) != 0) {
          return absl::InternalError(absl::StrCat("cannot create ", root.string()));
        }
        absl::StatusOr<Extraction> extraction = ExtractArchive(side->physical(), root, options);
        if (!extraction.ok()) return Failed(pair, label, extraction.status(), context);
        ReportSkipped(pair, label, *extraction, context);
        extracted[left ? 0 : 1] = std::move(*extraction);
        absl::StatusOr<std::shared_ptr<Item>> root_item = Item::FromPath(root);
        if (!root_item.ok()) return root_item.status();
        folder = std::move(*root_item);
      }
      if (absl::Status s = ListFolder(*folder, pair.path, left, members, hold->open_dirs, context);
          !s.ok()) {
        return WithDiagnosticCode(s, "unreadable");
      }
    }

    std::vector<ItemPair> children =
        EntryChildren(std::move(members), pair.path, pair.archive_depth + 1);
    if (pair.added() || pair.removed()) {
      const uint64_t member_count = extracted[pair.added() ? 1 : 0]->members;
      DiffNode node =
          MakeNode(pair.added() ? "add" : "remove", kind_.item_type, pair.path, kind_.name);
      node.set_summary(absl::StrCat(pair.added() ? "New archive (" : "Archive removed (",
                                    Plural(static_cast<int64_t>(member_count), "member", "members"),
                                    ")"));
      AddTag(node, pair.added() ? "file-addition" : "file-removal");
      SetDetail(node, "members", static_cast<int64_t>(member_count));
      return CompareResult::Expand(std::move(node), std::move(children), std::move(hold));
    }
    // Both sides present and different bytes: identical members still make a changed file.
    if (extracted[0] && extracted[1]) {
      return CompareResult::Expand(MakeNode("modify", kind_.item_type, pair.path, kind_.name),
                                   std::move(children), std::move(hold),
                                   std::make_shared<DiffNode>(RepackedNode(
                                       *extracted[0], *extracted[1], kind_.item_type, kind_.name)));
    }
    const bool unpacked = pair.right->is_directory();
    return CompareResult::Expand(
        UnpackedNode(unpacked, false, kind_.label, kind_.item_type, kind_.name),
        std::move(children), std::move(hold),
        std::make_shared<DiffNode>(
            UnpackedNode(unpacked, true, kind_.label, kind_.item_type, kind_.name)));
  }

 private:
  // A bomb is reported here (an error) and the pair left to the next comparator; any other
  // failure (corrupt, unreadable) goes back to the engine, which reports it and falls back.
  absl::StatusOr<CompareResult> Failed(const ItemPair& pair, const char* side,
                                       const absl::Status& status, CompareContext& context) {
    const std::string shown = pair.path.empty() ? "<root>" : pair.path;
    if (DiagnosticCodeOf(status, "") == kArchiveBombCode) {
      context.AddDiagnostic(SEVERITY_ERROR, kArchiveBombCode,
                            absl::StrCat("archive ", shown, " (", side, " side) refused: ",
                                         status.message(), "; compared as binary"),
                            pair.path);
      return CompareResult::Skip();
    }
    if (absl::IsCancelled(status)) return status;
    absl::Status named(status.code(), absl::StrCat("cannot read archive ", shown, " (", side,
                                                   " side): ", status.message()));
    return WithDiagnosticCode(named, DiagnosticCodeOf(status, "unreadable"));
  }

  void ReportSkipped(const ItemPair& pair, const char* side, const Extraction& extraction,
                     CompareContext& context) {
    const std::string shown = pair.path.empty() ? "<root>" : pair.path;
    for (const SkippedMember& m : extraction.skipped) {
      context.AddDiagnostic(SEVERITY_WARNING,
                            m.unsafe ? "archive-unsafe-member" : "archive-member-skipped",
                            absl::StrCat("archive ", shown, " (", side, " side): member ", m.path,
                                         " skipped: ", m.reason),
                            pair.path);
    }
  }

  ArchiveKind kind_;
  ComparatorDescriptor descriptor_;
};

}  // namespace

std::shared_ptr<Comparator> MakeZipComparator() {
  return std::make_shared<ArchiveComparator>(ArchiveKind{
      "zip", "Zip archive", "zip_archive", ArchiveFormat::kZip, {".zip"}, {"application/zip"}});
}

std::shared_ptr<Comparator> MakeTarComparator() {
  return std::make_shared<ArchiveComparator>(
      ArchiveKind{"tar",
                  "Tar archive",
                  "tar_archive",
                  ArchiveFormat::kTar,
                  {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"},
                  {"application/x-tar"}});
}

std::shared_ptr<Comparator> MakeGzipComparator() {
  return std::make_shared<ArchiveComparator>(ArchiveKind{
      "gzip", "Gzip file", "gzip_file", ArchiveFormat::kRaw, {".gz"}, {"application/gzip"}});
}

}  // namespace deltascope
