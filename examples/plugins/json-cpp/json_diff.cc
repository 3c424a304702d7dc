#include "json_diff.h"

#include <fstream>
#include <string_view>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace deltascope::json_plugin {
namespace {

using nlohmann::ordered_json;

constexpr int kMaxDepth = 256;  // deeper subtrees are compared as whole values
constexpr size_t kMaxReorderedPaths = 8;

bool IsIdentifier(const std::string& key) {
  if (key.empty() || (std::isdigit(static_cast<unsigned char>(key[0])))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

class Walker {
 public:
  Walker(size_t max_examples, const std::function<bool()>& cancelled)
      : max_examples_(max_examples), cancelled_(cancelled) {}

  bool Walk(const ordered_json& a, const ordered_json& b, const std::string& path, int depth) {
    if ((++visited_ & 0xfff) == 0 && cancelled_ && cancelled_()) return false;
    if (depth < kMaxDepth && a.is_object() && b.is_object()) return WalkObjects(a, b, path, depth);
    if (depth < kMaxDepth && a.is_array() && b.is_array()) return WalkArrays(a, b, path, depth);
    if (a != b) {
      ++diff_.values_changed;
      Example("changed", path, &a, &b);
    }
    return true;
  }

  JsonDiff Take() { return std::move(diff_); }

 private:
  bool WalkObjects(const ordered_json& a, const ordered_json& b, const std::string& path,
                   int depth) {
    // ordered_json lookups are linear: index the right side once.
    std::unordered_map<std::string_view, const ordered_json*> right;
    for (const auto& [key, value] : b.items()) right.emplace(key, &value);
    std::vector<std::string_view> common_left;
    for (const auto& [key, value] : a.items()) {
      auto it = right.find(key);
      if (it == right.end()) {
        ++diff_.keys_removed;
        Example("removed", AppendKey(path, key), &value, nullptr);
        continue;
      }
      common_left.push_back(it->first);
      if (!Walk(value, *it->second, AppendKey(path, key), depth + 1)) return false;
    }
    std::unordered_map<std::string_view, bool> left;
    for (const auto& [key, value] : a.items()) left.emplace(key, true);
    size_t common_index = 0;
    bool reordered = false;
    for (const auto& [key, value] : b.items()) {
      if (!left.count(key)) {
        ++diff_.keys_added;
        Example("added", AppendKey(path, key), nullptr, &value);
      } else if (!reordered && common_left[common_index++] != key) {
        reordered = true;
      }
    }
    if (reordered) {
      ++diff_.objects_reordered;
      if (diff_.reordered.size() < kMaxReorderedPaths) diff_.reordered.push_back(path);
    }
    return true;
  }

  bool WalkArrays(const ordered_json& a, const ordered_json& b, const std::string& path,
                  int depth) {
    size_t common = std::min(a.size(), b.size());
    for (size_t i = 0; i < common; ++i) {
      if (!Walk(a[i], b[i], absl::StrCat(path, "[", i, "]"), depth + 1)) return false;
    }
    for (size_t i = common; i < a.size(); ++i) {
      ++diff_.items_removed;
      Example("removed", absl::StrCat(path, "[", i, "]"), &a[i], nullptr);
    }
    for (size_t i = common; i < b.size(); ++i) {
      ++diff_.items_added;
      Example("added", absl::StrCat(path, "[", i, "]"), nullptr, &b[i]);
    }
    return true;
  }

  void Example(const char* change, const std::string& path, const ordered_json* before,
               const ordered_json* after) {
    if (diff_.examples.size() >= max_examples_) return;
    Change c{.change = change, .path = path};
    if (before) c.before = Abbreviate(*before);
    if (after) c.after = Abbreviate(*after);
    diff_.examples.push_back(std::move(c));
  }

  size_t max_examples_;
  const std::function<bool()>& cancelled_;
  uint64_t visited_ = 0;
  JsonDiff diff_;
};

// Canonical form of a record: keys sorted, compact.
absl::StatusOr<std::string> Canonical(std::string_view line, int64_t line_number) {
  nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return absl::FailedPreconditionError(absl::StrCat("line ", line_number, " is not JSON"));
  }
  return value.dump();
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Calls `fn(line_number, canonical_record)` for every non-blank line.
template <typename Fn>
absl::Status ForEachRecord(const std::filesystem::path& path, Fn fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (IsBlank(line)) continue;
    absl::StatusOr<std::string> record = Canonical(line, number);
    if (!record.ok()) return record.status();
    if (!fn(number, *record, line)) break;
  }
  if (in.bad()) return absl::NotFoundError(absl::StrCat("error reading ", path.string()));
  return absl::OkStatus();
}

}  // namespace

std::string AppendKey(const std::string& path, const std::string& key) {
  if (IsIdentifier(key)) return absl::StrCat(path, ".", key);
  std::string quoted;
  for (char c : key) {
    if (c == '\'' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return absl::StrCat(path, "['", quoted, "']");
}

std::string Abbreviate(const ordered_json& value, size_t limit) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "\u2026";
}

std::optional<JsonDiff> DiffDocuments(const ordered_json& left, const ordered_json& right,
                                      size_t max_examples, const std::function<bool()>& cancelled) {
  Walker walker(max_examples, cancelled);
  if (!walker.Walk(left, right, "$", 0)) return std::nullopt;
  return walker.Take();
}

absl::StatusOr<ordered_json> ParseDocument(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  ordered_json value = ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (in.bad()) return absl::NotFoundError(absl::StrCat("error reading ", path.string()));
  if (value.is_discarded()) return absl::FailedPreconditionError("not JSON");
  return value;
}

absl::StatusOr<int64_t> CountJsonLines(const std::filesystem::path& path) {
  int64_t count = 0;
  absl::Status status = ForEachRecord(path, [&](int64_t, const std::string&, const std::string&) {
    ++count;
    return true;
  });
  if (!status.ok()) return status;
  return count;
}

absl::StatusOr<JsonLinesDiff> DiffJsonLines(const std::filesystem::path& left,
                                            const std::filesystem::path& right,
                                            size_t max_examples) {
  // Pass 1: net count per record (right minus left) and an order fingerprint per side; memory
  // grows with the number of distinct records, never with line text.
  JsonLinesDiff diff;
  std::unordered_map<uint64_t, int64_t> net;
  uint64_t order[2] = {0, 0};
  std::hash<std::string> hash;
  for (int side = 0; side < 2; ++side) {
    int64_t& count = side == 0 ? diff.records_before : diff.records_after;
    absl::Status status = ForEachRecord(
        side == 0 ? left : right, [&](int64_t, const std::string& record, const std::string&) {
          uint64_t h = hash(record);
          net[h] += side == 0 ? -1 : 1;
          order[side] = order[side] * 1099511628211ULL + h;
          ++count;
          return true;
        });
    if (!status.ok()) return status;
  }
  for (const auto& [h, n] : net)
    (n > 0 ? diff.records_added : diff.records_removed) += n > 0 ? n : -n;
  diff.order_changed = diff.records_added == 0 && diff.records_removed == 0 && order[0] != order[1];

  // Pass 2: examples, the first surplus records of each side in file order.
  for (int side : {1, 0}) {
    absl::Status status = ForEachRecord(side == 0 ? left : right, [&](int64_t number,
                                                                      const std::string& record,
                                                                      const std::string& line) {
      if (diff.examples.size() >= max_examples) return false;
      int64_t& n = net[hash(record)];
      bool surplus = side == 1 ? n > 0 : n < 0;
      if (!surplus) return true;
      n += side == 1 ? -1 : 1;
      Change c{.change = side == 1 ? "added" : "removed", .path = absl::StrCat("line ", number)};
      std::string text = Abbreviate(ordered_json::parse(line));
      (side == 1 ? c.after : c.before) = std::move(text);
      diff.examples.push_back(std::move(c));
      return true;
    });
    if (!status.ok()) return status;
  }
  return diff;
}

}  // namespace deltascope::json_plugin
