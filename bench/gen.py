#!/usr/bin/env python3
"""Deterministic benchmark datasets (seeded; nothing is committed).

    python3 bench/gen.py DEST CASE [SIZE]

CASE: small-files (SIZE files, 1% changed), csv (a SIZE-byte CSV pair, 1% of rows changed),
nested-zips (zips in zips holding CSVs), identical (a SIZE-file tree copied as is).
Each case writes DEST/a and DEST/b, and is skipped when DEST/.done matches the request.
"""
import io
import os
import random
import shutil
import sys
import zipfile
from pathlib import Path


def small_files(dest: Path, n: int, changed_fraction=0.01, identical=False):
    rng = random.Random(n)
    for i in range(n):
        rel = f"d{i % 100:02d}/e{(i // 100) % 20:02d}/f{i:07d}.txt"
        body = "".join(f"{i},{j},{rng.random():.6f}\n" for j in range(8))
        for side in ("a", "b"):
            p = dest / side / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            text = body
            if side == "b" and not identical and i % int(1 / changed_fraction) == 0:
                text = body + f"{i},changed\n"
            p.write_text(text)


def csv_pair(dest: Path, size: int, changed_fraction=0.01):
    rng = random.Random(size)
    (dest / "a").mkdir(parents=True, exist_ok=True)
    (dest / "b").mkdir(parents=True, exist_ok=True)
    step = int(1 / changed_fraction)
    with open(dest / "a" / "data.csv", "w") as fa, open(dest / "b" / "data.csv", "w") as fb:
        header = "id,name,city,amount,score,updated\n"
        fa.write(header)
        fb.write(header)
        written, i = len(header), 0
        cities = ["Oslo", "Lyon", "Porto", "Graz", "Turku", "Cork"]
        while written < size:
            row = f"{i},name{i},{cities[i % 6]},{rng.randint(0, 10**6)},{rng.random():.5f},2024-01-{1 + i % 28:02d}\n"
            fa.write(row)
            if i % step == 0:
                fb.write(row.replace(",2024-01-", ",2025-02-"))  # one cell changed
            else:
                fb.write(row)
            written += len(row)
            i += 1


def nested_zips(dest: Path, n_outer: int):
    rng = random.Random(n_outer)
    for side in ("a", "b"):
        (dest / side).mkdir(parents=True, exist_ok=True)
    for k in range(n_outer):
        inner = {}
        for m in range(5):
            rows = [f"{r},{rng.randint(0, 999)}\n" for r in range(2000)]
            inner[m] = rows
        for side in ("a", "b"):
            outer_buf = io.BytesIO()
            with zipfile.ZipFile(outer_buf, "w", zipfile.ZIP_DEFLATED) as outer:
                for m, rows in inner.items():
                    inner_buf = io.BytesIO()
                    with zipfile.ZipFile(inner_buf, "w", zipfile.ZIP_DEFLATED) as z:
                        body = "id,value\n" + "".join(rows)
                        if side == "b" and k % 4 == 0 and m == 0:
                            body += "9999999,1\n"
                        z.writestr(zipfile.ZipInfo(f"table{m}.csv", (2024, 1, 1, 0, 0, 0)), body)
                    outer.writestr(zipfile.ZipInfo(f"part{m}.zip", (2024, 1, 1, 0, 0, 0)), inner_buf.getvalue())
            (dest / side / f"bundle{k:03d}.zip").write_bytes(outer_buf.getvalue())


def main():
    dest, case = Path(sys.argv[1]), sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    stamp = f"{case} {size}\n"
    done = dest / ".done"
    if done.exists() and done.read_text() == stamp:
        return
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if case == "small-files":
        small_files(dest, size)
    elif case == "identical":
        small_files(dest, size, identical=True)
    elif case == "csv":
        csv_pair(dest, size)
    elif case == "nested-zips":
        nested_zips(dest, size)
    else:
        sys.exit(f"unknown case {case}")
    done.write_text(stamp)


if __name__ == "__main__":
    main()
