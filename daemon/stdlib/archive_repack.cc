#include "daemon/stdlib/archive_repack.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/node_util.h"

namespace deltascope {
namespace {

std::string CompressionName(const Extraction& e) {
  return e.compression.empty() ? "none" : absl::StrJoin(e.compression, "+");
}

}  // namespace

std::vector<std::string> RepackDifferences(const Extraction& before, const Extraction& after) {
  std::map<std::string_view, const StoredMember*> old_members;
  for (const StoredMember& m : before.stored) old_members.emplace(m.path, &m);
  std::set<std::string_view> new_paths;
  bool times = false, modes = false;
  std::vector<std::string_view> old_order, new_order;  // of the members on both sides
  for (const StoredMember& m : after.stored) {
    new_paths.insert(m.path);
    auto it = old_members.find(m.path);
    if (it == old_members.end()) continue;
    const StoredMember& old = *it->second;
    times = times || (old.has_mtime && m.has_mtime && old.mtime != m.mtime);
    modes = modes || old.permissions != m.permissions;
    new_order.push_back(m.path);
  }
  bool only_one_side = new_paths.size() != after.stored.size();  // a path stored twice
  for (const StoredMember& m : before.stored) {
    if (new_paths.count(m.path) > 0) {
      old_order.push_back(m.path);
    } else {
      only_one_side = true;
    }
  }
  only_one_side = only_one_side || new_order.size() != after.stored.size();
  std::vector<std::string> out;
  if (old_order != new_order) out.push_back("member order");
  if (times) out.push_back("timestamps");
  if (modes) out.push_back("permissions");
  if (only_one_side) out.push_back("folder entries");
  if (before.format != after.format) out.push_back("format");
  if (before.compression != after.compression) out.push_back("compression");
  return out;
}

changeset::v1::DiffNode RepackedNode(const Extraction& before, const Extraction& after,
                                     const std::string& item_type, const std::string& comparator) {
  DiffNode node = MakeNode("modify", item_type, "", comparator);
  const std::vector<std::string> differences = RepackDifferences(before, after);
  std::vector<std::string> shown;
  std::vector<google::protobuf::Value> listed;
  for (const std::string& d : differences) {
    listed.push_back(StringValue(d));
    if (d == "format") {
      shown.push_back(absl::StrCat("format ", before.format, " → ", after.format));
    } else if (d == "compression") {
      shown.push_back(
          absl::StrCat("compression ", CompressionName(before), " → ", CompressionName(after)));
    } else {
      shown.push_back(d);
    }
  }
  if (shown.empty()) shown.push_back("compression level or metadata");
  node.set_summary(
      absl::StrCat("Repacked with identical contents (", absl::StrJoin(shown, ", "), ")"));
  AddTag(node, "format-change");
  SetDetail(node, "repack_differences", ListValue(std::move(listed)));
  if (before.format != after.format) {
    SetDetail(node, "format_before", before.format);
    SetDetail(node, "format_after", after.format);
  }
  if (before.compression != after.compression) {
    SetDetail(node, "compression_before", CompressionName(before));
    SetDetail(node, "compression_after", CompressionName(after));
  }
  return node;
}

changeset::v1::DiffNode UnpackedNode(bool unpacked, bool same, const std::string& label,
                                     const std::string& item_type, const std::string& comparator) {
  DiffNode node = MakeNode("modify", unpacked ? "directory" : item_type, "", comparator);
  std::string summary = unpacked
                            ? absl::StrCat(label, " unpacked into a folder")
                            : absl::StrCat("Folder packed into a ", absl::AsciiStrToLower(label));
  summary[0] = absl::ascii_toupper(static_cast<unsigned char>(summary[0]));
  node.set_summary(same ? absl::StrCat(summary, " (identical contents)") : summary);
  AddTag(node, "format-change");
  SetDetail(node, "container_before", unpacked ? item_type : "directory");
  SetDetail(node, "container_after", unpacked ? "directory" : item_type);
  return node;
}

}  // namespace deltascope
