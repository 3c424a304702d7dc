#!/usr/bin/env python3
"""Runs every benchmark and prints one table of ratios, also written to docs/performance.md.

    bash bench/run.sh            # full sizes (what docs/performance.md reports)
    bash bench/run.sh --quick    # small sizes, for checking the harness (writes nothing)

Each figure is the median of several runs measured in this one run, on the same generated
inputs, for deltascope and its peer (their runs alternate, so both see the same load); a ratio
from two tools that disagree on the set of changed paths is reported as such, not as a result.
"""
import argparse
import datetime
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (dir_bytes, git_commit, human, interleaved, loadavg, machine, measure,  # noqa: E402
                      median_runs, mem_available, table)
import startup_cpu  # noqa: E402
import isolation  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
# bench/run.sh builds build-release/; DELTASCOPE_BENCH_BUILD names another build (same flags).
BIN = ROOT / os.environ.get("DELTASCOPE_BENCH_BUILD", "build-release") / "bin"
DELTASCOPE = BIN / "deltascope"
BINOC = ROOT / "bench" / ".venv" / "bin" / "binoc"
PEERS_PYTHON = ROOT / "bench" / ".venv" / "bin" / "python"  # polars (bench/requirements.txt)
HASH_FLOOR = BIN / "hash_floor"
VENV_PYTHON = ROOT / "bench" / ".venv-plugins" / "bin" / "python"  # bench/run.sh


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')} load {loadavg()}] {msg}", file=sys.stderr, flush=True)


def generate(case, size):
    dest = DATA / f"{case}-{size}"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen.py"), str(dest), case, str(size)], check=True)
    return dest


def changed_paths(changeset):
    """The paths of changed files (leaves below the root), the common ground of both tools'
    trees, with archive members spelled a.zip/x.csv. A list of changesets contributes its first."""
    if isinstance(changeset, list):
        changeset = changeset[0]
    out = set()

    def walk(node):
        children = node.get("children") or []
        if not children and node.get("item_type") != "directory" and node.get("path"):
            out.add(node["path"].replace("/>", "/"))  # Binoc writes archive members as a.zip/>x
        for c in children:
            walk(c)

    if changeset.get("root"):
        walk(changeset["root"])
    return out


def fmt_ratio(value, target):
    return f"{value:.2f}x" + (" ✅" if value <= target else " ❌")


# ---- against Binoc ------------------------------------------------------------------------

def vs_binoc(summary, details, label, case, size, runs, target):
    dest = generate(case, size)
    log(f"vs Binoc: {label}")
    ds = [str(DELTASCOPE), "diff", "a", "b", "--format", "json"]
    bn = [str(BINOC), "diff", "a", "b", "--format", "json"]
    # Binoc holds whole tables in memory (about 18x the input): cap it below what the machine
    # has free, so that a run too big for it fails cleanly and is reported as such.
    limit = max(2 << 30, mem_available() - (3 << 30))
    try:
        d, b = interleaved([ds, bn], runs, cwd=dest, memory_limit=limit)
    except RuntimeError as e:
        log(f"vs Binoc: {label}: {e}")
        details.append([label, human(dir_bytes(dest / "a") + dir_bytes(dest / "b")),
                        f"Binoc failed under a {human(limit)} memory limit", "", "", ""])
        summary.append([f"{label}", "", "Binoc failed", "—", f"≤ {target}x"])
        return
    d_paths, b_paths = changed_paths(json.loads(d.out)), changed_paths(json.loads(b.out))
    if d_paths == b_paths:
        agree = f"yes ({len(d_paths)} paths)"
    else:
        only_d, only_b = sorted(d_paths - b_paths), sorted(b_paths - d_paths)
        agree = (f"NO: {len(only_d)} only in deltascope (e.g. {only_d[:2]}), "
                 f"{len(only_b)} only in Binoc (e.g. {only_b[:2]})")
    details.append([label, human(dir_bytes(dest / "a") + dir_bytes(dest / "b")),
                    f"{d.wall:.2f} s / {b.wall:.2f} s", f"{d.cpu:.2f} s / {b.cpu:.2f} s",
                    f"{human(d.rss)} / {human(b.rss)}", agree])
    valid = d_paths == b_paths
    for what, dv, bv, unit in (("wall", d.wall, b.wall, "s"), ("peak RSS", d.rss, b.rss, "B")):
        shown = (lambda v: f"{v:.2f} s") if unit == "s" else human
        ratio = dv / bv
        summary.append([f"{label}: {what}", shown(dv), f"Binoc {shown(bv)}",
                        fmt_ratio(ratio, target) if valid else f"{ratio:.2f}x (tools disagree)",
                        f"≤ {target}x"])


