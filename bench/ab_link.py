#!/usr/bin/env python3
"""Two builds of deltascope side by side, alternating runs (e.g. DELTASCOPE_STATIC_LINK=OFF vs ON):
C++ plugin start-up (spawn to ready, through the real host in plugin_bench, sandbox off and
standard), the plugin's CPU time to its handshake (bench/startup_cpu.py), peak RSS of
`deltascope diff` on a tiny input and on the nested-zip case (c), the dynamic loader's work, and
binary sizes. Prints Markdown tables.

    python3 bench/ab_link.py OLD_BUILD NEW_BUILD [--rounds 10]

The host (plugin_bench) is NEW_BUILD's for both plugins, so only the plugin binary differs.
Binoc from bench/.venv is measured beside the nested-zip case when it is installed.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import startup_cpu  # noqa: E402
from benchlib import human, loadavg, measure, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BINOC = ROOT / "bench" / ".venv" / "bin" / "binoc"
BINARIES = ("deltascope", "deltascoped", "deltascope-plugin-ini")


def med(values):
    return statistics.median(values) if values else float("nan")


def startup(builds, host, rounds, tmp):
    """{(build, mode): [ms...]} from plugin_bench --startup-only, builds alternating."""
    out = {}
    for r in range(rounds):
        for name, bin_dir in (builds if r % 2 == 0 else builds[::-1]):
            mdir = Path(tmp) / name
            mdir.mkdir(exist_ok=True)
            (mdir / "ini-cpp.plugin.yaml").write_text(
                f"name: ini-cpp\nversion: 0.1.0\ncommand: {bin_dir / 'deltascope-plugin-ini'}\n"
                "comparators:\n  - name: ini\n    extensions: [.ini]\nlimits: {max_instances: 2}\n")
            res = subprocess.run([str(host), str(mdir), "--startup-only", "3"], capture_output=True,
                                 text=True, check=True)
            for line in res.stdout.splitlines():
                p = line.split()
                if p[0] == "startup_samples_ms":
                    out.setdefault((name, p[2]), []).extend(float(x) for x in p[3:])
    return out


def loader_stats(binary):
    """(relocations, loader cycles, shared objects) of `binary --version` (LD_DEBUG=statistics)."""
    res = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                         env=dict(os.environ, LD_DEBUG="statistics"))
    relocs = re.search(r"number of relocations:\s+(\d+)", res.stderr)
    cycles = re.search(r"total startup time in dynamic loader:\s+(\d+)", res.stderr)
    needed = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return (int(relocs.group(1)) if relocs else 0, int(cycles.group(1)) if cycles else 0,
            len([line for line in needed.splitlines() if "=>" in line or line.strip().startswith("/")]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old", type=Path, help="build folder of the baseline (bin/ inside)")
    parser.add_argument("new", type=Path, help="build folder of the candidate")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    builds = [("old", args.old.resolve() / "bin"), ("new", args.new.resolve() / "bin")]
    print(f"load at start: {loadavg()}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="deltascope-ab-") as tmp:
        st = startup(builds, args.new.resolve() / "bin" / "plugin_bench", args.rounds, tmp)
    rows = []
    for mode in ("off", "standard"):
        for name, _ in builds:
            v = st[(name, mode)]
            rows.append([f"C++ plugin start-up, sandbox {mode}", name, f"{med(v):.1f}",
                         f"{min(v):.1f} – {max(v):.1f}", str(len(v))])
    print(table(["what", "build", "median ms", "min – max", "samples"], rows))

    cpu = {name: [] for name, _ in builds}
    for r in range(args.rounds * 2):
        for name, bin_dir in (builds if r % 2 == 0 else builds[::-1]):
            cpu[name].append(startup_cpu.one([str(bin_dir / "deltascope-plugin-ini")]))
    print(table(["build", "CPU ms to handshake (median)", "wall ms to handshake (median)"],
                [[n, f"{med([c for _, c in s]):.1f}", f"{med([w for w, _ in s]):.1f}"]
                 for n, s in cpu.items()]))

    cases = [("tiny CSV pair", DATA / "tiny"), ("(c) nested zips", DATA / "nested-zips-40")]
    rows = []
    for label, cwd in cases:
        cmds = [(n, [str(b / "deltascope"), "diff", "a", "b", "--format", "json"]) for n, b in builds]
        if BINOC.exists() and "nested" in label:
            cmds.append(("Binoc", [str(BINOC), "diff", "a", "b", "--format", "json"]))
        runs = {n: [] for n, _ in cmds}
        for r in range(args.rounds):
            for n, argv in (cmds if r % 2 == 0 else cmds[::-1]):
                runs[n].append(measure(argv, cwd=cwd))
        for n, rs in runs.items():
            rows.append([label, n, human(med([x.rss for x in rs])), f"{med([x.wall for x in rs]):.3f} s",
                         f"{med([x.cpu for x in rs]):.3f} s"])
    print(table(["case", "binary", "peak RSS (median)", "wall", "CPU"], rows))

    rows = []
    for exe in BINARIES:
        for name, bin_dir in builds:
            path = bin_dir / exe
            relocs, cycles, libs = loader_stats(path)
            rows.append([exe, name, human(path.stat().st_size), str(libs), str(relocs), f"{cycles / 1e6:.1f} M"])
    print(table(["binary", "build", "size (with debug info)", "shared objects", "relocations",
                 "loader cycles (--version)"], rows))
    print(f"load at end: {loadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
