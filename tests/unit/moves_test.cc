// Move and copy detection, through the real engine and stdlib comparators on trees on disk.
#include "daemon/engine/moves.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/stdlib_diff.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using testing::ScratchTree;

class MovesTest : public ::testing::Test {
 protected:
  // Diffs a/ against b/ of the scratch tree.
  changeset::v1::Changeset Diff(bool detect_moves = true) {
    DiffOptions options;
    options.jobs = 2;
    options.detect_moves = detect_moves;
    absl::StatusOr<changeset::v1::Changeset> cs = testing::DiffWithStdlib(tree_, options);
    EXPECT_TRUE(cs.ok()) << cs.status();
    return cs.ok() ? *cs : changeset::v1::Changeset();
  }

  ScratchTree tree_;
};

// Every node of the tree, depth first.
std::vector<const DiffNode*> AllNodes(const changeset::v1::Changeset& cs) {
  std::vector<const DiffNode*> out;
  std::function<void(const DiffNode&)> walk = [&](const DiffNode& n) {
    out.push_back(&n);
    for (const DiffNode& c : n.children()) walk(c);
  };
  if (cs.has_root()) walk(cs.root());
  return out;
}

std::vector<const DiffNode*> WithAction(const changeset::v1::Changeset& cs,
                                        const std::string& action) {
  std::vector<const DiffNode*> out;
  for (const DiffNode* n : AllNodes(cs)) {
    if (n->action() == action) out.push_back(n);
  }
  return out;
}

bool HasTag(const DiffNode& node, const std::string& tag) {
  return std::find(node.tags().begin(), node.tags().end(), tag) != node.tags().end();
}

const std::string kRows = "id,name\n1,alpha\n2,beta\n3,gamma\n";

// Writes a zip holding `members` (name, content), creating parent folders.
void WriteZip(const std::filesystem::path& path,
              const std::vector<std::pair<std::string, std::string>>& members) {
  std::filesystem::create_directories(path.parent_path());
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& [name, content] : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST_F(MovesTest, AddAndRemoveWithEqualContentIsOneMove) {
  tree_.Write("a/old/name.csv", kRows);
  tree_.Write("a/keep.txt", "kept\n");
  tree_.Write("b/new/name.csv", kRows);
  tree_.Write("b/new/extra.txt", "not in old/, so old/ was not renamed to new/\n");
  tree_.Write("b/keep.txt", "kept\n");
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "new/name.csv");
  EXPECT_EQ(moves[0]->source_path(), "old/name.csv");
  EXPECT_TRUE(HasTag(*moves[0], "file-move"));
  EXPECT_EQ(moves[0]->children_size(), 0);
  // The remove node is gone; the folders themselves were still added and removed.
  for (const DiffNode* n : AllNodes(cs)) {
    EXPECT_NE(n->path(), "old/name.csv") << cs.DebugString();
  }
}

TEST_F(MovesTest, WithoutDetectionAddAndRemoveStay) {
  tree_.Write("a/x.csv", kRows);
  tree_.Write("b/y.csv", kRows);
  changeset::v1::Changeset cs = Diff(/*detect_moves=*/false);
  EXPECT_TRUE(WithAction(cs, "move").empty());
  EXPECT_EQ(WithAction(cs, "add").size(), 1u);
  EXPECT_EQ(WithAction(cs, "remove").size(), 1u);
}

TEST_F(MovesTest, RenameInPlaceLeavesOnlyTheMove) {
  tree_.Write("a/x.csv", kRows);
  tree_.Write("b/y.csv", kRows);
  changeset::v1::Changeset cs = Diff();
  ASSERT_TRUE(cs.has_root());
  ASSERT_EQ(cs.root().children_size(), 1) << cs.DebugString();
  EXPECT_EQ(cs.root().children(0).action(), "move");
  EXPECT_EQ(cs.root().children(0).path(), "y.csv");
  EXPECT_EQ(cs.root().children(0).source_path(), "x.csv");
}

