#!/usr/bin/env python3
"""Runs every benchmark and prints one table of ratios, also written to docs/performance.md.

    bash bench/run.sh            # full sizes (what docs/performance.md reports)
    bash bench/run.sh --quick    # small sizes, for checking the harness

Each figure is the median of several runs measured in this one run, on the same generated
inputs, for deltascope and its peer; a ratio from two tools that disagree on the set of
changed paths is reported as such, not as a result.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DELTASCOPE = ROOT / "build-release" / "bin" / "deltascope"
BINOC = ROOT / "bench" / ".venv" / "bin" / "binoc"


def measure(argv, cwd=None):
    """Wall seconds and peak RSS (bytes) of one run of argv; its stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"{argv[0]} exited {code}: {err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss * 1024, out


def median_run(argv, runs, cwd=None):
    walls, rss, out = [], [], b""
    for _ in range(runs):
        w, r, out = measure(argv, cwd)
        walls.append(w)
        rss.append(r)
    return statistics.median(walls), statistics.median(rss), out


def leaf_paths(node, out):
    """Paths of changed files (leaves), the common ground of both tools' trees."""
    if not node:
        return out
    children = node.get("children") or []
    if not children and node.get("item_type") != "directory":
        out.add(node["path"])
    for c in children:
        leaf_paths(c, out)
    return out


def generate(case, size):
    dest = DATA / f"{case}-{size}"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen.py"), str(dest), case, str(size)], check=True)
    return dest


def dir_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def vs_binoc(rows, label, case, size, runs, target_wall, target_rss):
    dest = generate(case, size)
    ds = [str(DELTASCOPE), "diff", "a", "b", "--format", "json"]
    bn = [str(BINOC), "diff", "a", "b", "--format", "json"]
    d_wall, d_rss, d_out = median_run(ds, runs, cwd=dest)
    b_wall, b_rss, b_out = median_run(bn, runs, cwd=dest)
    d_paths = leaf_paths(json.loads(d_out).get("root"), set())
    b_json = json.loads(b_out)
    b_root = b_json[0].get("root") if isinstance(b_json, list) else b_json.get("root")
    b_paths = leaf_paths(b_root, set())
    agree = "yes" if d_paths == b_paths else f"NO ({len(d_paths ^ b_paths)} paths differ)"
    rows.append([label, f"{d_wall:.2f} s / {b_wall:.2f} s", f"{d_wall / b_wall:.2f}x (≤ {target_wall}x)",
                 f"{human(d_rss)} / {human(b_rss)}", f"{d_rss / b_rss:.2f}x (≤ {target_rss}x)", agree])


def scale(rows, label, case, size, runs):
    dest = generate(case, size)
    wall, rss, _ = median_run([str(DELTASCOPE), "diff", "a", "b", "--format", "json"], runs, cwd=dest)
    total = dir_bytes(dest / "a") + dir_bytes(dest / "b")
    rows.append([label, human(total), f"{wall:.2f} s", human(rss), f"{human(total / wall)}/s"])


