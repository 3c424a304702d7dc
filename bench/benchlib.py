"""Helpers for bench/bench.py: running a command and measuring it, medians, the machine's
description, and Markdown tables."""
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds, the process and the children it waited for
    rss: int  # peak resident set, bytes
    out: bytes


GNU_TIME = "/usr/bin/time"


def measure(argv, cwd=None, ok_codes=(0, 1), env=None, memory_limit=0):
    """One run of argv: wall time, the CPU time that wait4 reports, and the command's peak RSS. A
    memory_limit (bytes of address space) makes a run that needs more fail instead of pushing
    the shared machine into its OOM killer."""
    def limit():
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    # wait4's ru_maxrss keeps the high-water mark of the forked child from before its exec, i.e.
    # this Python harness's own RSS (~14 MB): a smaller command would be reported at that floor.
    # GNU time forks the command from a small process and reports the command's own peak.
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="deltascope-rss-")
        os.close(fd)
        argv = [GNU_TIME, "-f", "%M", "-o", rss_file, "--"] + [str(a) for a in argv]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            preexec_fn=limit)
    # Read both pipes to the end without deadlock, then reap with wait4 for the rusage.
    chunks = {"out": [], "err": []}

    def drain(pipe, key):
        for block in iter(lambda: pipe.read(1 << 16), b""):
            chunks[key].append(block)

    readers = [threading.Thread(target=drain, args=(proc.stdout, "out")),
               threading.Thread(target=drain, args=(proc.stderr, "err"))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = b"".join(chunks["out"]), b"".join(chunks["err"])
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}: "
                           f"{err.decode(errors='replace')[-2000:]}")
    rss = usage.ru_maxrss * 1024
    if rss_file:
        with open(rss_file) as f:  # "Command exited with non-zero status 1" may come first
            rss = int(f.read().split()[-1]) * 1024
        os.unlink(rss_file)
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, out)


def median_runs(runs):
    """The median wall, CPU and RSS of several Runs (the stdout of the last)."""
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               int(statistics.median(r.rss for r in runs)), runs[-1].out)


def interleaved(commands, runs, cwd=None, memory_limit=0):
    """Runs each command `runs` times, alternating between them so that they share the
    machine's conditions (load from other users). Returns one median Run per command."""
    results = [[] for _ in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            results[i].append(measure(argv, cwd=cwd, memory_limit=memory_limit))
    return [median_runs(r) for r in results]


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(root, f)).st_size
    return total


def mem_available():
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    distro = ""
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip().strip('"') + ", "
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return (f"{os.cpu_count()} cores ({cpu}), {human(mem)} RAM, {distro}Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def git_commit(root: Path):
    try:
        return subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else 0.0
