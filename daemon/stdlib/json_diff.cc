#include "daemon/stdlib/json_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/stdlib/json_match.h"

namespace deltascope {
namespace {

constexpr size_t kMaxReorderedPaths = 8;
// Pairs of (removed, added) members weighed as renames per object pair, at most.
constexpr size_t kMaxRenameCandidates = 64;
// Distinct (removed, added) name pairs weighed per array, at most (memory).
constexpr size_t kMaxRenameVotes = 4096;
// Distinct renames (path, old name, new name) reported, at most; later ones count as a removed
// and an added member.
constexpr size_t kMaxDistinctRenames = 10000;

// An object's members by name (the last one when a name repeats), and in document order.
struct Members {
  std::vector<std::pair<std::string_view, uint32_t>> by_name;  // sorted by name
  std::vector<uint32_t> in_order;                              // without repeated names

  Members(const JsonTree& tree, uint32_t object) {
    for (uint32_t c = tree.FirstChild(object); c < tree.End(object); c = tree.NextSibling(c)) {
      by_name.emplace_back(tree.Key(c), c);
    }
    std::stable_sort(by_name.begin(), by_name.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // Keep the last of each run of equal names.
    std::vector<std::pair<std::string_view, uint32_t>> unique;
    for (size_t i = 0; i < by_name.size(); ++i) {
      if (i + 1 < by_name.size() && by_name[i + 1].first == by_name[i].first) continue;
      unique.push_back(by_name[i]);
    }
    by_name = std::move(unique);
    for (const auto& [name, node] : by_name) in_order.push_back(node);
    std::sort(in_order.begin(), in_order.end());
  }

  uint32_t Find(std::string_view name) const {
    auto it = std::lower_bound(by_name.begin(), by_name.end(), name,
                               [](const auto& m, std::string_view n) { return m.first < n; });
    return it != by_name.end() && it->first == name ? it->second : JsonTree::kNone;
  }
};

// Members only one side of an object pair has, in document order.
struct MemberChanges {
  std::vector<uint32_t> removed;  // left nodes
  std::vector<uint32_t> added;    // right nodes
};

MemberChanges Unshared(const JsonTree& lt, const Members& lm, const JsonTree& rt,
                       const Members& rm) {
  MemberChanges changes;
  for (uint32_t c : lm.in_order) {
    if (rm.Find(lt.Key(c)) == JsonTree::kNone) changes.removed.push_back(c);
  }
  for (uint32_t c : rm.in_order) {
    if (lm.Find(rt.Key(c)) == JsonTree::kNone) changes.added.push_back(c);
  }
  return changes;
}

// Member renames accepted for the object pairs of one array: old name → new name.
using Renames = std::map<std::string_view, std::string_view>;

std::string MemberPath(const std::string& path, std::string_view name) {
  const std::string shown = JsonPathName(name);
  return shown.front() == '\'' ? absl::StrCat(path, "[", shown, "]")
                               : absl::StrCat(path, ".", shown);
}

class Differ {
 public:
  Differ(const JsonTree& left, const JsonTree& right, size_t max_examples,
         const std::function<bool()>& cancelled)
      : lt_(left), rt_(right), max_examples_(max_examples), cancelled_(cancelled) {}

  void Compare(uint32_t a, uint32_t b, const std::string& path, const std::string& pattern,
               int depth) {
    if (Stopped()) return;
    if (lt_.hash(a) == rt_.hash(b)) return CheckKeyOrder(a, b, path, depth);
    const JsonType ta = lt_.type(a), tb = rt_.type(b);
    if (ta != tb || !lt_.is_container(a) || depth >= kMaxJsonCompareDepth) {
      return ValueChanged(a, b, path);
    }
    if (ta == JsonType::kObject) return CompareObjects(a, b, path, pattern, depth, nullptr);
    CompareArrays(a, b, path, pattern, depth);
  }

  bool stopped() const { return stopped_; }
  JsonDiff Take() { return std::move(diff_); }

 private:
  bool Stopped() {
    if (!stopped_ && cancelled_ && (++visits_ & 0xfff) == 0 && cancelled_()) stopped_ = true;
    return stopped_;
  }

