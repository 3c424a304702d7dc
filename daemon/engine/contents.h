// What an added or removed container (folder, archive) holds, for its node: counts and the
// first few file paths, so a removed file is never invisible behind "Folder removed".
#ifndef DELTASCOPE_DAEMON_ENGINE_CONTENTS_H_
#define DELTASCOPE_DAEMON_ENGINE_CONTENTS_H_

#include <optional>
#include <vector>

#include "daemon/engine/item.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

// How many file paths the "files" detail lists.
inline constexpr size_t kListedFiles = 10;

// For an added or removed `node` whose members are `pairs` (compared into `children`, same
// order): sets the details file_count, total_bytes (regular files, at any depth, from the
// members' own such details for nested containers) and files (the first kListedFiles paths
// relative to the container, in byte order), and adds "(N files, SIZE)" to the summary
// (inside its closing parenthesis, if any). Other nodes are left alone.
void AddContentsListing(changeset::v1::DiffNode& node, const std::vector<ItemPair>& pairs,
                        const std::vector<std::optional<changeset::v1::DiffNode>>& children);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_CONTENTS_H_
