#include "daemon/engine/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>

namespace deltascope {
namespace {

TEST(TaskPoolTest, RunsEveryIterationOnce) {
  for (int threads : {1, 2, 8}) {
    TaskPool pool(threads);
    std::vector<std::atomic<int>> hits(1000);
    pool.ParallelFor(hits.size(), [&](size_t i) { hits[i].fetch_add(1); });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(TaskPoolTest, DeepNestingDoesNotDeadlock) {
  TaskPool pool(4);
  std::atomic<int> leaves{0};
  std::function<void(int)> recurse = [&](int depth) {
    if (depth == 0) {
      leaves.fetch_add(1);
      return;
    }
    pool.ParallelFor(3, [&](size_t) { recurse(depth - 1); });
  };
  recurse(7);
  EXPECT_EQ(leaves.load(), 2187);  // 3^7
}

}  // namespace
}  // namespace deltascope
