#include "daemon/engine/similar_files.h"

#include <xxhash.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace deltascope {

std::optional<std::vector<uint64_t>> LineFingerprint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<uint64_t> hashes;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF and LF lines are equal
    hashes.push_back(XXH3_64bits(line.data(), line.size()));
  }
  if (in.bad()) return std::nullopt;
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}

double LineSimilarity(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t shared = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++shared, ++i, ++j;
    }
  }
  size_t all = a.size() + b.size() - shared;
  return all == 0 ? 0.0 : static_cast<double>(shared) / static_cast<double>(all);
}

}  // namespace deltascope
