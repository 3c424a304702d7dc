#include "daemon/engine/contents.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/engine/node_util.h"

namespace deltascope {
namespace {

using changeset::v1::DiffNode;

int64_t NumberDetail(const DiffNode& node, const char* key) {
  auto it = node.details().fields().find(key);
  if (it == node.details().fields().end() || !it->second.has_number_value()) return -1;
  return static_cast<int64_t>(it->second.number_value());
}

// The part of `path` after the container's own path and its '/'.
std::string Relative(const std::string& container, const std::string& path) {
  if (container.empty()) return path;
  return path.size() > container.size() ? path.substr(container.size() + 1) : path;
}

}  // namespace

void AddContentsListing(DiffNode& node, const std::vector<ItemPair>& pairs,
                        const std::vector<std::optional<DiffNode>>& children) {
  if (node.action() != "add" && node.action() != "remove") return;
  int64_t files = 0, bytes = 0;
  std::vector<std::string> paths;
  for (size_t i = 0; i < pairs.size() && i < children.size(); ++i) {
    const ItemPair& pair = pairs[i];
    if (pair.any().is_file() && !(children[i] && NumberDetail(*children[i], "file_count") >= 0)) {
      ++files;
      bytes += static_cast<int64_t>(pair.any().size());
      paths.push_back(Relative(node.path(), pair.path));
    } else if (children[i] && NumberDetail(*children[i], "file_count") >= 0) {
      // A nested container (or an archive listed as a file) already counted its own.
      const DiffNode& child = *children[i];
      files += NumberDetail(child, "file_count");
      bytes += std::max<int64_t>(0, NumberDetail(child, "total_bytes"));
      auto it = child.details().fields().find("files");
      if (it == child.details().fields().end() || !it->second.has_list_value()) continue;
      for (const auto& v : it->second.list_value().values()) {
        if (v.has_string_value()) {
          paths.push_back(absl::StrCat(Relative(node.path(), pair.path), "/", v.string_value()));
        }
      }
    }
  }
  // Each member's list holds its first paths, so the first paths overall are among them.
  std::sort(paths.begin(), paths.end());
  if (paths.size() > kListedFiles) paths.resize(kListedFiles);
  std::vector<google::protobuf::Value> listed;
  for (const std::string& p : paths) listed.push_back(StringValue(p));
  SetDetail(node, "file_count", files);
  SetDetail(node, "total_bytes", bytes);
  SetDetail(node, "files", ListValue(std::move(listed)));
  const std::string counts =
      absl::StrCat(Plural(files, "file", "files"), ", ", HumanSize(static_cast<uint64_t>(bytes)));
  const std::string& summary = node.summary();
  if (summary.empty()) return;
  if (summary.back() == ')') {  // "New archive (2 members)" -> "(2 members; 2 files, 4 B)"
    node.set_summary(absl::StrCat(summary.substr(0, summary.size() - 1), "; ", counts, ")"));
  } else {
    node.set_summary(absl::StrCat(summary, " (", counts, ")"));
  }
}

}  // namespace deltascope
