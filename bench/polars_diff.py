#!/usr/bin/env python3
"""The keyed CSV diff a user would write with polars (PyPI), as bench.py's peer for deltascope:
read both tables (every column as text, as deltascope compares them), full-join them on the
key, compare the cells of the rows on both sides, and count rows added, removed and changed
and cells changed. Prints one JSON object.

    polars_diff.py OLD.csv NEW.csv --key id
"""
import argparse
import json

import polars as pl


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--key", default="id")
    args = parser.parse_args()
    # infer_schema_length=0: every column is read as a string (no type guessing, no "1.0" == "1").
    old = pl.scan_csv(args.old, infer_schema_length=0).with_columns(pl.lit(True).alias("_in_old"))
    new = pl.scan_csv(args.new, infer_schema_length=0).with_columns(pl.lit(True).alias("_in_new"))
    columns = [c for c in old.collect_schema().names() if c not in (args.key, "_in_old")]
    joined = old.join(new, on=args.key, how="full", coalesce=True, suffix="_new")
    both = pl.col("_in_old").is_not_null() & pl.col("_in_new").is_not_null()
    # A cell changed when its text differs (a null on one side only counts as a change).
    diffs = [pl.col(c).ne_missing(pl.col(f"{c}_new")).cast(pl.UInt32) for c in columns]
    changed_cells = pl.sum_horizontal(diffs)
    counts = joined.select(
        added=pl.col("_in_old").is_null().sum(),
        removed=pl.col("_in_new").is_null().sum(),
        changed=(both & (changed_cells > 0)).sum(),
        cells_changed=pl.when(both).then(changed_cells).otherwise(0).sum(),
    ).collect()
    print(json.dumps({k: int(v[0]) for k, v in counts.to_dict(as_series=False).items()}))


if __name__ == "__main__":
    main()
