#include "daemon/stdlib/json_match.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace deltascope {
namespace {

constexpr size_t kMaxKeyValueBytes = 256;

// The last word of a member name, lower-cased: "country_id" → "id", "userId" → "id".
std::string LastWord(std::string_view name) {
  size_t start = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_' || c == '-' || c == ' ' || c == '.') {
      if (i + 1 < name.size()) start = i + 1;
    } else if (absl::ascii_isupper(c) && absl::ascii_islower(name[i - 1])) {
      start = i;
    }
  }
  return absl::AsciiStrToLower(std::string(name.substr(start)));
}

// A value an identifying member may hold: a non-blank string of at most 256 bytes, or an
// integer (a fraction is a measurement, distinct by chance).
bool PlausibleKeyValue(const JsonTree& tree, uint32_t node) {
  if (node == JsonTree::kNone) return false;
  const std::string_view text = tree.Text(node);
  if (tree.type(node) == JsonType::kString) {
    return text.size() <= kMaxKeyValueBytes && text.find_first_not_of(" \t\r\n") != text.npos;
  }
  return tree.type(node) == JsonType::kNumber && text.find_first_of(".eE") == text.npos;
}

// The hashes of `key`'s values over the items, sorted with their item index; nullopt when an
// item lacks a plausible value or two items share one.
std::optional<std::vector<std::pair<uint64_t, uint32_t>>> KeyValues(const JsonItems& side,
                                                                    std::string_view key) {
  std::vector<std::pair<uint64_t, uint32_t>> values;
  values.reserve(side.items.size());
  for (uint32_t i = 0; i < side.items.size(); ++i) {
    const uint32_t value = side.tree.Member(side.items[i], key);
    if (!PlausibleKeyValue(side.tree, value)) return std::nullopt;
    values.emplace_back(side.tree.hash(value), i);
  }
  std::sort(values.begin(), values.end());
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i].first == values[i - 1].first) return std::nullopt;
  }
  return values;
}

bool AllObjects(const JsonItems& side) {
  return std::all_of(side.items.begin(), side.items.end(),
                     [&](uint32_t node) { return side.tree.type(node) == JsonType::kObject; });
}

// Marks as moved the pairs (in right order) outside a longest run increasing in left order.
void MarkMoved(std::vector<JsonArrayMatch::Pair>& pairs) {
  // Patience sorting: tails[k] is the pair ending the best increasing run of length k + 1.
  std::vector<size_t> tails, previous(pairs.size(), SIZE_MAX);
  for (size_t i = 0; i < pairs.size(); ++i) {
    auto it = std::lower_bound(tails.begin(), tails.end(), pairs[i].left,
                               [&](size_t t, uint32_t left) { return pairs[t].left < left; });
    if (it != tails.begin()) previous[i] = *(it - 1);
    if (it == tails.end()) {
      tails.push_back(i);
    } else {
      *it = i;
    }
  }
  for (auto& p : pairs) p.moved = true;
  for (size_t i = tails.empty() ? SIZE_MAX : tails.back(); i != SIZE_MAX; i = previous[i]) {
    pairs[i].moved = false;
  }
}

// Fills removed/added with the indexes no pair uses.
void CollectUnpaired(JsonArrayMatch& match, size_t left_size, size_t right_size) {
  std::vector<bool> left_used(left_size), right_used(right_size);
  for (const auto& p : match.pairs) left_used[p.left] = right_used[p.right] = true;
  for (uint32_t i = 0; i < left_size; ++i) {
    if (!left_used[i]) match.removed.push_back(i);
  }
  for (uint32_t i = 0; i < right_size; ++i) {
    if (!right_used[i]) match.added.push_back(i);
  }
}

void MatchByKey(const JsonItems& left, const JsonItems& right, std::string_view key,
                JsonArrayMatch& match) {
  const auto by_value = *KeyValues(left, key);
  for (uint32_t r = 0; r < right.items.size(); ++r) {
    const uint64_t value = right.tree.hash(right.tree.Member(right.items[r], key));
    auto it = std::lower_bound(by_value.begin(), by_value.end(), std::pair{value, uint32_t{0}});
    if (it != by_value.end() && it->first == value) match.pairs.push_back({it->second, r, false});
  }
}

