// The entries of one side's folder, for the comparators that pair entries by name (directory,
// and the archive comparators when an archive is paired with a folder or extracted into one).
#ifndef DELTASCOPE_DAEMON_STDLIB_FOLDER_LISTING_H_
#define DELTASCOPE_DAEMON_STDLIB_FOLDER_LISTING_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "daemon/engine/compare_context.h"
#include "daemon/engine/item.h"
#include "daemon/util/dir_fd.h"

namespace deltascope {

// Entries of both sides by raw name: (left, right), a side null where the name is absent.
using EntryPairs =
    std::map<std::string, std::pair<std::shared_ptr<const Item>, std::shared_ptr<const Item>>>;

// Lists folder `side` (logical path `path`) into the `left` or right slots of `entries`. The
// entries are described relative to the open folder, which is appended to `open_dirs`: keep it
// alive while they are compared. An entry that vanished (warning `vanished`) or cannot be
// described (error `unreadable`) is reported to `context` and left out. Fails (the error
// names the folder) when the folder cannot be listed at all.
absl::Status ListFolder(const Item& side, const std::string& path, bool left, EntryPairs& entries,
                        std::vector<std::shared_ptr<const DirFd>>& open_dirs,
                        CompareContext& context);

// One child pair per entry, at `path`/name, in name order.
std::vector<ItemPair> EntryChildren(EntryPairs entries, const std::string& path, int archive_depth);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_FOLDER_LISTING_H_
