// A fork-join pool for the engine's recursive fan-out. A thread waiting on its own ParallelFor
// runs that loop's remaining iterations itself, so nested loops never deadlock, whatever the
// nesting depth and the number of threads.
#ifndef DELTASCOPE_DAEMON_ENGINE_TASK_POOL_H_
#define DELTASCOPE_DAEMON_ENGINE_TASK_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace deltascope {

class TaskPool {
 public:
  // `threads` counts the calling thread: 1 runs everything inline, N starts N-1 workers.
  explicit TaskPool(int threads);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Calls fn(i) for every i in [0, n) on the pool and the calling thread; returns when all
  // calls have returned. `fn` must not throw.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

 private:
  struct Loop;
  void WorkerMain();
  // Claims and runs iterations of `loop` until none is left unclaimed.
  void RunIterations(Loop& loop);

  std::mutex mu_;
  std::condition_variable work_cv_;  // a loop has unclaimed iterations, or stopping
  std::condition_variable done_cv_;  // a loop's last iteration finished, or a helper left it
  std::vector<Loop*> open_loops_;    // loops with unclaimed iterations, newest last
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_ENGINE_TASK_POOL_H_
