// Cheap measures of how much a run reads, for progress reports.
#ifndef DELTASCOPE_DAEMON_UTIL_IO_STATS_H_
#define DELTASCOPE_DAEMON_UTIL_IO_STATS_H_

#include <atomic>
#include <cstdint>
#include <filesystem>

namespace deltascope {

// Bytes this process has read so far through read(2) and its kin, from the page cache or the
// disk (/proc/self/io "rchar"); 0 when that is unavailable. Unlike a count of bytes hashed it
// grows for every comparator that reads (CSV, text, archives...).
uint64_t ProcessBytesRead();

// Total size of the regular files under `root` (or `root` itself when it is a file), links not
// followed, unreadable parts skipped. Stops early, returning what it has, when `*stop` is set.
uint64_t TreeBytes(const std::filesystem::path& root, const std::atomic<bool>& stop);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_UTIL_IO_STATS_H_
