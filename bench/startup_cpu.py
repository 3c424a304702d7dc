#!/usr/bin/env python3
"""CPU time a plugin process spends from exec to its handshake line: the part of start-up that
is the plugin's own work, whatever the load on the machine (wall time also counts waiting for
a core). Spawns each plugin the way the host does (environment, ready pipe on fd 3, socket),
kills it right after the handshake and reads its rusage from wait4.

    python3 bench/startup_cpu.py        # prints a Markdown table
"""
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "build-release" / "bin"
PY = ROOT / "bench" / ".venv-plugins" / "bin" / "python"  # bench/run.sh

PLUGINS = [
    ("C++ INI plugin", [str(BIN / "deltascope-plugin-ini")]),
    ("Python plugin, script (bench/plugins/words.py)", [str(PY), str(ROOT / "bench" / "plugins" / "words.py")]),
    ("Python plugin, entry point (`-m deltascope_plugin run sqlite-python`)",
     [str(PY), "-m", "deltascope_plugin", "run", "sqlite-python"]),
]


def one(argv):
    """(wall ms, CPU ms) from fork to the handshake line."""
    with tempfile.TemporaryDirectory(prefix="deltascope-startup-") as tmp:
        r, w = os.pipe()
        env = dict(os.environ, DELTASCOPE_PLUGIN_MAGIC_COOKIE="d3lt4sc0pe-plugin-v1",
                   DELTASCOPE_PLUGIN_SOCKET=f"{tmp}/p.sock", DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS="1",
                   DELTASCOPE_PLUGIN_READY_FD="3", DELTASCOPE_PLUGIN_NAME="bench")
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(w, 3)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execve(argv[0], argv, env)
        os.close(w)
        line = b""
        while not line.endswith(b"\n"):
            chunk = os.read(r, 4096)
            if not chunk:
                break
            line += chunk
        wall = (time.perf_counter() - start) * 1000
        os.close(r)
        os.kill(pid, signal.SIGKILL)
        _, _, usage = os.wait4(pid, 0)
        if not line.startswith(b"deltascope-plugin|1|"):
            raise RuntimeError(f"{argv}: no handshake ({line[:200]!r})")
        return wall, (usage.ru_utime + usage.ru_stime) * 1000


def rows(runs=7):
    out = []
    for label, argv in PLUGINS:
        samples = [one(argv) for _ in range(runs)]
        out.append([label, f"{statistics.median(s[1] for s in samples):.1f}",
                    f"{statistics.median(s[0] for s in samples):.1f}"])
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchlib import table
    print(table(["plugin", "CPU ms to handshake (median)", "wall ms to handshake (median)"], rows()))
