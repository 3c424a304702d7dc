// Shared by the fuzz targets: a scratch folder that lives as long as the fuzzing process.
#ifndef DELTASCOPE_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define DELTASCOPE_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <filesystem>

namespace deltascope::fuzz {

// A private folder under $TMPDIR, created on first use and removed at exit.
const std::filesystem::path& ScratchDir();

}  // namespace deltascope::fuzz

#endif  // DELTASCOPE_TESTS_FUZZ_FUZZ_SUPPORT_H_
