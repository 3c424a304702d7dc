// Building snapshot trees on disk for tests.
#ifndef DELTASCOPE_TESTS_SUPPORT_TREE_H_
#define DELTASCOPE_TESTS_SUPPORT_TREE_H_

#include <filesystem>
#include <string>

#include "daemon/util/temp_dir.h"

namespace deltascope::testing {

// A scratch directory for one test, removed afterwards. World-readable so that tests can run
// the binary as an unprivileged user.
class ScratchTree {
 public:
  ScratchTree();
  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path operator/(const std::string& rel) const { return root() / rel; }

  // Writes `content` at root/rel, creating parent folders.
  void Write(const std::string& rel, const std::string& content) const;
  void Mkdir(const std::string& rel) const;

 private:
  TempDir dir_;
};

// Creates `levels` nested folders named `name` under t/side and a file "leaf.txt" holding
// `content` at the bottom, one level at a time (relative to an open folder: no path length
// limit); returns the logical path of that file ("name/name/.../leaf.txt").
std::string MakeDeep(const ScratchTree& t, const std::string& side, const std::string& name,
                     int levels, const std::string& content);

// Reads a whole file ("" when missing).
std::string ReadFile(const std::filesystem::path& path);

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_TREE_H_
