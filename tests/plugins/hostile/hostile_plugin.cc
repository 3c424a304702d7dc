// deltascope-hostile-plugin: a comparator plugin ("hostile", claims .hostile files) that, asked
// to compare, attacks the host as $HOSTILE_ATTACK says, for the sandbox's hostile matrix
// (tests/e2e/sandbox_hostile_test.cc). It answers with what the attack achieved, so a test can
// both check the plugin's own account and verify independently that nothing happened.
//
// The item's content carries the targets, one "key=value" per line: port (a TCP listener of the
// test on 127.0.0.1), victim (a pid the test owns), secret (a file outside the plugin's view),
// outside (a path outside the plugin's tmp to create), setuid (a setuid-root executable).
//
// Attacks: network, read, write, fork-bomb, memory, tmp, cpu, ptrace, kill, fds, setuid (the
// matrix), limits (reports the resource limits it runs under, for tests/e2e/plugin_limits_test.cc),
// and disk, peer, tty, escape (tests/e2e/sandbox_isolation_test.cc): every writable
// place filled, other plugins' sockets connected to, the user's terminal opened, a grandchild
// detached without the token. The fork bomb, the allocation and the fillings stop by themselves
// (2,000 processes, 10 GiB, 2 GiB a place), so a broken sandbox cannot take the machine down. With
// --report-privileges the program prints its euid and effective capabilities and exits (what the
// setuid attack executes).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "deltascope/plugin/sdk.h"

namespace {

using deltascope::plugin::Context;
using deltascope::plugin::DiffNode;
using deltascope::plugin::Pair;
using deltascope::plugin::Result;

std::string ErrnoName(int e) {
  const char* name = strerrorname_np(e);
  return name ? name : std::to_string(e);
}

// "ok" when rc >= 0, else the errno's name.
std::string Outcome(long rc) { return rc >= 0 ? "ok" : ErrnoName(errno); }

std::string ReadSome(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoName(errno);
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  return n < 0 ? ErrnoName(errno) : "content=" + std::string(buf, static_cast<size_t>(n));
}

std::string Network(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return "socket " + ErrnoName(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  std::string out = rc == 0 ? "connected" : "connect " + ErrnoName(errno);
  ::close(s);
  return out;
}

std::string ForkBomb() {
  std::vector<pid_t> children;
  std::string stop = "limit";
  while (children.size() < 2000) {
    pid_t pid = ::fork();
    if (pid < 0) {
      stop = ErrnoName(errno);
      break;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::pause();
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) ::kill(pid, SIGKILL);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  return std::to_string(children.size()) + " children, then " + stop;
}

std::string Memory() {
  constexpr size_t kChunk = 64 << 20;
  std::vector<char*> chunks;
  std::string stop = "limit";
  while (chunks.size() * kChunk < (10ULL << 30)) {
    char* p = static_cast<char*>(std::malloc(kChunk));
    if (!p) {
      stop = "ENOMEM";
      break;
    }
    for (size_t i = 0; i < kChunk; i += 4096) p[i] = 1;  // make it resident
    chunks.push_back(p);
  }
  size_t mib = chunks.size() * (kChunk >> 20);
  for (char* p : chunks) std::free(p);
  return std::to_string(mib) + " MiB, then " + stop;
}

// Fills `dir` with 64 MiB files, up to `max_mib`; removes them afterwards when `clean_up`.
std::string Fill(const std::string& dir, size_t max_mib, bool clean_up) {
  const std::string chunk(1 << 20, 'x');
  size_t mib = 0;
  std::string stop = "limit";
  std::vector<std::string> files;
  for (int file = 0; mib < max_mib && stop == "limit"; ++file) {
    files.push_back(dir + "/fill-" + std::to_string(::getpid()) + "-" + std::to_string(file));
    int fd = ::open(files.back().c_str(), O_WRONLY | O_CREAT, 0600);
    if (fd < 0) {
      stop = ErrnoName(errno);
      break;
    }
    for (int i = 0; i < 64 && mib < max_mib; ++i, ++mib) {
      if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
        stop = ErrnoName(errno);
        break;
      }
    }
    ::close(fd);
  }
  if (clean_up) {
    for (const std::string& f : files) ::unlink(f.c_str());
  }
  return std::to_string(mib) + " MiB, then " + stop;
}

// Every place a plugin might write to, each filled up to 2 GiB and emptied again:
// "/=0 MiB, then EROFS; /dev=...".
std::string Disk() {
  const char* socket = std::getenv("DELTASCOPE_PLUGIN_SOCKET");
  std::string socket_dir = socket ? socket : "/tmp/x";
  socket_dir.resize(socket_dir.rfind('/'));
  std::string out;
  for (const std::string& dir : {std::string("/"), std::string("/dev"), std::string("/dev/shm"),
                                 socket_dir, std::string(".")}) {
    out += (out.empty() ? "" : "; ") + dir + "=" + Fill(dir == "/" ? "" : dir, 2 << 10, true);
  }
  return out;
}

// Looks for other plugins' sockets in the places a plugin could know of (its /tmp, /run, the
// host's TMPDIR from the targets) and connects to each: "N sockets, M connected".
std::string Peers(const std::string& host_tmp) {
  const char* own = std::getenv("DELTASCOPE_PLUGIN_SOCKET");
  int seen = 0, connected = 0;
  std::vector<std::pair<std::string, int>> dirs = {{"/tmp", 0}, {"/run", 0}, {host_tmp, 0}};
  while (!dirs.empty()) {
    auto [dir, depth] = dirs.back();
    dirs.pop_back();
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    while (struct dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = dir + "/" + name;
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode) && depth < 3) dirs.push_back({path, depth + 1});
      if (!S_ISSOCK(st.st_mode) || (own && path == own) || path.size() >= 108) continue;
      ++seen;
      int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr = {};
      addr.sun_family = AF_UNIX;
      std::strcpy(addr.sun_path, path.c_str());
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) ++connected;
      ::close(fd);
    }
    ::closedir(d);
  }
  return std::to_string(seen) + " sockets, " + std::to_string(connected) + " connected";
}