# ---- CSV: against polars and the read+hash floor ---------------------------------------------

def csv_counts(changeset):
    """rows added/removed/changed and cells changed of the first csv node of a changeset."""
    def walk(node):
        if node.get("comparator") == "csv":
            return node.get("details", {})
        for c in node.get("children") or []:
            found = walk(c)
            if found is not None:
                return found
        return None

    d = walk(changeset["root"]) or {}
    return {"added": int(d.get("rows_added", 0)), "removed": int(d.get("rows_removed", 0)),
            "changed": int(d.get("rows_modified", 0)), "cells_changed": int(d.get("cells_changed", 0))}


def csv_peers(summary, details, mb, runs):
    """The keyed diff of the CSV pair by deltascope, by a polars script (what a user would pick
    for speed) and the floor (reading and XXH3-hashing the same bytes on every core), their runs
    alternating, so the ratios compare figures taken under the same load."""
    dest = generate("csv", mb * 2**20)
    log(f"csv peers: {mb} MB a side")
    files = ["a/data.csv", "b/data.csv"]
    ds = [str(DELTASCOPE), "diff", "a", "b", "--format", "json", "--key", "id"]
    pl = [str(PEERS_PYTHON), str(ROOT / "bench" / "polars_diff.py")] + files + ["--key", "id"]
    fl = [str(HASH_FLOOR)] + files
    measure(ds, cwd=dest)  # warm: every tool then reads from the page cache
    d, p, f = interleaved([ds, pl, fl], runs, cwd=dest)
    total = dir_bytes(dest / "a") + dir_bytes(dest / "b")
    dc, pc = csv_counts(json.loads(d.out)), json.loads(p.out)
    agree = "yes" if dc == pc else f"NO: deltascope {dc}, polars {pc}"
    for name, r in (("deltascope (`--key id`)", d), ("polars script (bench/polars_diff.py)", p),
                    ("read + XXH3 floor (bench/hash_floor.cc)", f)):
        details.append([name, f"{r.wall:.2f} s", f"{r.cpu:.2f} s", human(r.rss),
                        f"{human(total / r.wall)}/s", f"{human(total / max(r.cpu, 1e-9))}/s",
                        f"{d.wall / r.wall:.2f}x", f"{d.cpu / max(r.cpu, 1e-9):.2f}x"])
    label = f"(b) {mb} MB CSV pair, keyed ({runs} run{'s' if runs > 1 else ''})"
    summary.append([f"{label}: wall vs polars", f"{d.wall:.2f} s", f"polars {p.wall:.2f} s",
                    fmt_ratio(d.wall / p.wall, 1.0) + ("" if dc == pc else " (counts disagree)"),
                    "≤ 1.0x"])
    summary.append([f"{label}: CPU vs polars", f"{d.cpu:.2f} s", f"polars {p.cpu:.2f} s",
                    f"{d.cpu / p.cpu:.2f}x", "(reported)"])
    summary.append([f"{label}: wall vs read+hash floor", f"{d.wall:.2f} s", f"floor {f.wall:.2f} s",
                    f"{d.wall / f.wall:.2f}x", "(reported)"])
    summary.append([f"{label}: CPU per input MB", f"{human(total / d.cpu)}/s of CPU", "",
                    fmt_ratio(150 * 2**20 / (total / d.cpu), 1.0), "≥ 150 MB/s a core"])
    return agree


CSV_PEERS_HEADER = ["tool", "wall", "CPU (user+sys)", "peak RSS", "input / wall", "input / CPU",
                    "deltascope / this (wall)", "deltascope / this (CPU)"]


