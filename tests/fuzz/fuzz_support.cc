#include "tests/fuzz/fuzz_support.h"

#include <stdlib.h>

#include <cstdlib>
#include <string>
#include <system_error>

namespace deltascope::fuzz {
namespace {

// Removes the folder when the fuzzer exits normally (-max_total_time, -runs).
struct Scratch {
  Scratch() {
    std::error_code ec;
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "deltascope-fuzz-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path = pattern;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

}  // namespace

const std::filesystem::path& ScratchDir() {
  static const Scratch scratch;
  return scratch.path;
}

}  // namespace deltascope::fuzz
