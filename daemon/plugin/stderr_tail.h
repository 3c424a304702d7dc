// What a plugin's stderr says when it dies: a bounded record of its first crash-report lines
// (a Go "panic: ...", a Python "Traceback ..." and exception line) and its last lines. The last
// lines alone would be, for Go, stack frames only: the line that says what went wrong comes first.
// Not thread-safe: the owner locks.
#ifndef DELTASCOPE_DAEMON_PLUGIN_STDERR_TAIL_H_
#define DELTASCOPE_DAEMON_PLUGIN_STDERR_TAIL_H_

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace deltascope {

class StderrTail {
 public:
  static constexpr size_t kDefaultLast = 20;
  static constexpr size_t kDefaultFirst = 3;

  explicit StderrTail(size_t last = kDefaultLast, size_t first = kDefaultFirst)
      : max_last_(last), max_first_(first) {}

  // Records one line (without its newline).
  void Add(std::string_view line);

  // The kept crash lines that are no longer among the last lines, then "...", then the last lines,
  // joined with " | ". Empty if nothing was written.
  std::string Summary() const;

  // True for a line that starts a crash report: "panic: ", "fatal error: ",
  // "runtime/cgo: ", "SIGABRT: abort" (Go), "Traceback (most recent call last):", or a Python
  // exception line ("ValueError: ...", "x.y.FooError: ...").
  static bool LooksLikeCrash(std::string_view line);

 private:
  size_t max_last_;
  size_t max_first_;
  size_t seen_ = 0;  // lines added so far
  // First crash lines with their line numbers, so Summary can drop those still in last_.
  std::vector<std::pair<size_t, std::string>> first_;
  std::deque<std::string> last_;
};

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_PLUGIN_STDERR_TAIL_H_
