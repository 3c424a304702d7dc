// Sandboxing of untrusted plugin processes. Layers, each detected and reported, never silently
// missing: bubblewrap namespaces (user, pid, net, ipc, uts, mount: an empty network and a
// filesystem view of only what the plugin needs), a seccomp-BPF policy against dangerous
// syscalls and IP sockets, Landlock (TCP denial, signal and abstract-socket scoping),
// no_new_privs, and resource limits.
#ifndef DELTASCOPE_DAEMON_SANDBOX_SANDBOX_H_
#define DELTASCOPE_DAEMON_SANDBOX_SANDBOX_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/util/fd.h"

namespace deltascope {

enum class SandboxMode {
  kOff,       // trusted plugins: run as the host's user, limits only
  kStandard,  // namespaces + seccomp + Landlock; the snapshot roots are visible read-only
  kStrict,    // as standard, but no host path at all: content is streamed over the RPC
};

// "off", "standard", "strict".
absl::StatusOr<SandboxMode> ParseSandboxMode(const std::string& name);
const char* SandboxModeName(SandboxMode mode);
// The stricter of two modes (off < standard < strict).
SandboxMode StricterSandbox(SandboxMode a, SandboxMode b);

// ASan and TSan reserve terabytes of shadow address space, so a sanitized plugin under RLIMIT_AS
// aborts at start-up: sanitizer builds (DELTASCOPE_SANITIZED) leave the memory limit unset and
// PrepareSandbox says so in its warnings.
#ifdef DELTASCOPE_SANITIZED
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
inline constexpr bool kMemoryLimitEnforced = !kSanitizerBuild;

// Sanitizer builds only: the sanitizers' *SAN_OPTIONS pass through the environment scrubbing
// (with detect_leaks=0: LeakSanitizer needs ptrace, which seccomp denies), and the folder named
// by DELTASCOPE_SANITIZER_REPORTS is writable in the sandbox, so a plugin's reports reach the
// log_path the test scripts check.
inline constexpr char kSanitizerReportsEnv[] = "DELTASCOPE_SANITIZER_REPORTS";

struct ResourceLimits {
  uint64_t memory_bytes = 0;     // RLIMIT_AS; 0: unlimited (not set at all in sanitizer builds)
  uint64_t cpu_seconds = 0;      // RLIMIT_CPU; 0: unlimited
  uint64_t open_files = 1024;    // RLIMIT_NOFILE
  uint64_t file_size_bytes = 0;  // RLIMIT_FSIZE; 0: unlimited
  // 1: no child processes, threads only (seccomp). Otherwise unlimited: RLIMIT_NPROC counts
  // every process of the uid (and the kernel exempts root), so it cannot bound one plugin.
  uint64_t processes = 0;
};

// What a plugin runs under when its manifest sets no limit. Sandboxed modes: 4 GiB of address
// space, 1,024 descriptors, 1 GiB files, no child processes, no CPU-time cap (per-call deadlines
// stop spinning plugins; a CPU cap would kill long-lived warm ones). Off: descriptors only.
// Sanitizer builds set no address-space limit (AddressSanitizer cannot start under one).
ResourceLimits DefaultResourceLimits(SandboxMode mode);

struct SandboxPolicy {
  SandboxMode mode = SandboxMode::kStandard;
  // The plugin's own files (executable, interpreter, libraries), visible read-only.
  std::vector<std::filesystem::path> read_only;
  // Snapshot roots and scratch directories the plugin reads items from (standard mode only).
  std::vector<std::filesystem::path> content;
  // Where the plugin starts ("" or a folder the sandbox does not show: "/"). Shown read-only.
  // Nothing of the host is writable: a sandboxed plugin writes only to its private /tmp and
  // /dev/shm, memory with a budget (SandboxTmpBytes), where its socket lives too.
  std::filesystem::path workdir;
  // Environment passed through ("NAME=value"); everything else is scrubbed.
  std::vector<std::string> env;
  ResourceLimits limits;
};

struct LayerStatus {
  std::string name;  // "namespaces", "seccomp", "landlock", "no_new_privs", "rlimits", ...
  bool active = false;
  std::string detail;  // why missing, or what it covers
};

// What this machine offers, layer by layer (cached after the first call).
const std::vector<LayerStatus>& ProbeSandboxLayers();

// True when a plugin in `mode` runs under bubblewrap here (a sandboxed mode and namespaces work).
// Such a plugin has its own root, read-only but for its private /tmp and /dev/shm.
bool UsesBubblewrap(SandboxMode mode);

// The size of a bubblewrap sandbox's private /tmp: the memory limit, or 1 GiB without one. Its
// /dev/shm gets at most 64 MiB. The root and /dev are read-only, so these are all it can fill.
uint64_t SandboxTmpBytes(const ResourceLimits& limits);
inline constexpr uint64_t kSandboxShmBytes = 64ULL << 20;

// The fd numbers at which the child must find the seccomp program for bubblewrap, and the write
// end of the info pipe (SandboxedCommand::info_write).
inline constexpr int kSeccompChildFd = 4;
inline constexpr int kSandboxInfoChildFd = 5;

// A command ready to spawn under a policy.
struct SandboxedCommand {
  std::vector<std::string> argv;  // bwrap ... -- command args (or the command itself)
  std::vector<std::string> env;   // the scrubbed environment
  UniqueFd seccomp_program;       // dup2 to kSeccompChildFd in the child when valid
  bool seccomp_in_child = false;  // no bwrap: load the filter in the child (ApplyInChild)
  // With bwrap: it writes its info (the sandbox init's pid) to info_write, dup2'ed to
  // kSandboxInfoChildFd in the child; the parent closes info_write once the child is spawned and
  // passes info_read to ReadSandboxInitPid.
  UniqueFd info_read, info_write;
  std::vector<LayerStatus> layers;
  std::vector<std::string> warnings;  // one line per missing layer
};

// What a plugin executable's own files are, for SandboxPolicy::read_only: its folder; for the
// prefix/bin/tool layout, the prefix too (prefix/lib, node_modules...); the same for the real file
// behind a symlink (an interpreter in a virtualenv). A folder that would show more than one
// program's files (/, a top-level folder such as /tmp or /home, the user's home or ~/.local) is
// replaced by the executable file itself.
std::vector<std::filesystem::path> ExecutableOwnPaths(const std::filesystem::path& command);

// False for a folder that holds more than one program's files (see ExecutableOwnPaths).
bool ShowableFolder(const std::filesystem::path& dir);

// Builds the sandboxed command line for `argv` (argv[0] absolute) under `policy`.
absl::StatusOr<SandboxedCommand> PrepareSandbox(const SandboxPolicy& policy,
                                                const std::vector<std::string>& argv);

// The pid (in this host's pid namespace) of the sandbox's init (pid 1 inside), which bubblewrap
// writes to `info_read` once the sandbox exists: /proc/<pid>/root is the sandbox's filesystem.
// Waits until `deadline` for it; closes `info_read`. -1 when bwrap failed before reporting it.
pid_t ReadSandboxInitPid(UniqueFd& info_read, std::chrono::steady_clock::time_point deadline);

// bubblewrap's outer process exits as soon as the sandbox's init reports the command's exit
// status, without reaping that init; a child subreaper (the plugin host) inherits it as a zombie.
// Call this after reaping bwrap: reaps `init` (waiting up to a second: it is already exiting).
// Does nothing for pid -1 or a process that is not our child.
void ReapSandboxInit(pid_t init);

// Runs in the forked child before exec (async-signal-safe: no allocation, no locks): resource
// limits, no_new_privs, Landlock, and the seccomp filter when bubblewrap is not used. Returns
// an errno value on failure (the child should then _exit), 0 on success.
int ApplySandboxInChild(const SandboxPolicy& policy, const SandboxedCommand& command);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SANDBOX_SANDBOX_H_
