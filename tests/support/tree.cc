#include "tests/support/tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "daemon/util/fd.h"

namespace deltascope::testing {

namespace {
TempDir MakeTemp() {
  absl::StatusOr<TempDir> dir = TempDir::Create("deltascope-test-");
  if (!dir.ok()) throw std::runtime_error(std::string(dir.status().message()));
  std::filesystem::permissions(dir->path(), std::filesystem::perms::all);
  return std::move(*dir);
}
}  // namespace

ScratchTree::ScratchTree() : dir_(MakeTemp()) {}

void ScratchTree::Write(const std::string& rel, const std::string& content) const {
  std::filesystem::path p = root() / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

void ScratchTree::Mkdir(const std::string& rel) const {
  std::filesystem::create_directories(root() / rel);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MakeDeep(const ScratchTree& t, const std::string& side, const std::string& name,
                     int levels, const std::string& content) {
  std::filesystem::create_directories(t / side);
  UniqueFd dir(::open((t / side).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::string rel;
  for (int i = 0; i < levels; ++i) {
    EXPECT_TRUE(::mkdirat(dir.get(), name.c_str(), 0755) == 0 || errno == EEXIST);
    dir = UniqueFd(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(dir.valid());
    absl::StrAppend(&rel, name, "/");
  }
  UniqueFd file(::openat(dir.get(), "leaf.txt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  EXPECT_TRUE(WriteFully(file.get(), content).ok());
  return rel + "leaf.txt";
}

}  // namespace deltascope::testing
