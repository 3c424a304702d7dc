// ExtractArchive on real archives written with libarchive: safety (zip-slip, links, special
// files), caps (total bytes, ratio, member count, shared budget) and corrupt input.
#include "daemon/stdlib/archive_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "daemon/engine/comparator.h"
#include "daemon/stdlib/archive_repack.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

struct Entry {
  std::string path;
  std::string data;        // regular files
  mode_t type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFIFO
  std::string link;        // symlink target
  std::string hardlink;    // hard link target
  uint64_t zeros = 0;      // appended to data: this many zero bytes, streamed
};

Entry File(std::string path, std::string data) {
  Entry e;
  e.path = std::move(path);
  e.data = std::move(data);
  return e;
}
Entry Zeros(std::string path, uint64_t n) {
  Entry e = File(std::move(path), "");
  e.zeros = n;
  return e;
}
Entry Special(std::string path, mode_t type, std::string link = "") {
  Entry e = File(std::move(path), "");
  e.type = type;
  e.link = std::move(link);
  return e;
}
Entry HardLink(std::string path, std::string target) {
  Entry e = File(std::move(path), "");
  e.hardlink = std::move(target);
  return e;
}

// Writes `entries` as an archive: "zip", "tar", "tar.gz" or "gz" (raw gzip of the first entry).
void WriteArchive(const std::filesystem::path& path, const std::string& kind,
                  const std::vector<Entry>& entries) {
  struct archive* a = archive_write_new();
  if (kind == "zip") {
    archive_write_set_format_zip(a);
  } else if (kind == "gz") {
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
  } else {
    archive_write_set_format_pax_restricted(a);
    if (kind == "tar.gz") archive_write_add_filter_gzip(a);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  const std::string chunk(1 << 20, '\0');
  for (const Entry& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, e.type == AE_IFDIR ? 0755 : 0644);
    if (!e.link.empty()) archive_entry_set_symlink(entry, e.link.c_str());
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
    const uint64_t size = e.type == AE_IFREG && e.hardlink.empty() ? e.data.size() + e.zeros : 0;
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (size > 0) {
      archive_write_data(a, e.data.data(), e.data.size());
      for (uint64_t left = e.zeros; left > 0;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
        archive_write_data(a, chunk.data(), n);
        left -= n;
      }
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

class ArchiveExtractTest : public ::testing::Test {
 protected:
  ArchiveExtractTest() { std::filesystem::create_directory(tree_ / "out"); }

  absl::StatusOr<Extraction> Extract(const std::string& kind, const std::vector<Entry>& entries) {
    const std::filesystem::path archive = tree_ / ("in." + kind);
    WriteArchive(archive, kind, entries);
    options_.format = kind == "zip"  ? ArchiveFormat::kZip
                      : kind == "gz" ? ArchiveFormat::kRaw
                                     : ArchiveFormat::kTar;
    return ExtractArchive(archive, out(), options_);
  }
  std::filesystem::path out() const { return tree_ / "out"; }

  testing::ScratchTree tree_;
  ExtractOptions options_;
};

TEST_F(ArchiveExtractTest, ExtractsFilesAndFoldersPrivately) {
  absl::StatusOr<Extraction> x = Extract(
      "zip", {File("a/b/c.txt", "hello"), File("top.csv", "x,y\n"), Special("empty/", AE_IFDIR)});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->members, 3u);
  EXPECT_EQ(x->bytes, 9u);
  EXPECT_TRUE(x->skipped.empty());
  EXPECT_EQ(testing::ReadFile(out() / "a/b/c.txt"), "hello");
  struct stat st {};
  ASSERT_EQ(::stat((out() / "a/b/c.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((out() / "a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_TRUE(std::filesystem::is_directory(out() / "empty"));
}

TEST_F(ArchiveExtractTest, RefusesPathsThatEscapeAndKeepsTheRest) {
  absl::StatusOr<Extraction> x =
      Extract("tar", {File("../escaped.txt", "x"), File("a/../../b.txt", "x"),
                      File("/abs.txt", "x"), File("ok.txt", "ok")});
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_EQ(x->skipped.size(), 3u);
  for (const SkippedMember& m : x->skipped) EXPECT_TRUE(m.unsafe) << m.path;
  EXPECT_EQ(x->skipped[0].path, "../escaped.txt");
  EXPECT_EQ(testing::ReadFile(out() / "ok.txt"), "ok");
  EXPECT_FALSE(std::filesystem::exists(tree_ / "escaped.txt"));
  EXPECT_FALSE(std::filesystem::exists(tree_ / "b.txt"));
  EXPECT_FALSE(std::filesystem::exists("/abs.txt"));
}

TEST_F(ArchiveExtractTest, StoresLinksWithoutFollowingThem) {
  std::filesystem::create_directory(tree_ / "victim");
  absl::StatusOr<Extraction> x = Extract(
      "tar", {Special("link", AE_IFLNK, (tree_ / "victim").string()),
              File("link/planted.txt", "gotcha"), Special("rel", AE_IFLNK, "../../etc/passwd")});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_TRUE(std::filesystem::is_symlink(out() / "link"));
  EXPECT_EQ(std::filesystem::read_symlink(out() / "rel"), "../../etc/passwd");
  EXPECT_FALSE(std::filesystem::exists(tree_ / "victim" / "planted.txt"));
  ASSERT_EQ(x->skipped.size(), 1u);
  EXPECT_EQ(x->skipped[0].path, "link/planted.txt");
  EXPECT_TRUE(x->skipped[0].unsafe);
}

TEST_F(ArchiveExtractTest, SkipsHardLinksAndSpecialFiles) {
  absl::StatusOr<Extraction> x =
      Extract("tar", {File("a.txt", "a"), HardLink("b.txt", "a.txt"), Special("pipe", AE_IFIFO)});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->members, 1u);
  ASSERT_EQ(x->skipped.size(), 2u);
  EXPECT_FALSE(x->skipped[0].unsafe);
  EXPECT_FALSE(std::filesystem::exists(out() / "b.txt"));
  EXPECT_FALSE(std::filesystem::exists(out() / "pipe"));
}

TEST_F(ArchiveExtractTest, TotalCapStopsWhileStreaming) {
  options_.limits.max_total_bytes = 1 << 20;
  absl::StatusOr<Extraction> x = Extract("tar", {Zeros("big.bin", 8 << 20)});
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(DiagnosticCodeOf(x.status(), ""), kArchiveBombCode);
  EXPECT_NE(x.status().message().find("max_total_bytes"), std::string::npos);
  // Stopped within one chunk of the cap, not after extracting the member.
  EXPECT_LT(std::filesystem::file_size(out() / "big.bin"), (1u << 20) + (64u << 10) + 1);
}

TEST_F(ArchiveExtractTest, RatioCapCatchesHighlyCompressedMember) {
  options_.limits.ratio_floor_bytes = 1 << 20;
  options_.limits.max_ratio = 100;
  absl::StatusOr<Extraction> x = Extract("tar.gz", {Zeros("zeros.bin", 32 << 20)});
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(DiagnosticCodeOf(x.status(), ""), kArchiveBombCode);
  EXPECT_NE(x.status().message().find("zeros.bin"), std::string::npos) << x.status();
  EXPECT_NE(x.status().message().find("max_ratio"), std::string::npos);
}

TEST_F(ArchiveExtractTest, RatioCapSparesOrdinaryData) {
  options_.limits.ratio_floor_bytes = 1 << 10;
  options_.limits.max_ratio = 100;
  std::string text;
  for (uint64_t i = 0; text.size() < (4 << 20); ++i) text += std::to_string(i * 7919) + ",row\n";
  absl::StatusOr<Extraction> x = Extract("tar.gz", {File("data.csv", text)});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->bytes, text.size());
}

TEST_F(ArchiveExtractTest, MemberCountCap) {
  options_.limits.max_members = 3;
  absl::StatusOr<Extraction> x = Extract(
      "zip", {File("1", "1"), File("2", "2"), File("3", "3"), File("4", "4"), File("5", "5")});
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(DiagnosticCodeOf(x.status(), ""), kArchiveBombCode);
  EXPECT_NE(x.status().message().find("max_members"), std::string::npos);
}

TEST_F(ArchiveExtractTest, SharedBudgetCoversNestedExtractions) {
  options_.limits.max_total_bytes = 3 << 20;
  options_.budget->bytes = 2 << 20;  // already spent by an enclosing archive
  absl::StatusOr<Extraction> x = Extract("zip", {File("m.bin", std::string(2 << 20, 'x'))});
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(DiagnosticCodeOf(x.status(), ""), kArchiveBombCode);
}

TEST_F(ArchiveExtractTest, RawGzipBecomesOneNamedFile) {
  options_.raw_name = "data.csv";
  absl::StatusOr<Extraction> x = Extract("gz", {File("ignored", "a,b\n1,2\n")});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(testing::ReadFile(out() / "data.csv"), "a,b\n1,2\n");
}

TEST_F(ArchiveExtractTest, CorruptAndTruncatedArchives) {
  const std::filesystem::path tgz = tree_ / "t.tar.gz";
  WriteArchive(tgz, "tar.gz", {File("a.txt", std::string(100000, 'a') + "tail")});
  std::filesystem::resize_file(tgz, std::filesystem::file_size(tgz) / 2);
  options_.format = ArchiveFormat::kTar;
  absl::StatusOr<Extraction> x = ExtractArchive(tgz, out(), options_);
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(DiagnosticCodeOf(x.status(), ""), kArchiveCorruptCode) << x.status();

  tree_.Write("junk.zip", std::string("PK\x03\x04", 4) + std::string(200, '\x7f'));
  options_.format = ArchiveFormat::kZip;
  x = ExtractArchive(tree_ / "junk.zip", out(), options_);
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(DiagnosticCodeOf(x.status(), ""), kArchiveCorruptCode) << x.status();
}

}  // namespace
}  // namespace deltascope

namespace deltascope {
namespace {

TEST_F(ArchiveExtractTest, RecordsWhatARepackMayChange) {
  absl::StatusOr<Extraction> zip = Extract("zip", {File("b.txt", "b\n"), File("a.txt", "a\n")});
  ASSERT_TRUE(zip.ok()) << zip.status();
  ASSERT_EQ(zip->stored.size(), 2u);
  EXPECT_EQ(zip->stored[0].path, "b.txt");  // archive order, not name order
  EXPECT_EQ(zip->stored[1].path, "a.txt");
  EXPECT_EQ(zip->stored[0].permissions, 0644u);
  EXPECT_EQ(zip->compression, std::vector<std::string>{"deflate"});
  EXPECT_EQ(zip->format, "zip");
  absl::StatusOr<Extraction> tgz = Extract("tar.gz", {File("a.txt", "a\n")});
  ASSERT_TRUE(tgz.ok()) << tgz.status();
  EXPECT_EQ(tgz->compression, std::vector<std::string>{"gzip"});
  EXPECT_EQ(tgz->format, "tar");
  // A tarball where a zip was expected is read all the same.
  options_.format = ArchiveFormat::kZip;
  absl::StatusOr<Extraction> swapped = ExtractArchive(tree_ / "in.tar.gz", out(), options_);
  ASSERT_TRUE(swapped.ok()) << swapped.status();
  EXPECT_EQ(swapped->format, "tar");
  absl::StatusOr<Extraction> tar = Extract("tar", {File("a.txt", "a\n")});
  ASSERT_TRUE(tar.ok()) << tar.status();
  EXPECT_TRUE(tar->compression.empty());
}

Extraction Stored(std::vector<StoredMember> members, std::vector<std::string> compression = {}) {
  Extraction e;
  e.stored = std::move(members);
  e.compression = std::move(compression);
  return e;
}

TEST(RepackTest, SaysWhatDiffers) {
  const StoredMember a{"a.txt", 100, true, 0644};
  const StoredMember b{"b.txt", 100, true, 0644};
  StoredMember a_later = a, b_exec = b;
  a_later.mtime = 200;
  b_exec.permissions = 0755;
  EXPECT_TRUE(RepackDifferences(Stored({a, b}), Stored({a, b})).empty());
  EXPECT_EQ(RepackDifferences(Stored({a, b}), Stored({b, a})),
            std::vector<std::string>{"member order"});
  EXPECT_EQ(RepackDifferences(Stored({a, b}), Stored({a_later, b_exec})),
            (std::vector<std::string>{"timestamps", "permissions"}));
  EXPECT_EQ(RepackDifferences(Stored({a, b}), Stored({StoredMember{"dir/", 0, false, 0755}, a, b})),
            std::vector<std::string>{"folder entries"});
  EXPECT_EQ(RepackDifferences(Stored({a}, {"gzip"}), Stored({a})),
            std::vector<std::string>{"compression"});
  Extraction as_tar = Stored({a});
  as_tar.format = "tar";
  EXPECT_EQ(RepackDifferences(Stored({a}), as_tar), std::vector<std::string>{"format"});

  DiffNode node =
      RepackedNode(Stored({a, b}, {"deflate"}), Stored({b, a}, {"stored"}), "zip_archive", "zip");
  EXPECT_EQ(node.summary(),
            "Repacked with identical contents (member order, compression deflate → stored)");
  EXPECT_EQ(node.action(), "modify");
  EXPECT_EQ(node.details().fields().at("compression_before").string_value(), "deflate");
  EXPECT_EQ(RepackedNode(Stored({a}), Stored({a}), "zip_archive", "zip").summary(),
            "Repacked with identical contents (compression level or metadata)");
}

}  // namespace
}  // namespace deltascope
