#!/usr/bin/env python3
"""Per-plugin isolation in the daemon (issue #17): the p99 of a plain diff (no item for any
plugin) through deltascoped with nothing else running, and through a daemon alike with two diffs
hanging on a plugin beside it (the test plugin in `hang` mode, a 10-minute call deadline, as many
hanging calls as the daemon has diff slots). Plain diffs alternate between the two daemons in
one run; the ratio is the figure (target: at most 1.5x). Before per-plugin isolation the plain
diff beside the hanging ones waited for a slot: seconds.

    python3 bench/isolation.py [--bin build-release/bin] [--runs 60]   # prints a Markdown table
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import pct, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def write_tree(root: Path):
    for side, n in (("a", 1), ("b", 2)):
        (root / "plain" / side).mkdir(parents=True)
        (root / "plain" / side / "notes.txt").write_text(f"one\ntwo {n}\n")
        (root / "plain" / side / "table.csv").write_text(f"id,v\n1,a\n2,{n}\n")
        (root / "hang" / side).mkdir(parents=True)
        (root / "hang" / side / "x.bad").write_text(f"{n}\n")


def wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def plain_diffs(client, runs):
    """Wall seconds of each of `runs` plain diffs, one after the other."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        r = subprocess.run(client, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - start)
        if r.returncode != 1:
            raise SystemExit(f"plain diff failed ({r.returncode}): {r.stderr.decode()[:500]}")
    return walls


def start_daemon(bin_dir: Path, tmp: Path, name: str):
    sock = f"unix://{tmp}/{name}.sock"
    daemon = subprocess.Popen([str(bin_dir / "deltascoped"), "--listen", sock, "--plugin-dir",
                               str(tmp / "plugins"), "--max-concurrent", "2", "--jobs", "1"],
                              stdout=subprocess.DEVNULL, stderr=open(tmp / f"{name}.log", "wb"),
                              start_new_session=True)
    if not wait_for(lambda: os.path.exists(f"{tmp}/{name}.sock")):
        raise SystemExit(f"deltascoped did not start: {(tmp / f'{name}.log').read_text()[-2000:]}")
    return daemon, sock


def rows(bin_dir: Path, runs: int):
    """[[p99 alone, p99 beside hanging diffs, ratio, target]]. Two daemons alike, one with two
    diffs hanging on its plugin; plain diffs alternate between them, so that both figures share
    the machine's load of the moment."""
    with tempfile.TemporaryDirectory(prefix="deltascope-bench-isolation-") as tmp:
        tmp = Path(tmp)
        write_tree(tmp)
        faults = tmp / "faults.log"
        (tmp / "plugins").mkdir()
        (tmp / "plugins" / "hang.plugin.yaml").write_text(
            f"name: bad-hang\nversion: 1.0\ncommand: {bin_dir / 'deltascope-test-plugin'}\n"
            f"env: {{BAD_MODE: hang, BAD_FAULT_LOG: {faults}}}\n"
            "comparators:\n  - name: bad\n    extensions: [.bad]\n"
            "limits: {call_timeout: 10m, max_instances: 2}\nsandbox: off\n")
        daemons, hung = [], []
        try:
            for name in ("alone", "beside"):
                daemons.append(start_daemon(bin_dir, tmp, name))
            clients = [[str(bin_dir / "deltascope"), "diff", str(tmp / "plain" / "a"),
                        str(tmp / "plain" / "b"), "--format", "json", "--daemon", sock]
                       for _, sock in daemons]
            for _ in range(2):  # as many as the daemon has slots
                hung.append(subprocess.Popen(
                    [str(bin_dir / "deltascope"), "diff", str(tmp / "hang" / "a"),
                     str(tmp / "hang" / "b"), "--daemon", daemons[1][1]],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if not wait_for(lambda: faults.exists() and faults.read_text().count("hang ") >= 2):
                raise SystemExit("the plugin calls did not hang: " +
                                 (tmp / "beside.log").read_text()[-2000:])
            for c in clients:
                plain_diffs(c, 3)  # warm-up
            alone, beside = [], []
            for _ in range(runs):
                alone += plain_diffs(clients[0], 1)
                beside += plain_diffs(clients[1], 1)
            still_hanging = all(h.poll() is None for h in hung)
        finally:
            for h in hung:
                h.kill()
                h.wait()
            for daemon, _ in daemons:
                os.killpg(daemon.pid, signal.SIGKILL)  # the daemon and its hanging plugin
                daemon.wait()
    a, b = pct(alone, 0.99) * 1000, pct(beside, 0.99) * 1000
    note = "" if still_hanging else " (the hanging diffs ended early: not measured beside them)"
    return [[f"{a:.0f} ms", f"{b:.0f} ms", f"{b / a:.2f}x{note}", "≤ 1.5x"]]


HEADER = ["plain diff p99, daemon alone", "beside 2 diffs hanging on a plugin", "ratio", "target"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "build-release" / "bin"))
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    print(table(HEADER, rows(Path(args.bin).resolve(), args.runs)))


if __name__ == "__main__":
    main()