TEST_F(MovesTest, AddedCopyOfAnUnchangedFileIsACopy) {
  tree_.Write("a/data/base.csv", kRows);
  tree_.Write("b/data/base.csv", kRows);
  tree_.Write("b/backup/base-copy.csv", kRows);
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> copies = WithAction(cs, "copy");
  ASSERT_EQ(copies.size(), 1u) << cs.DebugString();
  EXPECT_EQ(copies[0]->path(), "backup/base-copy.csv");
  EXPECT_EQ(copies[0]->source_path(), "data/base.csv");
  EXPECT_TRUE(HasTag(*copies[0], "file-copy"));
  EXPECT_TRUE(WithAction(cs, "move").empty());
}

TEST_F(MovesTest, OneRemovedTwoAddedIsAMoveAndACopy) {
  tree_.Write("a/orig.txt", "same bytes\n");
  tree_.Write("b/first.txt", "same bytes\n");
  tree_.Write("b/second.txt", "same bytes\n");
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  std::vector<const DiffNode*> copies = WithAction(cs, "copy");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  ASSERT_EQ(copies.size(), 1u) << cs.DebugString();
  // Path order decides: the first added path is the move.
  EXPECT_EQ(moves[0]->path(), "first.txt");
  EXPECT_EQ(copies[0]->path(), "second.txt");
  EXPECT_EQ(copies[0]->source_path(), "orig.txt");
  EXPECT_TRUE(WithAction(cs, "remove").empty());
  EXPECT_TRUE(WithAction(cs, "add").empty());
}

TEST_F(MovesTest, RenamedFolderOfFiftyFilesIsOneFolderMove) {
  for (int i = 0; i < 50; ++i) {
    const std::string name = absl::StrCat("f", i, ".txt");
    const std::string content = absl::StrCat("file number ", i, "\n");
    tree_.Write(absl::StrCat("a/reports-2024/", i % 2 ? "odd/" : "", name), content);
    tree_.Write(absl::StrCat("b/reports/", i % 2 ? "odd/" : "", name), content);
  }
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "reports");
  EXPECT_EQ(moves[0]->source_path(), "reports-2024");
  EXPECT_EQ(moves[0]->item_type(), "directory");
  EXPECT_TRUE(HasTag(*moves[0], "folder-move"));
  EXPECT_EQ(moves[0]->children_size(), 0);
  EXPECT_EQ(AllNodes(cs).size(), 2u) << cs.DebugString();  // the root and the move
}

TEST_F(MovesTest, FolderWithOneEditedFileIsNotAFolderMove) {
  tree_.Write("a/old/one.txt", "one\n");
  tree_.Write("a/old/two.txt", "two\n");
  tree_.Write("b/new/one.txt", "one\n");
  tree_.Write("b/new/two.txt", "two, edited\n");
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "new/one.txt");
  EXPECT_TRUE(HasTag(*moves[0], "file-move"));
}

TEST_F(MovesTest, MoveWithEditIsOneMoveThatTheDataComparatorDescribes) {
  tree_.Write("a/x.csv", kRows);
  tree_.Write("b/y.csv", kRows + "4,delta\n");
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->source_path(), "x.csv");
  EXPECT_EQ(moves[0]->comparator(), "csv");
  EXPECT_EQ(moves[0]->summary(), "Moved and edited: 1 row added");
  EXPECT_TRUE(WithAction(cs, "copy").empty());
  EXPECT_TRUE(WithAction(cs, "add").empty());
  EXPECT_TRUE(WithAction(cs, "remove").empty());
}

TEST_F(MovesTest, FileMovedOutOfAnArchiveIsAMove) {
  // The member is hashed while its extraction folder exists; the match happens afterwards.
  WriteZip(tree_ / "a/bundle.zip", {{"data.csv", kRows}, {"keep.txt", "kept\n"}});
  WriteZip(tree_ / "b/bundle.zip", {{"keep.txt", "kept\n"}});
  tree_.Write("b/extracted/data.csv", kRows);
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "extracted/data.csv");
  EXPECT_EQ(moves[0]->source_path(), "bundle.zip/data.csv");
  EXPECT_TRUE(WithAction(cs, "remove").empty()) << cs.DebugString();
}

TEST_F(MovesTest, RenamedArchiveIsOneMoveWithoutItsMembers) {
  WriteZip(tree_ / "a/v1.zip", {{"x.csv", kRows}, {"y.txt", "why\n"}});
  std::filesystem::create_directories(tree_ / "b");
  std::filesystem::copy_file(tree_ / "a/v1.zip", tree_ / "b/v2.zip");
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "v2.zip");
  EXPECT_EQ(moves[0]->source_path(), "v1.zip");
  EXPECT_EQ(moves[0]->children_size(), 0);
  EXPECT_EQ(AllNodes(cs).size(), 2u) << cs.DebugString();
}