// The user's terminal: opening it, and pushing a keystroke into it (TIOCSTI) through each
// standard descriptor.
std::string Terminal() {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
  std::string out = "tty " + Outcome(fd);
  char c = '#';
  if (fd >= 0) {
    out += "; tiocsti " + Outcome(::ioctl(fd, TIOCSTI, &c));
    ::close(fd);
  }
  for (int std_fd = 0; std_fd < 3; ++std_fd) {
    if (::isatty(std_fd)) out += "; fd " + std::to_string(std_fd) + " is a tty";
  }
  return out;
}

// A grandchild in a session of its own, with an empty environment (no token), that would sleep
// for 5 minutes; its argv[0] is `marker` so that the test can find it.
std::string Escape(const std::string& marker) {
  pid_t child = ::fork();
  if (child < 0) return "fork " + ErrnoName(errno);
  if (child == 0) {
    ::setsid();
    if (::fork() == 0) {
      char* const argv[] = {const_cast<char*>(marker.c_str()), const_cast<char*>("300"), nullptr};
      char* const envp[] = {nullptr};
      ::execve("/bin/sleep", argv, envp);
      _exit(127);
    }
    _exit(0);
  }
  ::waitpid(child, nullptr, 0);
  return "started";
}

std::string Fds() {
  std::vector<int> fds;
  std::string stop = "limit";
  while (fds.size() < 100000) {
    int fd = ::open("/dev/null", O_RDONLY);
    if (fd < 0) {
      stop = ErrnoName(errno);
      break;
    }
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  return std::to_string(fds.size()) + " fds, then " + stop;
}

// Runs the setuid executable and returns what it reports of its privileges.
std::string Setuid(const std::string& path) {
  int out[2];
  if (::pipe(out) != 0) return "pipe " + ErrnoName(errno);
  pid_t pid = ::fork();
  if (pid < 0) return "fork " + ErrnoName(errno);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::execl(path.c_str(), path.c_str(), "--report-privileges", nullptr);
    std::printf("exec %s\n", ErrnoName(errno).c_str());
    std::fflush(stdout);
    _exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  ::waitpid(pid, nullptr, 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

int ReportPrivileges() {
  std::ifstream status("/proc/self/status");
  std::string line, capeff = "?";
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) capeff = line.substr(line.find_first_not_of(" \t", 7));
  }
  std::printf("euid=%d capeff=%s\n", static_cast<int>(::geteuid()), capeff.c_str());
  return 0;
}

// "as=N cpu=N nofile=N fsize=N": the soft limits this process runs under ("inf" when none).
std::string Limits() {
  std::string out;
  for (auto [name, resource] :
       {std::pair{"as", RLIMIT_AS}, std::pair{"cpu", RLIMIT_CPU},
        std::pair{"nofile", RLIMIT_NOFILE}, std::pair{"fsize", RLIMIT_FSIZE}}) {
    rlimit rl{};
    ::getrlimit(resource, &rl);
    out += std::string(out.empty() ? "" : " ") + name + "=" +
           (rl.rlim_cur == RLIM_INFINITY ? "inf" : std::to_string(rl.rlim_cur));
  }
  return out;
}

class HostileComparator : public deltascope::plugin::Comparator {
 public:
  deltascope::plugin::Descriptor Describe() const override {
    // HOSTILE_NAME: the same program serves as another plugin (a victim beside the attacker).
    const char* env = std::getenv("HOSTILE_NAME");
    const std::string name = env ? env : "hostile";
    return {.name = name, .extensions = {"." + name}};
  }

  Result Compare(const Pair& pair, Context&) override {
    std::map<std::string, std::string> targets;
    std::ifstream in(pair.any().path);
    for (std::string line; std::getline(in, line);) {
      size_t eq = line.find('=');
      if (eq != std::string::npos) targets[line.substr(0, eq)] = line.substr(eq + 1);
    }
    const char* env = std::getenv("HOSTILE_ATTACK");
    const std::string attack = env ? env : "";
    pid_t victim = static_cast<pid_t>(std::atoi(targets["victim"].c_str()));
    std::string what;
    if (attack == "network") {
      what = Network(std::atoi(targets["port"].c_str()));
    } else if (attack == "read") {
      what = "shadow " + ReadSome("/etc/shadow") + "; secret " + ReadSome(targets["secret"]);
    } else if (attack == "write") {
      int fd = ::open(targets["outside"].c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      what = "outside " + Outcome(fd);
      if (fd >= 0) ::close(fd);
      fd = ::open(pair.any().path.c_str(), O_WRONLY | O_APPEND);
      what += "; item " + Outcome(fd);
      if (fd >= 0) {
        (void)!::write(fd, "pwned\n", 6);
        ::close(fd);
      }
    } else if (attack == "fork-bomb") {
      what = ForkBomb();
    } else if (attack == "memory") {
      what = Memory();
    } else if (attack == "cpu") {
      while (true) asm volatile("");  // spins until the host's deadline kills it
    } else if (attack == "ptrace") {
      what = "victim " + Outcome(::ptrace(PTRACE_SEIZE, victim, nullptr, nullptr)) + "; parent " +
             Outcome(::ptrace(PTRACE_SEIZE, ::getppid(), nullptr, nullptr));
    } else if (attack == "kill") {
      what = "victim " + Outcome(::kill(victim, SIGKILL)) + "; parent " +
             Outcome(::kill(::getppid(), SIGKILL));
    } else if (attack == "tmp") {
      what = Fill("/tmp", 10 << 10, false);
    } else if (attack == "disk") {
      what = Disk();
    } else if (attack == "peer") {
      what = Peers(targets["host_tmp"]);
    } else if (attack == "tty") {
      what = Terminal();
    } else if (attack == "escape") {
      const char* marker = std::getenv("HOSTILE_MARKER");
      what = Escape(marker ? marker : "hostile-escape");
    } else if (attack == "fds") {
      what = Fds();
    } else if (attack == "limits") {
      what = Limits();
    } else if (attack == "setuid") {
      what = Setuid(targets["setuid"]);
    } else {
      what = "unknown attack";
    }
    DiffNode node;
    node.set_action(pair.added() ? "add" : pair.removed() ? "remove" : "modify");
    node.set_item_type("hostile");
    node.set_summary(attack + ": " + what);
    return Result::Leaf(std::move(node));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--report-privileges") return ReportPrivileges();
  const char* name = std::getenv("HOSTILE_NAME");
  return deltascope::plugin::Serve<HostileComparator>(
      argc, argv, {.name = name ? name : "hostile", .version = "1.0"});
}
