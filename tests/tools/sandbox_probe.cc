// Run inside a sandbox by the tests: tries what an untrusted plugin should not be able to do and
// prints one "name=result" line per attempt ("ok", or the errno name).
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

void Report(const char* name, int rc) {
  std::printf("%s=%s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno));
}

}  // namespace

// argv: host_pid readable_file forbidden_file
int main(int argc, char** argv) {
  if (argc < 4) return 2;
  pid_t host = static_cast<pid_t>(std::atoi(argv[1]));
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  Report("socket_inet", s);
  int s6 = ::socket(AF_INET6, SOCK_DGRAM, 0);
  Report("socket_inet6", s6);
  int su = ::socket(AF_UNIX, SOCK_STREAM, 0);
  Report("socket_unix", su);
  // SEIZE, not ATTACH: it does not stop the host when it succeeds (sandbox off).
  Report("ptrace_host", static_cast<int>(::ptrace(PTRACE_SEIZE, host, nullptr, nullptr)));
  Report("kill_host", ::kill(host, 0));
  Report("read_content", ::open(argv[2], O_RDONLY));
  Report("read_forbidden", ::open(argv[3], O_RDONLY));
  Report("write_usr", ::open("/usr/deltascope-probe", O_WRONLY | O_CREAT, 0600));
  Report("write_tmp", ::open("/tmp/deltascope-probe", O_WRONLY | O_CREAT, 0600));
  Report("unshare", ::unshare(CLONE_NEWNS));
  struct rlimit rl;
  ::getrlimit(RLIMIT_AS, &rl);
  std::printf("rlimit_as=%llu\n", static_cast<unsigned long long>(rl.rlim_cur));
  std::printf("home=%s\n", std::getenv("HOME") ? std::getenv("HOME") : "");
  std::printf("secret_env=%s\n", std::getenv("DELTASCOPE_TEST_SECRET") ? "visible" : "scrubbed");
  return 0;
}