TEST_F(MovesTest, EmptyFilesNeverMatch) {
  tree_.Write("a/empty-a", "");
  tree_.Write("b/empty-b", "");
  changeset::v1::Changeset cs = Diff();
  EXPECT_TRUE(WithAction(cs, "move").empty()) << cs.DebugString();
}

// Twenty numbered lines, with line `edited` replaced.
std::string Lines(int edited = -1) {
  std::string out;
  for (int i = 0; i < 20; ++i) absl::StrAppend(&out, i == edited ? "edited" : "line", " ", i, "\n");
  return out;
}

TEST_F(MovesTest, RenamedAndEditedTextFileIsOneMoveDescribingTheEdit) {
  tree_.Write("a/docs/report.txt", Lines());
  tree_.Write("b/notes/summary.txt", Lines(5) + "one more\n");
  tree_.Write("a/gone.txt", "nothing in common\n");
  tree_.Write("b/new.txt", "with anything else\n");
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "notes/summary.txt");
  EXPECT_EQ(moves[0]->source_path(), "docs/report.txt");
  EXPECT_EQ(moves[0]->comparator(), "text");
  EXPECT_EQ(moves[0]->summary(), "Moved and edited: 2 lines added, 1 removed");
  EXPECT_EQ(moves[0]->details().fields().at("similarity_percent").number_value(), 86);
  // Dissimilar files stay an addition and a removal.
  EXPECT_EQ(WithAction(cs, "add").size(), 2u);     // notes/ (the folder) and new.txt
  EXPECT_EQ(WithAction(cs, "remove").size(), 2u);  // docs/ and gone.txt
  EXPECT_TRUE(WithAction(Diff(/*detect_moves=*/false), "move").empty());
}

TEST_F(MovesTest, MostSimilarPairsWinAndExtensionsMustAgree) {
  tree_.Write("a/one.txt", Lines());
  tree_.Write("b/close.txt", Lines(3));  // 18 of 22 lines shared
  tree_.Write("b/far.txt", Lines(3) + "x\ny\nz\n");
  tree_.Write("b/other.md", Lines(4));  // as similar, but another extension: a new file
  changeset::v1::Changeset cs = Diff();
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  ASSERT_EQ(moves.size(), 1u) << cs.DebugString();
  EXPECT_EQ(moves[0]->path(), "close.txt");
  EXPECT_EQ(moves[0]->source_path(), "one.txt");
}

TEST_F(MovesTest, SameResultWhateverTheThreadOrder) {
  for (int i = 0; i < 20; ++i) {
    tree_.Write(absl::StrCat("a/src", i, ".txt"), absl::StrCat("content ", i % 5, "\n"));
    tree_.Write(absl::StrCat("b/dst", i, ".txt"), absl::StrCat("content ", i % 5, "\n"));
  }
  const std::string first = Diff().DebugString();
  for (int run = 0; run < 5; ++run) EXPECT_EQ(Diff().DebugString(), first);
  // 5 distinct contents, each removed 4 times and added 4 times: 20 moves (one per pair).
  EXPECT_EQ(WithAction(Diff(), "move").size(), 20u);
}

}  // namespace
}  // namespace deltascope

