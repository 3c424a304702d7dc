#!/usr/bin/env python3
"""Per-plugin isolation in the daemon (issue #17): the p99 of a plain diff (no item for any
plugin) through deltascoped, with the daemon idle beside it, then with two diffs hanging on a
plugin beside it (the test plugin in `hang` mode, a 10-minute call deadline, as many hanging
calls as the daemon has diff slots). Both in one run, one daemon; the ratio is the figure
(target: at most 1.5x). Before per-plugin isolation the second phase waited for a slot: seconds.

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


def rows(bin_dir: Path, runs: int):
    """[[p99 alone, p99 beside hanging diffs, ratio]] in ms."""
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
        sock = f"unix://{tmp}/d.sock"
        daemon = subprocess.Popen([str(bin_dir / "deltascoped"), "--listen", sock, "--plugin-dir",
                                   str(tmp / "plugins"), "--max-concurrent", "2", "--jobs", "1"],
                                  stdout=subprocess.DEVNULL, stderr=open(tmp / "d.log", "wb"),
                                  start_new_session=True)
        hung = []
        try:
            if not wait_for(lambda: os.path.exists(f"{tmp}/d.sock")):
                raise SystemExit("deltascoped did not start")
            client = [str(bin_dir / "deltascope"), "diff", str(tmp / "plain" / "a"),
                      str(tmp / "plain" / "b"), "--format", "json", "--daemon", sock]
            plain_diffs(client, 3)  # warm-up
            alone = plain_diffs(client, runs)
            for _ in range(2):  # as many as the daemon has slots
                hung.append(subprocess.Popen(
                    [str(bin_dir / "deltascope"), "diff", str(tmp / "hang" / "a"),
                     str(tmp / "hang" / "b"), "--daemon", sock],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if not wait_for(lambda: faults.exists() and faults.read_text().count("hang ") >= 2):
                raise SystemExit("the plugin calls did not hang: " + (tmp / "d.log").read_text()[-2000:])
            beside = plain_diffs(client, runs)
            still_hanging = all(h.poll() is None for h in hung)
        finally:
            for h in hung:
                h.kill()
                h.wait()
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
