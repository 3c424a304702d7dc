#include "daemon/engine/moves.h"

namespace deltascope {

void MoveTracker::Observe(const ItemPair& pair, bool identical) {}

void MoveTracker::Rewrite(DiffNode& root) {}

std::optional<ContentHash> MoveTracker::HashOf(Record& record) { return std::nullopt; }

}  // namespace deltascope
