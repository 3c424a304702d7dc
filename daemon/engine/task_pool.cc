#include "daemon/engine/task_pool.h"

#include <algorithm>

namespace deltascope {

struct TaskPool::Loop {
  size_t n = 0;
  size_t next = 0;  // first unclaimed iteration
  size_t done = 0;
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

void TaskPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Loop loop;
  loop.n = n;
  loop.fn = &fn;
  std::unique_lock<std::mutex> lock(mu_);
  open_loops_.push_back(&loop);
  work_cv_.notify_all();
  // Help with our own loop only: this bounds stack depth and guarantees progress.
  while (loop.next < loop.n) {
    size_t i = loop.next++;
    if (loop.next == loop.n) std::erase(open_loops_, &loop);
    lock.unlock();
    fn(i);
    lock.lock();
    ++loop.done;
  }
  done_cv_.wait(lock, [&] { return loop.done == loop.n; });
}

void TaskPool::WorkerMain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !open_loops_.empty(); });
    if (stopping_) return;
    // Newest loop first: depth-first traversal keeps the frontier small.
    Loop* loop = open_loops_.back();
    size_t i = loop->next++;
    if (loop->next == loop->n) open_loops_.pop_back();
    lock.unlock();
    (*loop->fn)(i);
    lock.lock();
    if (++loop->done == loop->n) done_cv_.notify_all();
  }
}

}  // namespace deltascope
