#!/usr/bin/env bash
# The main job on the bundled example snapshots: install, build, then print the changelog of
# examples/snapshots (2024-01 → 2024-06 → 2025-01), with two real out-of-process plugins in
# the standard sandbox: the C++ INI comparator (examples/plugins/ini-cpp, found through its
# manifest) and the Python SQLite comparator (examples/plugins/sqlite-python, found through its
# entry point after `pip install`, done by install-deps.sh), also written as the HTML report
# build/example-report.html (its path is printed last); then the Go TOML comparator
# (examples/plugins/toml-go) on its own pair of TOML files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
report="$PWD/build/example-report.html"
cd examples/snapshots
status=0
../../build/bin/deltascope diff 2024-01 2024-06 2025-01 --group -o - -o "$report" \
  --plugin-dir ../plugins/ini-cpp --python ../../.venv/bin/python || status=$?
# Exit status 1 means "changes found": that is success for a demo.
[ "$status" -le 1 ]
# The Go plugin (examples/plugins/toml-go) on its TOML pair, when a Go toolchain exists.
cd ../plugins/toml-go
if bash build.sh >/dev/null; then
  status=0
  ../../../build/bin/deltascope diff testdata/old testdata/new --plugin-dir . || status=$?
  [ "$status" -le 1 ]
else
  echo "demo: no Go toolchain; skipping the Go TOML plugin" >&2
fi
echo "demo: HTML report written to $report (open it in a browser)"
