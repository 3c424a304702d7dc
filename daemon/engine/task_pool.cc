#include "daemon/engine/task_pool.h"

#include <algorithm>
#include <atomic>

namespace deltascope {

// Iterations are claimed with an atomic counter, not under the pool's lock: a tree of small
// files is millions of iterations of a few microseconds, and a lock taken per iteration by every
// thread made them wait on each other (a futex call per file). The lock guards only the list of
// open loops and the count of threads working on each one.
struct TaskPool::Loop {
  size_t n = 0;
  std::atomic<size_t> next{0};  // first unclaimed iteration
  std::atomic<size_t> done{0};  // iterations returned
  int helpers = 0;              // workers holding a pointer to this loop (under mu_)
  const std::function<void(size_t)>* fn = nullptr;
};

TaskPool::TaskPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerMain(); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void TaskPool::RunIterations(Loop& loop) {
  while (true) {
    const size_t i = loop.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= loop.n) return;
    (*loop.fn)(i);
    if (loop.done.fetch_add(1, std::memory_order_acq_rel) + 1 == loop.n) {
      // Under the lock, so the owner cannot check `done` and go to sleep in between.
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_all();
    }
  }
}

void TaskPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Loop loop;
  loop.n = n;
  loop.fn = &fn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_loops_.push_back(&loop);
  }
  work_cv_.notify_all();
  // Help with our own loop only: this bounds stack depth and guarantees progress.
  RunIterations(loop);
  std::unique_lock<std::mutex> lock(mu_);
  std::erase(open_loops_, &loop);
  // The loop lives on this stack: wait until no worker still holds it.
  done_cv_.wait(lock, [&] { return loop.done.load() == loop.n && loop.helpers == 0; });
}

void TaskPool::WorkerMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !open_loops_.empty(); });
    if (stopping_) return;
    // Newest loop first: depth-first traversal keeps the frontier small.
    Loop* loop = open_loops_.back();
    ++loop->helpers;
    lock.unlock();
    RunIterations(*loop);
    lock.lock();
    // Every iteration is claimed: no one else needs to find this loop.
    std::erase(open_loops_, loop);
    if (--loop->helpers == 0) done_cv_.notify_all();
  }
}

}  // namespace deltascope