namespace deltascope {
namespace {

const DiffNode* NodeAt(const changeset::v1::Changeset& cs, const std::string& path) {
  for (const DiffNode* n : AllNodes(cs)) {
    if (n->path() == path) return n;
  }
  return nullptr;
}

// The one move of `cs`, checked to go from `source` to `path` and say `summary`.
const DiffNode* OnlyMove(const changeset::v1::Changeset& cs, const std::string& path,
                         const std::string& source, const std::string& summary) {
  std::vector<const DiffNode*> moves = WithAction(cs, "move");
  EXPECT_EQ(moves.size(), 1u) << cs.DebugString();
  if (moves.size() != 1) return nullptr;
  EXPECT_EQ(moves[0]->path(), path);
  EXPECT_EQ(moves[0]->source_path(), source);
  EXPECT_EQ(moves[0]->summary(), summary);
  return moves[0];
}

TEST_F(MovesTest, RenamedAndEditedArchiveMemberIsOneMoveAsInAFolder) {
  // The members are kept past their extraction for the similarity pass.
  WriteZip(tree_ / "a/bundle.zip", {{"docs/report.txt", Lines()}, {"keep.txt", "kept\n"}});
  WriteZip(tree_ / "b/bundle.zip",
           {{"notes/summary.txt", Lines(5) + "one more\n"}, {"keep.txt", "kept\n"}});
  changeset::v1::Changeset cs = Diff();
  const DiffNode* move = OnlyMove(cs, "bundle.zip/notes/summary.txt", "bundle.zip/docs/report.txt",
                                  "Moved and edited: 2 lines added, 1 removed");
  ASSERT_NE(move, nullptr);
}

TEST_F(MovesTest, ArchiveUnpackedIntoAFolderIsOneMoveComparingContents) {
  WriteZip(tree_ / "a/data.zip", {{"x.csv", kRows}, {"docs/report.txt", Lines()}});
  tree_.Write("b/data/x.csv", kRows + "4,delta\n");
  tree_.Write("b/data/notes/summary.txt", Lines(5) + "one more\n");
  changeset::v1::Changeset cs = Diff();
  const DiffNode* data = NodeAt(cs, "data");
  ASSERT_NE(data, nullptr) << cs.DebugString();
  EXPECT_EQ(data->action(), "move");
  EXPECT_EQ(data->source_path(), "data.zip");
  EXPECT_EQ(data->summary(), "Zip archive unpacked into a folder");
  EXPECT_TRUE(HasTag(*data, "format-change"));
  EXPECT_EQ(NodeAt(cs, "data.zip"), nullptr) << "not also removed: " << cs.DebugString();
  const DiffNode* csv = NodeAt(cs, "data/x.csv");
  ASSERT_NE(csv, nullptr) << cs.DebugString();
  EXPECT_EQ(csv->summary(), "1 row added");
  // Moves inside it name their old path, inside the archive.
  const DiffNode* summary = NodeAt(cs, "data/notes/summary.txt");
  ASSERT_NE(summary, nullptr) << cs.DebugString();
  EXPECT_EQ(summary->action(), "move");
  EXPECT_EQ(summary->source_path(), "data.zip/docs/report.txt");
}

TEST_F(MovesTest, FolderPackedIntoAnArchiveWithTheSameFilesIsOneClericalMove) {
  tree_.Write("a/tables/x.csv", kRows);
  WriteZip(tree_ / "b/tables.zip", {{"x.csv", kRows}});
  changeset::v1::Changeset cs = Diff();
  const DiffNode* move =
      OnlyMove(cs, "tables.zip", "tables", "Folder packed into a zip archive (identical contents)");
  ASSERT_NE(move, nullptr);
  EXPECT_EQ(move->children_size(), 0);
  EXPECT_EQ(AllNodes(cs).size(), 2u) << cs.DebugString();
}

TEST_F(MovesTest, RenamedAndRepackedArchiveIsOneMoveAsARenamedFolder) {
  WriteZip(tree_ / "a/v1.zip", {{"x.csv", kRows}, {"y.txt", "why\n"}});
  WriteZip(tree_ / "b/v2.zip", {{"y.txt", "why\n"}, {"x.csv", kRows}});  // other order
  changeset::v1::Changeset cs = Diff();
  const DiffNode* move =
      OnlyMove(cs, "v2.zip", "v1.zip", "Moved and repacked with identical contents (2 files)");
  ASSERT_NE(move, nullptr);
  EXPECT_EQ(AllNodes(cs).size(), 2u) << cs.DebugString();
}

TEST_F(MovesTest, AFileThatIsNoArchiveAndAFolderOfItsStemStayApart) {
  tree_.Write("a/notes.txt", Lines());
  tree_.Write("b/notes/a.txt", Lines());
  changeset::v1::Changeset cs = Diff();
  EXPECT_EQ(NodeAt(cs, "notes")->action(), "add") << cs.DebugString();
  EXPECT_EQ(NodeAt(cs, "notes.txt"), nullptr) << "moved into notes/a.txt: " << cs.DebugString();
  EXPECT_EQ(NodeAt(cs, "notes/a.txt")->source_path(), "notes.txt");
}

}  // namespace
}  // namespace deltascope