// Equal items pair first (repeats in order); the in-order ones anchor the leftovers, which pair
// by position between two anchors when `similar` agrees.
void MatchByValue(const JsonItems& left, const JsonItems& right, const JsonSimilar& similar,
                  JsonArrayMatch& match) {
  std::vector<std::pair<uint64_t, uint32_t>> by_hash;
  by_hash.reserve(left.items.size());
  for (uint32_t i = 0; i < left.items.size(); ++i) {
    by_hash.emplace_back(left.tree.hash(left.items[i]), i);
  }
  std::sort(by_hash.begin(), by_hash.end());
  std::vector<uint32_t> taken(by_hash.size(), 0);  // at each run's first entry: how many used
  std::vector<bool> left_equal(left.items.size()), right_equal(right.items.size());
  for (uint32_t r = 0; r < right.items.size(); ++r) {
    const uint64_t h = right.tree.hash(right.items[r]);
    auto first = std::lower_bound(by_hash.begin(), by_hash.end(), std::pair{h, uint32_t{0}});
    const size_t run = static_cast<size_t>(first - by_hash.begin());
    const size_t next = run + (run < taken.size() ? taken[run] : 0);
    if (next < by_hash.size() && by_hash[next].first == h) {
      ++taken[run];
      match.pairs.push_back({by_hash[next].second, r, false});
      left_equal[by_hash[next].second] = right_equal[r] = true;
    }
  }
  MarkMoved(match.pairs);
  std::vector<JsonArrayMatch::Pair> anchors;
  for (const auto& p : match.pairs) {
    if (!p.moved) anchors.push_back(p);
  }
  anchors.push_back(
      {static_cast<uint32_t>(left.items.size()), static_cast<uint32_t>(right.items.size()), false});
  uint32_t l = 0, r = 0;
  for (const auto& anchor : anchors) {
    while (true) {
      while (l < anchor.left && left_equal[l]) ++l;
      while (r < anchor.right && right_equal[r]) ++r;
      if (l >= anchor.left || r >= anchor.right) break;
      if (similar(left.items[l], right.items[r])) match.pairs.push_back({l, r, false});
      ++l, ++r;
    }
    l = anchor.left + 1;
    r = anchor.right + 1;
  }
  std::sort(match.pairs.begin(), match.pairs.end(),
            [](const auto& a, const auto& b) { return a.right < b.right; });
}

bool IsPlainToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

std::string SingleQuoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

}  // namespace

int JsonKeyNameRank(std::string_view name) {
  static const absl::flat_hash_set<std::string_view> kCodeNames = {
      "code", "key", "slug", "ident", "identifier", "icao", "iata", "isbn", "issn", "doi", "sku"};
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  const std::string last = LastWord(name);
  if (lower == "id") return 0;
  if (last == "id" || last == "uuid" || last == "guid" || last == "uid") return 1;
  if (kCodeNames.contains(lower) || last == "code" || last == "key" || lower.starts_with("iso")) {
    return 2;
  }
  if (lower == "name" || lower == "title") return 3;
  return -1;
}

std::optional<std::string> InferJsonArrayKey(const JsonItems& left, const JsonItems& right) {
  if (left.items.empty() || right.items.empty() || !AllObjects(left) || !AllObjects(right)) {
    return std::nullopt;
  }
  std::vector<std::pair<int, std::string_view>> ranked;  // (rank, name), document order
  std::string_view first_member;
  const uint32_t first = left.items[0];
  for (uint32_t c = left.tree.FirstChild(first); c < left.tree.End(first);
       c = left.tree.NextSibling(c)) {
    if (first_member.empty()) first_member = left.tree.Key(c);
    if (int rank = JsonKeyNameRank(left.tree.Key(c)); rank >= 0) {
      ranked.emplace_back(rank, left.tree.Key(c));
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string_view> candidates;
  for (const auto& [rank, name] : ranked) {
    if (candidates.size() < kMaxJsonKeyCandidates) candidates.push_back(name);
  }
  if (!first_member.empty() &&
      std::find(candidates.begin(), candidates.end(), first_member) == candidates.end()) {
    candidates.push_back(first_member);
  }
  for (std::string_view key : candidates) {
    if (KeyValues(left, key) && KeyValues(right, key)) return std::string(key);
  }
  return std::nullopt;
}

JsonArrayMatch MatchJsonArrays(const JsonItems& left, const JsonItems& right,
                               const JsonSimilar& similar) {
  JsonArrayMatch match;
  match.records = AllObjects(left) && AllObjects(right);
  match.key = InferJsonArrayKey(left, right);
  if (match.key) {
    MatchByKey(left, right, *match.key, match);
    MarkMoved(match.pairs);
  } else {
    MatchByValue(left, right, similar, match);
  }
  CollectUnpaired(match, left.items.size(), right.items.size());
  return match;
}

std::string JsonSelectorValue(const JsonTree& tree, uint32_t node, std::string_view key) {
  const uint32_t value = tree.Member(node, key);
  const std::string_view text = value == JsonTree::kNone ? "" : tree.Text(value);
  return IsPlainToken(text) ? std::string(text) : SingleQuoted(text);
}

std::string JsonPathName(std::string_view name) {
  const bool identifier =
      IsPlainToken(name) && !absl::ascii_isdigit(name[0]) && name.find_first_of("-.") == name.npos;
  return identifier ? std::string(name) : SingleQuoted(name);
}

}  // namespace deltascope