  void Example(std::vector<JsonChange>& list, std::string path, const JsonTree* before_tree,
               uint32_t before, const JsonTree* after_tree, uint32_t after) {
    if (list.size() >= max_examples_) return;
    JsonChange change{.path = std::move(path), .before = std::nullopt, .after = std::nullopt};
    if (before_tree) change.before = AbbreviateJson(*before_tree, before);
    if (after_tree) change.after = AbbreviateJson(*after_tree, after);
    list.push_back(std::move(change));
  }

  void ValueChanged(uint32_t a, uint32_t b, const std::string& path) {
    ++diff_.values_changed;
    if (lt_.type(a) != rt_.type(b)) ++diff_.type_changes;
    Example(diff_.values_changed_examples, path, &lt_, a, &rt_, b);
  }

  // Equal values (hash) may still list their members in another order: clerical.
  void CheckKeyOrder(uint32_t a, uint32_t b, const std::string& path, int depth) {
    if (Stopped() || !lt_.is_container(a) || depth >= kMaxJsonCompareDepth) return;
    if (lt_.type(a) == JsonType::kArray) {
      uint32_t i = 0;
      for (uint32_t ca = lt_.FirstChild(a), cb = rt_.FirstChild(b); ca < lt_.End(a);
           ca = lt_.NextSibling(ca), cb = rt_.NextSibling(cb), ++i) {
        CheckKeyOrder(ca, cb, absl::StrCat(path, "[", i, "]"), depth + 1);
      }
      return;
    }
    const Members lm(lt_, a), rm(rt_, b);
    NoteKeyOrder(lm, rm, path);
    for (uint32_t ca : lm.in_order) {
      const uint32_t cb = rm.Find(lt_.Key(ca));
      if (cb != JsonTree::kNone) CheckKeyOrder(ca, cb, MemberPath(path, lt_.Key(ca)), depth + 1);
    }
  }

  // Counts the object when the members both sides have come in another order.
  void NoteKeyOrder(const Members& lm, const Members& rm, const std::string& path) {
    std::vector<std::string_view> left_order, right_order;
    for (uint32_t c : lm.in_order) {
      if (rm.Find(lt_.Key(c)) != JsonTree::kNone) left_order.push_back(lt_.Key(c));
    }
    for (uint32_t c : rm.in_order) {
      if (lm.Find(rt_.Key(c)) != JsonTree::kNone) right_order.push_back(rt_.Key(c));
    }
    if (left_order == right_order) return;
    ++diff_.objects_reordered;
    if (diff_.reordered_paths.size() < kMaxReorderedPaths) diff_.reordered_paths.push_back(path);
  }

  void CompareObjects(uint32_t a, uint32_t b, const std::string& path, const std::string& pattern,
                      int depth, const Renames* renames) {
    const Members lm(lt_, a), rm(rt_, b);
    NoteKeyOrder(lm, rm, path);
    const MemberChanges changes = Unshared(lt_, lm, rt_, rm);
    std::set<uint32_t> renamed_from, renamed_to;
    for (const auto& [removed, added] : RenamedMembers(changes, lm, rm, renames)) {
      if (!NoteRename(pattern, lt_.Key(removed), rt_.Key(added))) continue;
      renamed_from.insert(removed);
      renamed_to.insert(added);
      Compare(removed, added, MemberPath(path, rt_.Key(added)), MemberPath(pattern, rt_.Key(added)),
              depth + 1);
    }
    for (uint32_t removed : changes.removed) {
      if (renamed_from.count(removed)) continue;
      ++diff_.keys_removed;
      Example(diff_.keys_removed_examples, MemberPath(path, lt_.Key(removed)), &lt_, removed,
              nullptr, 0);
    }
    for (uint32_t ca : lm.in_order) {
      const uint32_t cb = rm.Find(lt_.Key(ca));
      if (cb == JsonTree::kNone) continue;
      Compare(ca, cb, MemberPath(path, lt_.Key(ca)), MemberPath(pattern, lt_.Key(ca)), depth + 1);
    }
    for (uint32_t added : changes.added) {
      if (renamed_to.count(added)) continue;
      ++diff_.keys_added;
      Example(diff_.keys_added_examples, MemberPath(path, rt_.Key(added)), nullptr, 0, &rt_, added);
    }
  }

