// The bounded-memory multiset matcher of the csv comparator gives exactly MatchMultiset's
// answer: on random hash sequences with repeats, with runs longer than the bit-tracked ones,
// and whichever side is held.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

#include "daemon/stdlib/csv_table.h"

namespace deltascope {
namespace {

struct Matched {
  std::vector<bool> left, right;
};

// Holds `held`, streams `streamed`, then streams `held` again, as the comparator does.
// With `unpaired`, the second held pass asks UnpairedHeldRows (when the matcher gives one).
Matched Streaming(const std::vector<uint64_t>& left, const std::vector<uint64_t>& right,
                  bool hold_left, bool unpaired = false) {
  const std::vector<uint64_t>& held = hold_left ? left : right;
  const std::vector<uint64_t>& streamed = hold_left ? right : left;
  SortedMultisetMatcher matcher(held);
  Matched m;
  std::vector<bool>& streamed_matched = hold_left ? m.right : m.left;
  std::vector<bool>& held_matched = hold_left ? m.left : m.right;
  for (uint64_t h : streamed) streamed_matched.push_back(matcher.MatchStreamed(h));
  std::optional<UnpairedHeldRows> few;
  if (unpaired) few = matcher.Unpaired(held.size());  // every held hash may be unpaired
  EXPECT_EQ(few.has_value(), unpaired);
  for (uint64_t h : held) held_matched.push_back(few ? few->Matched(h) : matcher.HeldMatched(h));
  EXPECT_EQ(matcher.AllHeldMatched(),
            std::find(held_matched.begin(), held_matched.end(), false) == held_matched.end());
  return m;
}

std::vector<uint64_t> Random(std::mt19937_64& rng, size_t n, uint64_t distinct) {
  std::vector<uint64_t> v(n);
  // Spread the values over the whole 64-bit range, as real row hashes are.
  for (uint64_t& x : v) x = (rng() % distinct) * 0x9E3779B97F4A7C15ull;
  return v;
}

TEST(CsvSortedMatchTest, AgreesWithMultisetMatchingOnRandomTables) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + rng() % 3000;
    // Few distinct values make long runs of repeats (past the 64 tracked by bits).
    const uint64_t distinct = round % 4 == 0 ? 3 : round % 4 == 1 ? 50 : 1 + rng() % 5000;
    std::vector<uint64_t> left = Random(rng, n, distinct);
    std::vector<uint64_t> right = Random(rng, n + rng() % 100 - 50 + (n < 50 ? 50 : 0), distinct);
    std::vector<bool> lm, rm;
    MatchMultiset(left, right, lm, rm);
    for (bool hold_left : {true, false}) {
      for (bool unpaired : {false, true}) {
        Matched m = Streaming(left, right, hold_left, unpaired);
        ASSERT_EQ(m.left, lm) << "round " << round << " hold_left " << hold_left << " " << unpaired;
        ASSERT_EQ(m.right, rm) << "round " << round << " hold_left " << hold_left << " "
                               << unpaired;
      }
    }
  }
}

TEST(CsvSortedMatchTest, LargeHeldSideSortedOnThreadsAndFoundInBatches) {
  // Past 65,536 held hashes the sort is a radix pass plus per-bucket sorts on threads; FindAll
  // must give what Find gives, for present and absent hashes alike.
  std::mt19937_64 rng(5);
  std::vector<uint64_t> held(300000);
  for (uint64_t& h : held) h = rng() | (rng() % 7 == 0 ? 0 : 1);  // some repeats of even values
  for (size_t i = 0; i < 1000; ++i) held[i] = held[i + 1000];     // runs of two
  struct Row {
    uint64_t hash;
    uint32_t lo = 0, hi = 0;
  };
  std::vector<Row> rows;
  for (size_t i = 0; i < 5000; ++i) rows.push_back({i % 2 ? held[rng() % held.size()] : rng()});
  const SortedMultisetMatcher one(held, 1), two(held, 2);
  two.FindAll(rows.data(), rows.size());
  for (const Row& r : rows) {
    uint32_t lo = 0, hi = 0;
    const bool found = one.Find(r.hash, lo, hi);
    ASSERT_EQ(r.hi > r.lo, found);
    if (found) {
      EXPECT_EQ(r.lo, lo);
      EXPECT_EQ(r.hi, hi);
    }
  }
  std::vector<uint64_t> sorted = held;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); i += 997) {
    uint32_t lo = 0, hi = 0;
    ASSERT_TRUE(two.Find(sorted[i], lo, hi));
    EXPECT_EQ(lo, std::lower_bound(sorted.begin(), sorted.end(), sorted[i]) - sorted.begin());
    EXPECT_EQ(hi, std::upper_bound(sorted.begin(), sorted.end(), sorted[i]) - sorted.begin());
  }
}

TEST(CsvSortedMatchTest, HashesCraftedToShareTheirTopBitsAreStillSorted) {
  // 20,000 hashes with the same top 24 bits (a bucket the radix passes cannot spread, where the
  // insertion sort would be quadratic and gives way to std::sort) among random ones.
  std::mt19937_64 rng(9);
  std::vector<uint64_t> held(100000);
  for (size_t i = 0; i < held.size(); ++i) {
    held[i] = i % 5 == 0 ? rng() : (uint64_t{0xABCDEF} << 40) | (rng() & ((uint64_t{1} << 40) - 1));
  }
  const SortedMultisetMatcher matcher(held, 2);
  std::vector<uint64_t> sorted = held;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); i += 7) {
    uint32_t lo = 0, hi = 0;
    ASSERT_TRUE(matcher.Find(sorted[i], lo, hi)) << i;
    EXPECT_EQ(lo, std::lower_bound(sorted.begin(), sorted.end(), sorted[i]) - sorted.begin());
  }
}

TEST(CsvSortedMatchTest, UnpairedHeldRowsAreGatheredOnlyUpToTheLimit) {
  SortedMultisetMatcher matcher({1, 2, 3, 3, 4});
  EXPECT_TRUE(matcher.MatchStreamed(1));
  EXPECT_TRUE(matcher.MatchStreamed(3));
  // Unpaired: 2, the second 3, 4 (three distinct hashes).
  EXPECT_FALSE(matcher.Unpaired(2).has_value());
  std::optional<UnpairedHeldRows> few = matcher.Unpaired(3);
  ASSERT_TRUE(few.has_value());
  std::vector<bool> held;
  for (uint64_t h : {1, 2, 3, 3, 4}) held.push_back(few->Matched(h));
  EXPECT_EQ(held, (std::vector<bool>{true, false, true, false, false}));
}

TEST(CsvSortedMatchTest, RepeatsPairUpInFileOrder) {
  Matched m = Streaming({7, 5, 7, 9}, {5, 7, 8}, /*hold_left=*/false);
  EXPECT_EQ(m.left, (std::vector<bool>{true, true, false, false}));  // the second 7, the 9
  EXPECT_EQ(m.right, (std::vector<bool>{true, true, false}));
}

TEST(CsvSortedMatchTest, EmptySides) {
  Matched m = Streaming({}, {1, 2}, /*hold_left=*/true);
  EXPECT_EQ(m.right, (std::vector<bool>{false, false}));
  m = Streaming({1, 1}, {}, /*hold_left=*/true);
  EXPECT_EQ(m.left, (std::vector<bool>{false, false}));
}

}  // namespace
}  // namespace deltascope