# ---- plugins --------------------------------------------------------------------------------

def write_manifests(mdir):
    mdir.mkdir(parents=True, exist_ok=True)
    (mdir / "ini-cpp.plugin.yaml").write_text(
        f"name: ini-cpp\nversion: 0.1.0\ncommand: {BIN / 'deltascope-plugin-ini'}\n"
        "comparators:\n  - name: ini\n    extensions: [.ini]\nlimits: {max_instances: 2}\n")
    (mdir / "words-python.plugin.yaml").write_text(
        f"name: words-python\nversion: '1.0'\ncommand: {VENV_PYTHON}\n"
        f"args: [{ROOT / 'bench' / 'plugins' / 'words.py'}]\n"
        "comparators:\n  - name: words\n    extensions: [.words]\n"
        f"sandbox: {{read_only: [{ROOT}]}}\n")
    (mdir / "hang.plugin.yaml").write_text(
        f"name: hang\nversion: '1'\ncommand: {BIN / 'deltascope-test-plugin'}\nenv: {{BAD_MODE: hang}}\n"
        "comparators:\n  - name: bad\n    extensions: [.bad]\nlimits: {call_timeout: 200ms}\n")


def plugin_rows(summary, details, quick):
    mdir = DATA / "plugins"
    write_manifests(mdir / "all")
    # One manifest per folder, so that each host sees only the plugin it measures.
    for name in ("ini-cpp", "words-python", "hang"):
        (mdir / name).mkdir(parents=True, exist_ok=True)
        (mdir / name / f"{name}.plugin.yaml").write_text((mdir / "all" / f"{name}.plugin.yaml").read_text())
    log("ping-pong")
    ping = subprocess.run([str(BIN / "pingpong"), "2000" if quick else "50000"], capture_output=True,
                          text=True, check=True).stdout.split()
    ping_p50, ping_p99 = float(ping[1]), float(ping[2])
    log("plugin_bench")
    argv = [str(BIN / "plugin_bench"), str(mdir / "all")] + (["--quick"] if quick else [])
    # plugin_bench looks the manifests up by file name inside the folder it is given.
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"plugin_bench failed: {out.stderr[-3000:]}")
    # "key label values..." lines (deadline_overshoot_ms has no label); startup_ms has two.
    f, startup = {}, {}
    for line in out.stdout.splitlines():
        p = line.split()
        if p[0] == "startup_ms":
            startup[(p[1], p[2])] = [float(x) for x in p[3:]]
        elif p[0] == "deadline_overshoot_ms":
            f[(p[0],)] = [float(x) for x in p[1:]]
        else:
            f[(p[0], p[1])] = [float(x) for x in p[2:]]
    rows = [["raw socketpair ping-pong, 64 B (pingpong.c)", f"{ping_p50:.1f}", f"{ping_p99:.1f}", "1.00x"]]
    ip50, ip99 = f[("inprocess_us", "binary")]
    rows.append(["in-process comparator call (binary)", f"{ip50:.2f}", f"{ip99:.2f}", f"{ip50 / ping_p50:.2f}x"])
    g50, g99 = f[("grpc_empty_us", "cpp-off")]
    rows.append(["empty gRPC call on the plugin's channel (health check)", f"{g50:.1f}", f"{g99:.1f}",
                 f"{g50 / ping_p50:.2f}x"])
    names = {"cpp-off": "C++ plugin call (ini), no sandbox",
             "cpp-pipe": "C++ plugin call (ini), no sandbox, by ComparePipe (1 caller)",
             "cpp-standard": "C++ plugin call (ini), sandbox standard",
             "cpp-strict": "C++ plugin call (ini), sandbox strict (content streamed)",
             "python-off": "Python plugin call (words), no sandbox",
             "python-standard": "Python plugin call (words), sandbox standard"}
    for key, name in names.items():
        p50, p99 = f[("plugin_call_us", key)]
        rows.append([name, f"{p50:.1f}", f"{p99:.1f}", f"{p50 / ping_p50:.2f}x"])
    c50 = f[("plugin_call_us", "cpp-off")][0]
    summary.append(["C++ plugin call p50 vs raw ping-pong", f"{c50:.1f} µs", f"ping-pong {ping_p50:.1f} µs",
                    fmt_ratio(c50 / ping_p50, 1.5), "≤ 1.5x"])
    s50 = f[("plugin_call_us", "cpp-standard")][0]
    summary.append(["C++ plugin call p50, sandboxed vs not", f"{s50:.1f} µs", f"unsandboxed {c50:.1f} µs",
                    f"{s50 / c50:.2f}x", "(reported)"])
    py50 = f[("plugin_call_us", "python-off")][0]
    summary.append(["Python plugin call p50 vs raw ping-pong", f"{py50:.1f} µs", f"ping-pong {ping_p50:.1f} µs",
                    f"{py50 / ping_p50:.2f}x", "(reported)"])
    one, two = f[("items_per_s", "1")][0], f[("items_per_s", "2")][0]
    rows.append(["items/s through one C++ instance (1 caller)", f"{one:.0f}/s", "", ""])
    rows.append(["items/s through the pool (2 instances, 2 callers)", f"{two:.0f}/s", "", f"{two / one:.2f}x of one"])
    summary.append(["items/s, pool of 2 vs one instance", f"{two:.0f}/s", f"one {one:.0f}/s", f"{two / one:.2f}x",
                    "(reported)"])
    details.append(("latency", rows))

    # One instance: a Compare RPC per item vs ComparePipe, the same callers, in this run.
    inst = {k[1]: v[0] for k, v in f.items() if k[0] == "instance_items_per_s"}
    prows = []
    for threads in (1, 2, 8, 32, 128):
        unary, piped = inst[f"unary-{threads}"], inst[f"pipe-{threads}"]
        cost = 1e6 / piped
        prows.append([str(threads), f"{unary:.0f}/s", f"{piped:.0f}/s", f"{piped / unary:.2f}x",
                      f"{cost:.1f}", f"{cost / ping_p50:.2f}x"])
    best = max((inst[f"pipe-{t}"], t) for t in (1, 2, 8, 32, 128))
    summary.append([f"items/s through one C++ instance, ComparePipe ({best[1]} callers)", f"{best[0]:.0f}/s",
                    f"Compare per item {inst[f'unary-{best[1]}']:.0f}/s",
                    f"{best[0] / 20000:.2f}x of goal" + (" ✅" if best[0] >= 20000 else " ❌"), "≥ 20,000/s"])
    summary.append([f"ComparePipe: µs per item ({best[1]} callers) vs raw ping-pong", f"{1e6 / best[0]:.1f} µs",
                    f"ping-pong {ping_p50:.1f} µs", fmt_ratio(1e6 / best[0] / ping_p50, 3.0), "≤ 3x"])
    details.append(("pipe", prows))

    srows = []
    for lang, target in (("cpp", 10.0), ("python", 250.0)):
        for mode in ("off", "standard"):
            med, lo, hi = startup[(lang, mode)]
            name = f"{'C++' if lang == 'cpp' else 'Python'} plugin start-up, sandbox {mode}"
            srows.append([name, f"{med:.1f}", f"{lo:.1f} – {hi:.1f}"])
            summary.append([name, f"{med:.1f} ms", "", fmt_ratio(med / target, 1.0), f"≤ {target:.0f} ms"])
    details.append(("startup", srows))
    o_med, o_lo, o_hi, deadline = f[("deadline_overshoot_ms",)]
    summary.append([f"deadline overshoot (hung plugin, {deadline:.0f} ms deadline)", f"{o_med:.1f} ms", "",
                    fmt_ratio(o_med / 100.0, 1.0), "≤ 100 ms"])
    details.append(("deadline", [[f"{deadline:.0f} ms", f"{o_med:.1f}", f"{o_lo:.1f} – {o_hi:.1f}"]]))