  // The (removed, added) member pairs that are renames: the array's agreed renames, or (an
  // object outside an array) members holding the same value, paired in document order.
  std::vector<std::pair<uint32_t, uint32_t>> RenamedMembers(const MemberChanges& changes,
                                                            const Members& lm, const Members& rm,
                                                            const Renames* renames) const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    if (renames) {
      for (uint32_t removed : changes.removed) {
        auto it = renames->find(lt_.Key(removed));
        if (it == renames->end() || lm.Find(it->second) != JsonTree::kNone) continue;
        if (const uint32_t added = rm.Find(it->second); added != JsonTree::kNone) {
          out.emplace_back(removed, added);
        }
      }
      return out;
    }
    std::vector<std::pair<uint64_t, uint32_t>> by_value;  // (hash, index into changes.added)
    for (uint32_t i = 0; i < changes.added.size(); ++i) {
      by_value.emplace_back(rt_.hash(changes.added[i]), i);
    }
    std::sort(by_value.begin(), by_value.end());
    std::vector<uint32_t> taken(by_value.size(), 0);  // at each run's first entry: how many used
    for (uint32_t removed : changes.removed) {
      const uint64_t h = lt_.hash(removed);
      auto first = std::lower_bound(by_value.begin(), by_value.end(), std::pair{h, uint32_t{0}});
      const size_t run = static_cast<size_t>(first - by_value.begin());
      const size_t next = run + (run < taken.size() ? taken[run] : 0);
      if (next < by_value.size() && by_value[next].first == h) {
        ++taken[run];
        out.emplace_back(removed, changes.added[by_value[next].second]);
      }
    }
    return out;
  }

  // Counts one object's rename; false past kMaxDistinctRenames distinct ones (then the members
  // count as removed and added).
  bool NoteRename(const std::string& pattern, std::string_view before, std::string_view after) {
    auto key = std::make_tuple(pattern, std::string(before), std::string(after));
    auto it = rename_index_.find(key);
    if (it == rename_index_.end()) {
      if (diff_.renames.size() >= kMaxDistinctRenames) return false;
      it = rename_index_.emplace(std::move(key), diff_.renames.size()).first;
      diff_.renames.push_back({pattern, std::string(before), std::string(after), 0});
    }
    ++diff_.renames[it->second].objects;
    return true;
  }

  // Two unmatched objects between the same unchanged items are one edited object when at most
  // half of their members (at least one) lost their value; names do not count, so a renamed
  // member keeps them similar.
  bool Similar(uint32_t a, uint32_t b) const {
    if (lt_.type(a) != JsonType::kObject || rt_.type(b) != JsonType::kObject) return true;
    std::vector<uint64_t> left_values, right_values, common;
    for (uint32_t c = lt_.FirstChild(a); c < lt_.End(a); c = lt_.NextSibling(c)) {
      left_values.push_back(lt_.hash(c));
    }
    for (uint32_t c = rt_.FirstChild(b); c < rt_.End(b); c = rt_.NextSibling(c)) {
      right_values.push_back(rt_.hash(c));
    }
    std::sort(left_values.begin(), left_values.end());
    std::sort(right_values.begin(), right_values.end());
    std::set_intersection(left_values.begin(), left_values.end(), right_values.begin(),
                          right_values.end(), std::back_inserter(common));
    const size_t total = std::max(left_values.size(), right_values.size());
    return total - common.size() <= std::max<size_t>(1, total / 2);
  }

  // The renames most object pairs of an array agree on: a removed and an added member holding
  // the same value in more than half of the pairs where both happen.
  Renames AgreedRenames(const std::vector<std::pair<uint32_t, uint32_t>>& object_pairs) {
    struct Votes {
      int64_t both = 0;   // pairs where the old name went and the new one came
      int64_t equal = 0;  // ... with the same value
    };
    std::map<std::pair<std::string_view, std::string_view>, Votes> votes;
    for (const auto& [a, b] : object_pairs) {
      const MemberChanges changes = Unshared(lt_, Members(lt_, a), rt_, Members(rt_, b));
      if (changes.removed.size() * changes.added.size() > kMaxRenameCandidates) continue;
      for (uint32_t removed : changes.removed) {
        for (uint32_t added : changes.added) {
          const std::pair<std::string_view, std::string_view> names{lt_.Key(removed),
                                                                    rt_.Key(added)};
          auto it = votes.find(names);
          if (it == votes.end()) {
            if (votes.size() >= kMaxRenameVotes) continue;
            it = votes.emplace(names, Votes{}).first;
          }
          ++it->second.both;
          if (lt_.hash(removed) == rt_.hash(added)) ++it->second.equal;
        }
      }
    }
    std::vector<std::pair<std::pair<std::string_view, std::string_view>, Votes>> ranked(
        votes.begin(), votes.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& x, const auto& y) { return x.second.equal > y.second.equal; });
    Renames renames;
    std::set<std::string_view> targets;
    for (const auto& [names, v] : ranked) {
      if (v.equal * 2 <= v.both || renames.count(names.first) || targets.count(names.second)) {
        continue;
      }
      renames[names.first] = names.second;
      targets.insert(names.second);
    }
    return renames;
  }

