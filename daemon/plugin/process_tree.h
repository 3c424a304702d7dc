// What the plugin host reads about processes from /proc: ancestry (whose socket is this?) and the
// sweeps that kill what plugins leave behind.
#ifndef DELTASCOPE_DAEMON_PLUGIN_PROCESS_TREE_H_
#define DELTASCOPE_DAEMON_PLUGIN_PROCESS_TREE_H_

#include <sys/types.h>

#include <functional>
#include <string>

namespace deltascope {

// True when `pid` is `ancestor` or one of its descendants now (walks the parent chain).
bool IsSelfOrDescendant(pid_t pid, pid_t ancestor);

// One pass over /proc: SIGKILLs every process whose environment holds the exact entry `needle`
// ("NAME=value"). Returns how many were killed.
int KillByEnvironmentEntry(const std::string& needle);

// One pass: SIGKILLs and reaps (waiting for each to die) every child of this process that runs in
// another session and for which `is_known(pid)` is false. The plugin host is a child subreaper, so
// such children are descendants of plugins re-parented to it when their parents died: escaped the
// process group with setsid, and cleared the token from their environment. Children this process
// started itself (helpers run with posix_spawn) stay in its session and are never touched. Their
// own children become ours as they die: repeat until a pass kills none. Returns how many live
// processes were killed (zombies are only reaped).
int KillOrphansInOtherSessions(const std::function<bool(pid_t)>& is_known);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_PROCESS_TREE_H_
