// Media-type sniffing from magic bytes, for extensionless files and files whose extension lies.
#ifndef DELTASCOPE_DAEMON_ENGINE_MEDIA_TYPE_H_
#define DELTASCOPE_DAEMON_ENGINE_MEDIA_TYPE_H_

#include <string>
#include <string_view>

namespace deltascope {

inline constexpr size_t kSniffBytes = 8192;

// Returns the media type of content starting with `head` (at most kSniffBytes of it):
// application/zip, application/gzip, application/x-tar, application/x-bzip2, application/x-xz,
// application/zstd, application/vnd.sqlite3, application/pdf, image/png, image/jpeg, image/gif,
// text/plain (valid UTF-8 without NUL bytes), or application/octet-stream.
std::string SniffMediaType(std::string_view head);

// True when `bytes` is valid UTF-8. With `allow_truncated_tail`, an incomplete sequence at the
// very end (a buffer cut mid-character) is accepted.
bool IsValidUtf8(std::string_view bytes, bool allow_truncated_tail = false);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_MEDIA_TYPE_H_