  void CompareArrays(uint32_t a, uint32_t b, const std::string& path, const std::string& pattern,
                     int depth) {
    const std::vector<uint32_t> left_items = lt_.Children(a), right_items = rt_.Children(b);
    const JsonArrayMatch match =
        MatchJsonArrays({lt_, left_items}, {rt_, right_items},
                        [this](uint32_t x, uint32_t y) { return Similar(x, y); });
    if (match.key) NoteMatchedBy(pattern, *match.key);
    const std::string item_pattern = absl::StrCat(pattern, "[*]");
    auto item_path = [&](const JsonTree& tree, const std::vector<uint32_t>& items, uint32_t i) {
      if (!match.key) return absl::StrCat(path, "[", i, "]");
      return absl::StrCat(path, "[", JsonPathName(*match.key), "=",
                          JsonSelectorValue(tree, items[i], *match.key), "]");
    };
    for (uint32_t i : match.removed) {
      ++(match.records ? diff_.records_removed : diff_.items_removed);
      Example(match.records ? diff_.records_removed_examples : diff_.items_removed_examples,
              item_path(lt_, left_items, i), &lt_, left_items[i], nullptr, 0);
    }
    std::vector<std::pair<uint32_t, uint32_t>> object_pairs;
    for (const auto& p : match.pairs) {
      if (p.moved) ++(match.records ? diff_.records_moved : diff_.items_moved);
      const uint32_t x = left_items[p.left], y = right_items[p.right];
      if (lt_.type(x) == JsonType::kObject && rt_.type(y) == JsonType::kObject &&
          lt_.hash(x) != rt_.hash(y)) {
        object_pairs.emplace_back(x, y);
      }
    }
    const Renames renames = AgreedRenames(object_pairs);
    for (const auto& p : match.pairs) {
      if (Stopped()) return;
      const uint32_t x = left_items[p.left], y = right_items[p.right];
      const std::string item = item_path(rt_, right_items, p.right);
      if (lt_.hash(x) != rt_.hash(y) && lt_.type(x) == JsonType::kObject &&
          rt_.type(y) == JsonType::kObject && depth + 1 < kMaxJsonCompareDepth) {
        CompareObjects(x, y, item, item_pattern, depth + 1, &renames);
      } else {
        Compare(x, y, item, item_pattern, depth + 1);
      }
    }
    for (uint32_t i : match.added) {
      ++(match.records ? diff_.records_added : diff_.items_added);
      Example(match.records ? diff_.records_added_examples : diff_.items_added_examples,
              item_path(rt_, right_items, i), nullptr, 0, &rt_, right_items[i]);
    }
  }

  void NoteMatchedBy(const std::string& pattern, const std::string& key) {
    if (matched_by_seen_.insert({pattern, key}).second) diff_.matched_by.push_back({pattern, key});
  }

  const JsonTree& lt_;
  const JsonTree& rt_;
  const size_t max_examples_;
  const std::function<bool()>& cancelled_;
  uint64_t visits_ = 0;
  bool stopped_ = false;
  JsonDiff diff_;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> rename_index_;
  std::set<std::pair<std::string, std::string>> matched_by_seen_;
};

}  // namespace

absl::StatusOr<JsonDiff> DiffJsonTrees(const JsonTree& left, const JsonTree& right,
                                       size_t max_examples,
                                       const std::function<bool()>& cancelled) {
  Differ differ(left, right, max_examples, cancelled);
  differ.Compare(left.root(), right.root(), "$", "$", 0);
  if (differ.stopped()) return absl::CancelledError("cancelled");
  return differ.Take();
}

}  // namespace deltascope