# ---- daemon: warm plugins -------------------------------------------------------------------

def daemon_rows(summary, details, runs):
    """A diff whose one changed file goes to the Python plugin: the CLI starts the plugin each
    time, the daemon keeps it warm between requests."""
    dest = DATA / "daemon-words"
    for side, words in (("a", "alpha beta gamma"), ("b", "alpha beta gamma delta")):
        (dest / side).mkdir(parents=True, exist_ok=True)
        (dest / side / "list.words").write_text(words + "\n")
        (dest / side / "same.txt").write_text("unchanged\n")
    mdir = DATA / "plugins" / "words-python"
    log("daemon vs CLI")
    with tempfile.TemporaryDirectory(prefix="deltascope-bench-daemon-") as tmp:
        sock = f"unix://{tmp}/d.sock"
        daemon = subprocess.Popen([str(BIN / "deltascoped"), "--listen", sock, "--plugin-dir", str(mdir)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if os.path.exists(f"{tmp}/d.sock"):
                    break
                time.sleep(0.05)
            cli = [str(DELTASCOPE), "diff", "a", "b", "--format", "json", "--plugin-dir", str(mdir)]
            client = [str(DELTASCOPE), "diff", "a", "b", "--format", "json", "--daemon", sock]
            first = measure(client, cwd=dest)  # starts the plugin in the daemon
            c, w = interleaved([cli, client], runs, cwd=dest)
            same = "yes" if c.out == w.out else "NO"
            if b"words" not in c.out:
                same += " (but the Python plugin did not answer)"
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
    details.append([f"{c.wall * 1000:.0f} ms", f"{first.wall * 1000:.0f} ms", f"{w.wall * 1000:.0f} ms", same])
    summary.append(["diff with the Python plugin: warm daemon vs CLI", f"{w.wall * 1000:.0f} ms",
                    f"CLI {c.wall * 1000:.0f} ms", f"{w.wall / c.wall:.2f}x", "start-up skipped"])


# ---- scale ----------------------------------------------------------------------------------

def scale(rows, label, case, size, unit_count, unit, runs):
    dest = generate(case, size)
    log(f"scale: {label}")
    # Steady state, as for every other row: the generator's dirty pages written back and one
    # unmeasured run, so that the first measured run does not pay for the kernel's writeback of
    # two million new inodes (which made the growth exponent of file trees swing from 0.1 to 1.3).
    # File trees get a second unmeasured run: on this VM the run after the first still spends
    # ~40% more system time (12.6 vs 9.5-10.5 µs of CPU a file at 1M files, measured by hand),
    # and only from the third on are the figures those of a user diffing the same snapshots again.
    os.sync()
    argv = [str(DELTASCOPE), "diff", "a", "b", "--format", "json", "-q"]
    for _ in range(2 if unit == "file" else 1):
        measure(argv, cwd=dest)
    r = median_runs([measure(argv, cwd=dest) for _ in range(runs)])
    total = dir_bytes(dest / "a") + dir_bytes(dest / "b")
    rows.append({"label": label, "bytes": total, "units": unit_count, "unit": unit, "run": r})


def exponent(small, big, what):
    """k in cost ~ size^k between two scale rows, for wall or CPU time."""
    return math.log(getattr(big["run"], what) / getattr(small["run"], what)) / math.log(
        big["units"] / small["units"])


def scale_table(rows, summary):
    out = []
    prev = {}
    for row in rows:
        r, unit = row["run"], row["unit"]
        per_unit = r.wall / row["units"] * 1e6
        growth = "—"
        if unit in prev:
            growth = f"{exponent(prev[unit], row, 'wall'):.2f} / {exponent(prev[unit], row, 'cpu'):.2f}"
        prev[unit] = row
        out.append([row["label"], human(row["bytes"]), f"{r.wall:.2f} s", f"{r.cpu:.2f} s", human(r.rss),
                    f"{human(row['bytes'] / r.wall)}/s", f"{per_unit:.2f} µs/{unit}", growth])
    csv_rows = [r for r in rows if r["unit"] == "row"]
    if csv_rows:
        big = csv_rows[-1]
        summary.append([f"peak RSS, {big['label']}", human(big["run"].rss), "",
                        fmt_ratio(big["run"].rss / (256 * 2**20), 1.0), "≤ 256 MB"])
    file_rows = [r for r in rows if r["unit"] == "file"]
    if file_rows:
        big = file_rows[-1]
        cpu_per_file = big["run"].cpu / big["units"] * 1e6
        summary.append([f"CPU per file, {big['label']}", f"{cpu_per_file:.1f} µs", "",
                        fmt_ratio(cpu_per_file / 10, 1.0), "≤ 10 µs"])
    for unit in ("file", "row"):
        series = [r for r in rows if r["unit"] == unit]
        if len(series) >= 2:
            first, last = series[0], series[-1]
            summary.append([f"cost growth, {first['label']} → {last['label']}",
                            f"exponent {exponent(first, last, 'wall'):.2f} wall, "
                            f"{exponent(first, last, 'cpu'):.2f} CPU", "", "", "1.0 (linear)"])
    return out


def csv_rows_count(size):
    return int(size / 48)  # gen.py rows average ~48 bytes


# ---- report ---------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the harness; writes nothing)")
    parser.add_argument("--runs", type=int, default=0, help="runs per median (default 5, quick 1)")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the scale rows")
    parser.add_argument("--csv-runs", type=int, default=0, help="runs for the CSV case (b) (default 3)")
    parser.add_argument("--csv-mb", type=int, default=0, help="size of each CSV of case (b) (default 500)")
    parser.add_argument("--scale-files", default="", help="file-tree sizes, e.g. 10000,100000")
    parser.add_argument("--csv-only", action="store_true",
                        help="only the CSV rows against polars and the floor (prints; writes nothing)")
    args = parser.parse_args()
    q = args.quick
    runs = args.runs or (1 if q else 5)
    if args.csv_only:
        summary, rows = [], []
        mb = args.csv_mb or (5 if q else 500)
        agree = csv_peers(summary, rows, mb, args.csv_runs or (runs if q else 3))
        print(f"Load average (1 min) {loadavg()}; machine: {machine()}\n")
        print(table(["what", "deltascope", "reference", "ratio", "target"], summary) + "\n")
        print(table(CSV_PEERS_HEADER, rows) + f"\n\nSame row and cell counts: {agree}")
        return
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()
    summary, peers, plugin_details, daemon_details, grow = [], [], [], [], []

    n_small = 2000 if q else 20000
    vs_binoc(summary, peers, f"(a) {n_small:,} small files, 1% changed", "small-files", n_small, runs, 0.5)
    csv_mb = args.csv_mb or (5 if q else 500)
    csv_runs = args.csv_runs or (runs if q else 3)
    vs_binoc(summary, peers, f"(b) {csv_mb} MB CSV pair, 1% of rows changed ({csv_runs} run"
             f"{'s' if csv_runs > 1 else ''})", "csv", csv_mb * 2**20, csv_runs, 0.5)
    csv_peer_rows = []
    csv_agree = csv_peers(summary, csv_peer_rows, csv_mb, csv_runs)
    vs_binoc(summary, peers, "(c) nested zips holding CSVs", "nested-zips", 4 if q else 40, runs, 0.5)
    vs_binoc(summary, peers, f"(d) identical trees ({n_small:,} files)", "identical", n_small, runs, 0.25)

    plugin_rows(summary, plugin_details, q)
    log("start-up CPU")
    cpu_rows = startup_cpu.rows(3 if q else 7)
    daemon_rows(summary, daemon_details, 3 if q else 7)
    log("per-plugin isolation")
    iso_rows = isolation.rows(BIN, 10 if q else 60)
    summary.append(["daemon: plain-diff p99 beside 2 diffs hanging on a plugin", iso_rows[0][1],
                    f"alone {iso_rows[0][0]}", iso_rows[0][2], iso_rows[0][3]])

    if not args.skip_scale:
        # File trees first: after the 1 GB CSV pairs the dentries and inodes of two million files
        # had been evicted, and the 1M-file row measured the kernel reloading them.
        sizes = [int(n) for n in args.scale_files.split(",")] if args.scale_files else (
            [1000, 10000] if q else [10000, 100000, 1000000])
        for n in sizes:
            scale(grow, f"{n:,} files", "small-files", n, n, "file", 3)
        for mb in ([1, 10] if q else [10, 100, 1024]):
            size = mb * 2**20
            scale(grow, f"{mb} MB CSV pair" if mb < 1024 else "1 GB CSV pair", "csv", size,
                  csv_rows_count(size), "row", 1 if mb >= 1024 else 3)
    scale_rows = scale_table(grow, summary)

    latency = dict(plugin_details)
    finished = datetime.datetime.now(datetime.timezone.utc)
    report = "\n\n".join([
        "# Performance",
        "Generated by `bash bench/run.sh`" + (" --quick" if q else "") +
        f" at commit `{git_commit(ROOT)}` on {started:%Y-%m-%d}, {started:%H:%M}–{finished:%H:%M} UTC.",
        f"Machine: {machine()}. Load average (1 min) {load_start} at the start, {loadavg()} at the end: "
        "on 2 cores, much above 2 means other work shared them, and absolute times carry that noise "
        "(and the virtual machine's own drift); each ratio compares two figures measured side by side "
        "in this run (alternating runs), which keeps it meaningful.",
        f"Build: `build-release/` (CMake RelWithDebInfo: -O2, NDEBUG, symbols kept for profiling). "
        f"Binoc {binoc_version()} from PyPI in `bench/.venv`. Medians of {runs} runs unless said otherwise; "
        "✅ target met, ❌ missed (see [the analysis](#where-the-time-and-memory-go)).",
        "## Summary: every target, measured",
        table(["what", "deltascope", "reference", "ratio", "target"], summary),
        "## Against Binoc (deltascope / Binoc)",
        table(["case", "input (both sides)", "wall", "CPU (user+sys)", "peak RSS", "same changed paths"], peers),
        f"## CSV against polars and the read+hash floor ({csv_mb} MB a side, keyed on `id`; "
        f"medians of {csv_runs} alternating runs)",
        table(CSV_PEERS_HEADER, csv_peer_rows),
        f"Same row and cell counts as polars: {csv_agree}.",
        "## Plugin call overhead (µs per call; ratios to this run's raw ping-pong)",
        table(["what", "p50 µs", "p99 µs", "p50 / ping-pong"], latency["latency"]),
        "## One plugin instance: a Compare RPC per item vs ComparePipe (C++ plugin, ini, no sandbox)",
        table(["callers", "Compare per item", "ComparePipe", "pipe / Compare", "pipe µs per item",
               "µs per item / ping-pong"], latency["pipe"]),
        "## Plugin start-up (spawn to ready: handshake and Describe answered; ms)",
        table(["what", "median ms", "min – max"], latency["startup"]),
        "CPU time of the plugin process itself from exec to its handshake line (bench/startup_cpu.py; "
        "independent of how long it waited for a core):",
        table(["plugin", "CPU ms to handshake (median)", "wall ms to handshake (median)"], cpu_rows),
        "## Deadline precision (a plugin that never answers)",
        table(["deadline", "median overshoot ms", "min – max"], latency["deadline"]),
        "## Warm daemon vs CLI (one changed `.words` file for the Python plugin)",
        table(["CLI diff (starts the plugin)", "daemon, first request", "daemon, warm", "same output"],
              daemon_details),
        "## Per-plugin isolation (bench/isolation.py: two daemons with 2 diff slots each, one with 2 "
        "diffs hanging on a plugin; plain diffs alternate between them)",
        table(isolation.HEADER, iso_rows),
        "## How cost grows with size (deltascope in steady state: file trees after two unmeasured runs, CSV pairs after one; medians of 3, one run for the 1 GB pair)",
        table(["input", "bytes (both sides)", "wall", "CPU", "peak RSS", "throughput", "wall per unit",
               "growth exponent vs previous (wall / CPU)"], scale_rows),
    ]) + "\n"
    print(report)
    if not q:
        analysis = ROOT / "bench" / "analysis.md"
        text = report + ("\n" + analysis.read_text() if analysis.exists() else "")
        (ROOT / "docs" / "performance.md").write_text(text)
        log("wrote docs/performance.md")


def binoc_version():
    try:
        out = subprocess.run([str(BINOC.parent / "python"), "-c",
                              "import importlib.metadata as m; print(m.version('binoc'))"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    main()
