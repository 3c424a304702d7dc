#include "tests/support/tree.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

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

}  // namespace deltascope::testing
