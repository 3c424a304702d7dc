#include "daemon/stdlib/archive_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/engine/comparator.h"
#include "daemon/engine/node_util.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

// Read and write chunk: the most of one member ever held in memory.
constexpr size_t kChunk = 64 * 1024;

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

absl::Status Bomb(std::string message) {
  return WithDiagnosticCode(absl::ResourceExhaustedError(std::move(message)), kArchiveBombCode);
}

absl::Status Corrupt(struct archive* a) {
  const char* error = archive_error_string(a);
  return WithDiagnosticCode(absl::DataLossError(error ? error : "unreadable archive"),
                            kArchiveCorruptCode);
}

absl::Status Errno(const char* what, const std::string& name) {
  return absl::InternalError(absl::StrCat(what, " ", name, ": ", std::strerror(errno)));
}

// The components of a member path, or nothing when the path is absolute or climbs out ("..").
std::optional<std::vector<std::string>> SafeComponents(const std::string& path) {
  if (path.empty() || path.front() == '/') return std::nullopt;
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    parts.emplace_back(part);
  }
  return parts;
}

// Opens (creating when missing) the folder `name` in `dir`, never through a link.
absl::StatusOr<UniqueFd> OpenSubdir(int dir, const std::string& name) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) break;
    if (::mkdirat(dir, name.c_str(), 0700) != 0 && errno != EEXIST) break;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot enter ", name, " (", std::strerror(errno), ")"));
}

// Runs `create` in `dir`; when `name` already exists (a member stored twice) replaces it once.
template <typename Create>
int CreateReplacing(int dir, const std::string& name, Create create) {
  int r = create();
  if (r < 0 && errno == EEXIST && ::unlinkat(dir, name.c_str(), 0) == 0) r = create();
  return r;
}

class Extractor {
 public:
  Extractor(struct archive* a, int root, uint64_t archive_size, const ExtractOptions& options)
      : a_(a), root_(root), archive_size_(archive_size), options_(options), buf_(kChunk) {}

