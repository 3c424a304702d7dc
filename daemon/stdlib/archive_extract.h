// Safe, bounded extraction of one archive with libarchive: members are streamed to disk in small
// chunks (never a whole member in memory), inside one destination folder only.
//
// Safety: member paths with ".." or a leading "/" are refused; nothing is ever written through
// a link (every path component is opened with O_NOFOLLOW); symlink members are recreated as
// links (their target is stored, never followed); hard links, devices and fifos are skipped.
// Folders are created 0700, files 0600. The caps of ArchiveLimits are checked while writing.
#ifndef DELTASCOPE_DAEMON_STDLIB_ARCHIVE_EXTRACT_H_
#define DELTASCOPE_DAEMON_STDLIB_ARCHIVE_EXTRACT_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/options.h"

namespace deltascope {

enum class ArchiveFormat {
  kZip,  // or a tar: kZip and kTar each read both, whatever the claim was made for
  kTar,  // plain or compressed (gzip, bzip2, xz, zstd, ...)
  kRaw,  // one compressed stream (e.g. gzip): extracted as one file
};

// Decompressed bytes written so far, shared by an archive and the archives nested in it, so a
// bomb cannot dodge the total cap by nesting.
struct ExtractionBudget {
  std::atomic<uint64_t> bytes{0};
};

struct ExtractOptions {
  ArchiveFormat format = ArchiveFormat::kZip;
  ArchiveLimits limits;
  // kRaw: the name of the one extracted file.
  std::string raw_name;
  // Never null.
  std::shared_ptr<ExtractionBudget> budget = std::make_shared<ExtractionBudget>();
  // Polled between chunks; true abandons the extraction (Cancelled).
  std::function<bool()> cancelled;
};

// A member that was not extracted, and why ("unsafe path", "hard link", ...).
struct SkippedMember {
  std::string path;  // as stored in the archive
  std::string reason;
  bool unsafe = false;  // refused for safety (zip-slip), rather than merely unsupported
};

// What the archive says of a member besides its content: what a repack may change.
struct StoredMember {
  std::string path;  // as stored
  int64_t mtime = 0;
  bool has_mtime = false;
  uint32_t permissions = 0;
};

struct Extraction {
  uint64_t members = 0;  // entries extracted (files, folders, links)
  uint64_t bytes = 0;    // decompressed bytes written
  std::vector<SkippedMember> skipped;
  std::vector<StoredMember> stored;  // every entry read, in archive order
  // How the container is compressed: libarchive's filters (tar: "gzip", "xz") and the methods
  // of zip members ("deflate", "stored"), sorted, without repeats; empty when not compressed.
  std::vector<std::string> compression;
  std::string format;  // "zip", "tar" or "raw" (a single compressed stream); "" when empty
};

// Error codes attached (see DiagnosticCodeOf) to a failed extraction.
inline constexpr char kArchiveBombCode[] = "archive-bomb";
inline constexpr char kArchiveCorruptCode[] = "archive-corrupt";

// Extracts `archive` into the existing, empty folder `dest`. Errors: ResourceExhausted with code
// "archive-bomb" (a cap was hit; the message names it), DataLoss with code "archive-corrupt"
// (libarchive's message), Cancelled, or an I/O error. `dest` may hold a partial extraction then.
absl::StatusOr<Extraction> ExtractArchive(const std::filesystem::path& archive,
                                          const std::filesystem::path& dest,
                                          const ExtractOptions& options);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_ARCHIVE_EXTRACT_H_