def plugin_rows(rows):
    """Plugin overhead: ratios to the raw socketpair ping-pong of this same run."""
    bindir = ROOT / "build-release" / "bin"
    mdir = DATA / "plugins"
    mdir.mkdir(parents=True, exist_ok=True)
    venv_python = ROOT / ".venv" / "bin" / "python"
    (mdir / "json-cpp.plugin.yaml").write_text(
        f"name: json-cpp\nversion: 0.1.0\ncommand: {bindir / 'deltascope-plugin-json'}\n"
        "comparators:\n  - name: json\n    extensions: [.json]\nlimits: {max_instances: 2}\n")
    (mdir / "words-python.plugin.yaml").write_text(
        f"name: words-python\nversion: 1.0\ncommand: {venv_python}\n"
        f"args: [{ROOT / 'bench' / 'plugins' / 'words.py'}]\n"
        f"comparators:\n  - name: words\n    extensions: [.words]\n"
        f"sandbox: {{read_only: [{ROOT}]}}\n")
    (mdir / "hang.plugin.yaml").write_text(
        f"name: hang\nversion: 1\ncommand: {bindir / 'deltascope-test-plugin'}\nenv: {{BAD_MODE: hang}}\n"
        "comparators:\n  - name: bad\n    extensions: [.bad]\nlimits: {call_timeout: 200ms}\n")
    ping = subprocess.run([str(bindir / "pingpong")], capture_output=True, text=True, check=True).stdout.split()
    ping_p50, ping_p99 = float(ping[1]), float(ping[2])
    out = subprocess.run([str(bindir / "plugin_bench"), str(mdir)], capture_output=True, text=True,
                         check=True).stdout
    facts = {}
    for line in out.splitlines():
        parts = line.split()
        if parts[0] == "startup_ms":
            facts[f"startup {parts[1]} {parts[2]}"] = float(parts[3])
        if parts[0] == "items_per_s":
            facts[f"items {parts[1]}"] = float(parts[2])
        if parts[0] == "deadline_overshoot_ms":
            facts["overshoot"] = float(parts[1])
        if parts[0] == "inprocess_us":
            facts["inprocess"] = (float(parts[1]), float(parts[2]))
        if parts[0] == "plugin_call_us":
            facts[f"call {parts[1]}"] = (float(parts[2]), float(parts[3]))
    rows.append(["raw socketpair ping-pong (64 B)", f"p50 {ping_p50:.1f} µs, p99 {ping_p99:.1f} µs", "1.00x", "the floor"])
    ip50, ip99 = facts["inprocess"]
    rows.append(["in-process comparator call", f"p50 {ip50:.3f} µs, p99 {ip99:.3f} µs", f"{ip50 / ping_p50:.3f}x", "—"])
    for lang in ("cpp", "python"):
        p50, p99 = facts[f"call {lang}"]
        target = "≤ 1.5x" if lang == "cpp" else "—"
        rows.append([f"{'C++' if lang == 'cpp' else 'Python'} plugin call (gRPC, Unix socket)",
                     f"p50 {p50:.1f} µs, p99 {p99:.1f} µs", f"{p50 / ping_p50:.2f}x", target])
    rows.append(["items/s through one C++ instance", f"{facts['items 1']:.0f}", "—", "—"])
    rows.append(["items/s through the pool (2 instances, 2 callers)", f"{facts['items 2']:.0f}",
                 f"{facts['items 2'] / facts['items 1']:.2f}x of one", "—"])
    for lang, target in (("cpp", 10), ("python", 250)):
        for mode in ("off", "standard"):
            v = facts[f"startup {lang} {mode}"]
            rows.append([f"start-up, {'C++' if lang == 'cpp' else 'Python'} plugin, sandbox {mode}",
                         f"{v:.1f} ms", "—", f"≤ {target} ms ({'met' if v <= target else 'missed'})"])
    o = facts["overshoot"]
    rows.append(["deadline overshoot (hung plugin, 200 ms deadline)", f"{o:.1f} ms", "—",
                 f"≤ 100 ms ({'met' if o <= 100 else 'missed'})"])


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{os.cpu_count()} cores ({cpu}), {human(mem)} RAM, Linux {platform.release()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the harness)")
    args = parser.parse_args()
    q = args.quick
    runs = 1 if q else 3

    peers = []
    vs_binoc(peers, "(a) 20,000 small files, 1% changed", "small-files", 2000 if q else 20000, runs, 0.5, 0.5)
    vs_binoc(peers, "(b) CSV pair, 1% of rows changed", "csv", (5 if q else 500) * 2**20, runs, 0.5, 0.5)
    vs_binoc(peers, "(c) nested zips holding CSVs", "nested-zips", 4 if q else 40, runs, 0.5, 0.5)
    vs_binoc(peers, "(d) identical trees (20,000 files)", "identical", 2000 if q else 20000, runs, 0.25, 0.25)

    plugins = []
    plugin_rows(plugins)

    grow = []
    for n in ([1000, 10000] if q else [10000, 100000, 1000000]):
        scale(grow, f"{n:,} files, 1% changed", "small-files", n, 1)
    for mb in ([1, 10] if q else [10, 100, 1024]):
        scale(grow, f"CSV pair, {mb} MB each", "csv", mb * 2**20, 1)

    report = "\n\n".join([
        "# Performance",
        "Generated by `bash bench/run.sh`" + (" --quick" if q else "") + f" on {machine()}.",
        "## Against Binoc 0.2 (deltascope / Binoc; medians of " + str(runs) + " runs)",
        table(["case", "wall", "wall ratio (target)", "peak RSS", "RSS ratio (target)", "same changed paths"], peers),
        "## Plugin overhead (this run's ratios to the raw ping-pong)",
        table(["what", "measured", "ratio to ping-pong", "target"], plugins),
        "## How cost grows with size (deltascope)",
        table(["input", "bytes (both sides)", "wall", "peak RSS", "throughput"], grow),
    ]) + "\n"
    print(report)
    if not q:
        (ROOT / "docs" / "performance.md").write_text(report)


if __name__ == "__main__":
    main()