  absl::StatusOr<Extraction> Run() {
    for (;;) {
      struct archive_entry* entry = nullptr;
      int r = archive_read_next_header(a_, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return Corrupt(a_);
      if (++headers_ > options_.limits.max_members) {
        return Bomb(absl::StrCat("more than ", options_.limits.max_members,
                                 " members (cap archive_limits.max_members)"));
      }
      if (absl::Status s = Member(entry); !s.ok()) return s;
    }
    RecordFilters();
    return std::move(result_);
  }

 private:
  absl::Status Member(struct archive_entry* entry) {
    const char* stored = archive_entry_pathname(entry);
    std::string path = options_.format == ArchiveFormat::kRaw ? options_.raw_name
                       : stored                               ? stored
                                                              : "";
    Record(path, entry);
    if (path.empty()) return Skip(path, "no readable name", false);
    std::optional<std::vector<std::string>> parts = SafeComponents(path);
    if (!parts) return Skip(path, "path escapes the archive (absolute or \"..\")", true);
    if (parts->empty()) return absl::OkStatus();  // "./": the root itself
    if (archive_entry_hardlink(entry) != nullptr)
      return Skip(path, "hard link not extracted", false);

    const mode_t type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      return Skip(path, "special file (device, fifo or socket) not extracted", false);
    }
    // Walk (and create) the parent folders; the last component is the member itself.
    UniqueFd dir;
    int parent = root_;
    const size_t folders = type == AE_IFDIR ? parts->size() : parts->size() - 1;
    for (size_t i = 0; i < folders; ++i) {
      absl::StatusOr<UniqueFd> sub = OpenSubdir(parent, (*parts)[i]);
      if (!sub.ok()) return Skip(path, std::string(sub.status().message()), true);
      dir = std::move(*sub);
      parent = dir.get();
    }
    const std::string& name = parts->back();
    if (type == AE_IFDIR) {
      ++result_.members;
      return absl::OkStatus();
    }
    if (type == AE_IFLNK) {
      // Stored as a link and never followed: later members cannot be written through it.
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr) return Skip(path, "link without a target", false);
      if (CreateReplacing(parent, name, [&] { return ::symlinkat(target, parent, name.c_str()); }) <
          0) {
        return Skip(path, absl::StrCat("cannot create link: ", std::strerror(errno)), false);
      }
      ++result_.members;
      return absl::OkStatus();
    }
    int fd = CreateReplacing(parent, name, [&] {
      return ::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600);
    });
    if (fd < 0) return Skip(path, absl::StrCat("cannot create: ", std::strerror(errno)), true);
    UniqueFd out(fd);
    if (absl::Status s = CopyData(path, out.get()); !s.ok()) return s;
    ++result_.members;
    return absl::OkStatus();
  }

  // Streams the current member's data into `out`, checking the caps chunk by chunk.
  absl::Status CopyData(const std::string& path, int out) {
    const ArchiveLimits& limits = options_.limits;
    const int64_t consumed_start = archive_filter_bytes(a_, -1);
    // The member's compressed size is unknown while streaming: estimate it by the input read
    // since it began, but never below one read-ahead block (or the whole archive when smaller),
    // so read-ahead can only make the estimated ratio lower, never raise a false alarm.
    const uint64_t floor = std::max<uint64_t>(1, std::min<uint64_t>(kChunk, archive_size_));
    uint64_t written = 0;
    for (;;) {
      if (options_.cancelled && options_.cancelled()) return absl::CancelledError("cancelled");
      la_ssize_t n = archive_read_data(a_, buf_.data(), buf_.size());
      if (n < 0) return Corrupt(a_);
      if (n == 0) break;
      if (absl::Status s = WriteFully(out, std::string_view(buf_.data(), static_cast<size_t>(n)));
          !s.ok()) {
        return absl::InternalError(absl::StrCat("writing ", path, ": ", s.message()));
      }
      written += static_cast<uint64_t>(n);
      result_.bytes += static_cast<uint64_t>(n);
      uint64_t total = options_.budget->bytes.fetch_add(n) + static_cast<uint64_t>(n);
      if (total > limits.max_total_bytes) {
        return Bomb(absl::StrCat("more than ", HumanSize(limits.max_total_bytes),
                                 " decompressed (cap archive_limits.max_total_bytes)"));
      }
      if (written > limits.ratio_floor_bytes) {
        uint64_t consumed = static_cast<uint64_t>(
            std::max<int64_t>(0, archive_filter_bytes(a_, -1) - consumed_start));
        if (written / std::max(consumed, floor) > limits.max_ratio) {
          return Bomb(absl::StrCat("member ", path, " expands more than ", limits.max_ratio,
                                   " times (cap archive_limits.max_ratio)"));
        }
      }
    }
    return absl::OkStatus();
  }

  // Notes what a repack may change: the member's place, time and mode, and its compression.
  void Record(const std::string& path, struct archive_entry* entry) {
    switch (archive_format(a_) & ARCHIVE_FORMAT_BASE_MASK) {
      case ARCHIVE_FORMAT_ZIP:
        result_.format = "zip";
        break;
      case ARCHIVE_FORMAT_TAR:
        result_.format = "tar";
        break;
      default:
        result_.format = "raw";
    }
    result_.stored.push_back(StoredMember{path, archive_entry_mtime(entry),
                                          archive_entry_mtime_is_set(entry) != 0,
                                          static_cast<uint32_t>(archive_entry_perm(entry))});
    if ((archive_format(a_) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_ZIP) return;
    // libarchive names the zip format after the member's method: "ZIP 2.0 (deflation)".
    const char* format = archive_format_name(a_);
    std::string_view name = format ? format : "";
    const size_t open = name.find('(');
    if (open == std::string_view::npos || name.back() != ')') return;
    std::string_view method = name.substr(open + 1, name.size() - open - 2);
    AddCompression(method == "deflation"      ? "deflate"
                   : method == "uncompressed" ? "stored"
                                              : method);
  }

  void AddCompression(std::string_view method) {
    std::vector<std::string>& all = result_.compression;
    if (std::find(all.begin(), all.end(), method) == all.end()) {
      all.emplace_back(method);
      std::sort(all.begin(), all.end());
    }
  }

  // The compression filters of the container (tar.gz: "gzip"), once its headers are read.
  void RecordFilters() {
    for (int i = 0; i < archive_filter_count(a_); ++i) {
      const char* name = archive_filter_name(a_, i);
      if (name && std::string_view(name) != "none") AddCompression(name);
    }
  }

  absl::Status Skip(const std::string& path, std::string reason, bool unsafe) {
    result_.skipped.push_back(SkippedMember{path, std::move(reason), unsafe});
    if (archive_read_data_skip(a_) < ARCHIVE_WARN) return Corrupt(a_);
    return absl::OkStatus();
  }

  struct archive* a_;
  const int root_;
  const uint64_t archive_size_;
  const ExtractOptions& options_;
  std::vector<char> buf_;
  uint64_t headers_ = 0;
  Extraction result_;
};

}  // namespace

absl::StatusOr<Extraction> ExtractArchive(const std::filesystem::path& archive,
                                          const std::filesystem::path& dest,
                                          const ExtractOptions& options) {
  absl::StatusOr<UniqueFd> in = OpenForReading(archive);
  if (!in.ok()) return in.status();
  struct stat st {};
  if (::fstat(in->get(), &st) != 0) return Errno("cannot stat", archive.string());
  UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return Errno("cannot open", dest.string());

  ArchivePtr a(archive_read_new());
  if (!a) return absl::ResourceExhaustedError("libarchive: out of memory");
  switch (options.format) {
    case ArchiveFormat::kZip:
    case ArchiveFormat::kTar:
      // Either is read whatever the comparator that claimed the pair: a zip replaced by a
      // tarball (or named .zip while it is one) still has its members compared. A zip is read
      // through its central directory: a truncated zip (no directory) is corrupt, not short.
      archive_read_support_format_zip_seekable(a.get());
      archive_read_support_format_tar(a.get());
      archive_read_support_filter_all(a.get());
      break;
    case ArchiveFormat::kRaw:
      archive_read_support_format_raw(a.get());
      archive_read_support_filter_all(a.get());
      break;
  }
  if (archive_read_open_fd(a.get(), in->get(), kChunk) != ARCHIVE_OK) return Corrupt(a.get());
  Extractor extractor(a.get(), root.get(), static_cast<uint64_t>(st.st_size), options);
  return extractor.Run();
}

}  // namespace deltascope
