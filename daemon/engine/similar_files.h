// Line-based similarity of text files, for renamed-and-edited files: each file becomes the
// sorted multiset of its lines' hashes, and two files are as similar as the Jaccard index of
// those multisets (shared lines / all lines).
#ifndef DELTASCOPE_DAEMON_ENGINE_SIMILAR_FILES_H_
#define DELTASCOPE_DAEMON_ENGINE_SIMILAR_FILES_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace deltascope {

// The sorted 64-bit hashes of the file's lines; nothing when it cannot be read.
std::optional<std::vector<uint64_t>> LineFingerprint(const std::filesystem::path& file);

// |a ∩ b| / |a ∪ b| of two sorted multisets, from 0 to 1 (two empty sets: 0).
double LineSimilarity(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_SIMILAR_FILES_H_
