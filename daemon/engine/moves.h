// Move and copy detection, a pass after comparison: an added and a removed item with equal
// content become one "move"; extra copies of existing content become "copy"; a renamed folder
// becomes one folder move instead of N file moves.
#ifndef DELTASCOPE_DAEMON_ENGINE_MOVES_H_
#define DELTASCOPE_DAEMON_ENGINE_MOVES_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "daemon/engine/item.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

using changeset::v1::DiffNode;

class MoveTracker {
 public:
  // Called by the engine for every pair it compares (thread-safe). Records added and removed
  // items, and the content of unchanged files (sources of copies). Archive members are hashed
  // here, while their extraction directory still exists.
  void Observe(const ItemPair& pair, bool identical);

  // Rewrites the changeset tree: pairs of add/remove nodes with equal content become moves,
  // added duplicates of existing content become copies; emptied containers are pruned.
  // Deterministic: candidates are matched in path order.
  void Rewrite(DiffNode& root);

 private:
  struct Record {
    std::string path;
    bool added = false;
    bool directory = false;
    uint64_t size = 0;
    std::shared_ptr<const Item> item;  // null once hashed (archive members)
    std::optional<ContentHash> hash;
  };
  std::optional<ContentHash> HashOf(Record& record);

  std::mutex mu_;
  std::vector<Record> records_;
  // Content of files present, unchanged, in both snapshots: hash -> smallest path.
  std::map<ContentHash, std::string> unchanged_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_MOVES_H_
