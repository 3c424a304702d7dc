// The archive extractor on arbitrary files: the first byte picks the format (zip, tar and its
// compressions, one raw compressed stream), the rest is written to disk as the archive and
// extracted under small caps. Errors are fine; crashes, escapes and hangs are not.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "daemon/stdlib/archive_extract.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace fs = std::filesystem;
  const fs::path& scratch = deltascope::fuzz::ScratchDir();
  const fs::path archive = scratch / "input.archive";
  const fs::path dest = scratch / "out";
  std::error_code ec;
  fs::remove_all(dest, ec);
  fs::create_directory(dest, ec);
  {
    std::ofstream out(archive, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  deltascope::ExtractOptions options;
  static constexpr deltascope::ArchiveFormat kFormats[] = {deltascope::ArchiveFormat::kZip,
                                                           deltascope::ArchiveFormat::kTar,
                                                           deltascope::ArchiveFormat::kRaw};
  options.format = kFormats[data[0] % 3];
  options.raw_name = "member";
  options.limits.max_total_bytes = 4u << 20;
  options.limits.ratio_floor_bytes = 1u << 20;
  options.limits.max_members = 512;
  absl::StatusOr<deltascope::Extraction> extraction =
      deltascope::ExtractArchive(archive, dest, options);
  if (!extraction.ok()) (void)extraction.status().message();
  // Nothing may land outside dest (zip-slip): the scratch folder holds only these two.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(scratch, ec)) {
    (void)entry;
    ++entries;
  }
  if (entries > 2) __builtin_trap();
  fs::remove_all(dest, ec);
  return 0;
}
