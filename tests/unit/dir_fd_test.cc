// DirFd and the items listed through it (Item::FromDirEntry) on real folders: listing, opening
// relative to the folder, refusing links and odd names, and the same facts and hashes as items
// described by their full paths.
#include "daemon/util/dir_fd.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/item.h"
#include "tests/support/tree.h"

namespace deltascope {
namespace {

using testing::ScratchTree;

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

TEST(DirFdTest, ListsEveryEntryButDotAndDotDotAgainAndAgain) {
  ScratchTree t;
  t.Write("d/b.txt", "b");
  t.Write("d/a.txt", "a");
  t.Mkdir("d/sub");
  ASSERT_EQ(::symlink("a.txt", (t / "d/link").c_str()), 0);
  absl::StatusOr<DirFd> dir = DirFd::Open(t / "d");
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->path(), t / "d");
  const std::vector<std::string> expected = {"a.txt", "b.txt", "link", "sub"};
  for (int round = 0; round < 2; ++round) {  // a second listing starts over
    absl::StatusOr<std::vector<std::string>> names = dir->ListNames();
    ASSERT_TRUE(names.ok()) << names.status();
    EXPECT_EQ(Sorted(*names), expected);
  }
}

TEST(DirFdTest, ListsFoldersLargerThanOneBatch) {
  ScratchTree t;
  t.Mkdir("big");
  std::vector<std::string> expected;
  for (int i = 0; i < 3000; ++i) {  // ~3000 × 40 bytes of records: several getdents64 calls
    expected.push_back(absl::StrCat("entry-with-a-longer-name-", 10000 + i));
    t.Write(absl::StrCat("big/", expected.back()), "");
  }
  absl::StatusOr<DirFd> dir = DirFd::Open(t / "big");
  ASSERT_TRUE(dir.ok()) << dir.status();
  absl::StatusOr<std::vector<std::string>> names = dir->ListNames();
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(Sorted(*names), Sorted(expected));
}

TEST(DirFdTest, OpensEntriesRelativeToTheFolderOnly) {
  ScratchTree t;
  t.Write("d/inner/x.txt", "x");
  t.Write("outside/secret.txt", "s");
  ASSERT_EQ(::symlink("../outside", (t / "d/up").c_str()), 0);
  absl::StatusOr<DirFd> d = DirFd::Open(t / "d");
  ASSERT_TRUE(d.ok()) << d.status();

  absl::StatusOr<DirFd> inner = DirFd::OpenAt(*d, "inner", t / "d/inner");
  ASSERT_TRUE(inner.ok()) << inner.status();
  absl::StatusOr<std::vector<std::string>> names = inner->ListNames();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"x.txt"});

  // A link to a folder is never followed, neither by name nor as a snapshot path.
  absl::StatusOr<DirFd> up = DirFd::OpenAt(*d, "up", t / "d/up");
  ASSERT_FALSE(up.ok());
  EXPECT_TRUE(absl::StrContains(up.status().message(),
                                absl::StrCat("cannot list ", (t / "d/up").string(), ": ")))
      << up.status();
  EXPECT_FALSE(DirFd::Open(t / "d/up").ok());
  // Only single entry names: no way out of the folder.
  for (const char* bad : {"..", ".", "", "inner/../../outside", "/etc"}) {
    EXPECT_FALSE(DirFd::OpenAt(*d, bad, t / "d" / bad).ok()) << bad;
  }
  // Missing and unreadable folders: the path and the reason.
  absl::StatusOr<DirFd> gone = DirFd::OpenAt(*d, "gone", t / "d/gone");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().message(),
            absl::StrCat("cannot list ", (t / "d/gone").string(), ": No such file or directory"));
}

