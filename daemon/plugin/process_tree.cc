#include "daemon/plugin/process_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
  pid_t session = 0;
};

// Reads /proc/<pid>/stat. The command name may hold spaces and parentheses: the fields after it
// start behind the last ')'.
bool ReadStat(pid_t pid, ProcStat* out) {
  UniqueFd fd(::open(absl::StrCat("/proc/", pid, "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[1024];
  const ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  const absl::string_view stat(buf, static_cast<size_t>(n));
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos) return false;
  // state ppid pgrp session ...
  std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
  if (fields.size() < 4 || fields[0].empty()) return false;
  out->state = fields[0][0];
  return absl::SimpleAtoi(fields[1], &out->ppid) && absl::SimpleAtoi(fields[3], &out->session);
}

// Calls `visit(pid)` for every process in /proc.
template <typename Visit>
void ForEachProcess(Visit visit) {
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> proc(::opendir("/proc"));
  if (!proc) return;
  while (struct dirent* e = ::readdir(proc.get())) {
    pid_t pid = 0;
    if (absl::SimpleAtoi(e->d_name, &pid) && pid > 1) visit(pid);
  }
}

}  // namespace

bool IsSelfOrDescendant(pid_t pid, pid_t ancestor) {
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    if (pid == ancestor) return true;
    ProcStat stat;
    if (!ReadStat(pid, &stat)) return false;
    pid = stat.ppid;
  }
  return false;
}

int KillByEnvironmentEntry(const std::string& needle) {
  int killed = 0;
  const pid_t self = ::getpid();
  ForEachProcess([&](pid_t pid) {
    if (pid == self) return;
    UniqueFd fd(::open(absl::StrCat("/proc/", pid, "/environ").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return;
    std::string env;
    char buf[16384];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof(buf))) > 0 && env.size() < (1 << 20)) {
      env.append(buf, static_cast<size_t>(n));
    }
    for (absl::string_view var : absl::StrSplit(env, '\0')) {
      if (var == needle) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, WNOHANG);  // ours when we are its subreaper
        ++killed;
        return;
      }
    }
  });
  return killed;
}

int KillOrphansInOtherSessions(const std::function<bool(pid_t)>& is_known) {
  int killed = 0;
  const pid_t self = ::getpid();
  const pid_t own_session = ::getsid(0);
  ForEachProcess([&](pid_t pid) {
    ProcStat stat;
    if (!ReadStat(pid, &stat) || stat.ppid != self || stat.session == own_session) return;
    if (is_known(pid)) return;
    if (stat.state == 'Z') {
      ::waitpid(pid, nullptr, WNOHANG);
      return;
    }
    ::kill(pid, SIGKILL);
    ++killed;
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  });
  return killed;
}

}  // namespace deltascope
