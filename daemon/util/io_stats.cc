#include "daemon/util/io_stats.h"

#include <string>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/util/fd.h"

namespace deltascope {

uint64_t ProcessBytesRead() {
  absl::StatusOr<std::string> io = ReadFileToString("/proc/self/io");
  if (!io.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*io, '\n')) {
    if (!absl::ConsumePrefix(&line, "rchar:")) continue;
    uint64_t n = 0;
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &n) ? n : 0;
  }
  return 0;
}

uint64_t TreeBytes(const std::filesystem::path& root, const std::atomic<bool>& stop) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::symlink_status(root, ec);
  if (ec) return 0;
  if (std::filesystem::is_regular_file(status)) {
    const uintmax_t size = std::filesystem::file_size(root, ec);
    return ec ? 0 : size;
  }
  uint64_t total = 0;
  std::filesystem::recursive_directory_iterator it(
      root, std::filesystem::directory_options::skip_permission_denied, ec);
  for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (stop.load(std::memory_order_relaxed)) break;
    std::error_code entry_ec;
    if (it->is_regular_file(entry_ec) && !it->is_symlink(entry_ec)) {
      const uintmax_t size = it->file_size(entry_ec);
      if (!entry_ec) total += size;
    }
  }
  return total;
}

}  // namespace deltascope