// Files of 0 bytes, under, at and over one read buffer (64 KiB) and several buffers: hashed
// relative to the folder, they hash as when read through their full path (XXH3-128 of the bytes).
TEST(DirFdTest, ItemsListedThroughTheFolderMatchItemsFromPaths) {
  ScratchTree t;
  std::vector<std::pair<std::string, std::string>> files;
  for (size_t size : std::vector<size_t>{0, 1, 130, 65535, 65536, 65537, 200000}) {
    std::string content(size, '\0');
    for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    files.emplace_back(absl::StrCat("f", size), content);
    t.Write(absl::StrCat("d/", files.back().first), content);
  }
  ASSERT_EQ(::symlink("f1", (t / "d/link").c_str()), 0);
  auto dir = std::make_shared<DirFd>(*DirFd::Open(t / "d"));
  for (const auto& [name, content] : files) {
    absl::StatusOr<std::shared_ptr<Item>> listed = Item::FromDirEntry(dir, name, t / "d" / name);
    absl::StatusOr<std::shared_ptr<Item>> by_path = Item::FromPath(t / "d" / name);
    ASSERT_TRUE(listed.ok() && by_path.ok()) << listed.status() << by_path.status();
    EXPECT_TRUE((*listed)->is_file());
    EXPECT_EQ((*listed)->size(), content.size());
    EXPECT_EQ((*listed)->physical(), t / "d" / name);
    absl::StatusOr<ContentHash> a = (*listed)->Hash();
    absl::StatusOr<ContentHash> b = (*by_path)->Hash();
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
    XXH128_hash_t expected = XXH3_128bits(content.data(), content.size());
    EXPECT_EQ(*a, (ContentHash{expected.high64, expected.low64})) << name;
    EXPECT_EQ(*a, *b) << name;
    EXPECT_EQ((*listed)->MediaType(), (*by_path)->MediaType()) << name;
  }
  absl::StatusOr<std::shared_ptr<Item>> link = Item::FromDirEntry(dir, "link", t / "d/link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ((*link)->kind(), ItemKind::kSymlink);
  EXPECT_EQ((*link)->link_target(), "f1");
  absl::StatusOr<std::shared_ptr<Item>> gone = Item::FromDirEntry(dir, "gone", t / "d/gone");
  EXPECT_TRUE(absl::IsNotFound(gone.status())) << gone.status();
}

// While its folder is open an item is read through it, wherever the folder has gone since;
// afterwards through its full path.
TEST(DirFdTest, ItemsOutliveTheirFolderDescriptor) {
  ScratchTree t;
  t.Write("d/early.txt", "early");
  t.Write("d/late.txt", "late");
  auto dir = std::make_shared<DirFd>(*DirFd::Open(t / "d"));
  std::shared_ptr<Item> early = *Item::FromDirEntry(dir, "early.txt", t / "d/early.txt");
  std::shared_ptr<Item> late = *Item::FromDirEntry(dir, "late.txt", t / "d/late.txt");
  std::filesystem::rename(t / "d", t / "renamed");
  EXPECT_TRUE(early->Hash().ok()) << early->Hash().status();  // through the open folder
  dir.reset();
  absl::StatusOr<ContentHash> by_path = late->Hash();  // the folder is closed: by path, gone
  ASSERT_FALSE(by_path.ok());
  EXPECT_TRUE(absl::StrContains(by_path.status().message(), (t / "d/late.txt").string()));
  std::filesystem::rename(t / "renamed", t / "d");
  std::shared_ptr<Item> again = *Item::FromPath(t / "d/late.txt");
  EXPECT_TRUE(again->Hash().ok());
}

// Past PATH_MAX an entry is still described and hashed: it keeps its folder open, so it stays
// reachable after the walk has let the folder go.
TEST(DirFdTest, EntriesPastPathMaxStayReachableThroughTheirFolder) {
  ScratchTree t;
  t.Write("d/x.txt", "x");
  auto dir = std::make_shared<DirFd>(*DirFd::Open(t / "d"));
  std::string long_path = (t / "d").string();
  while (long_path.size() < PATH_MAX) long_path += "/" + std::string(200, 'y');
  absl::StatusOr<std::shared_ptr<Item>> item =
      Item::FromDirEntry(dir, "x.txt", std::filesystem::path(long_path) / "x.txt");
  ASSERT_TRUE(item.ok()) << item.status();
  dir.reset();  // the walk is done with the folder; the deep item still holds it
  EXPECT_EQ((*item)->size(), 1u);
  EXPECT_TRUE((*item)->Hash().ok());
}

}  // namespace
}  // namespace deltascope
