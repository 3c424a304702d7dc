#!/usr/bin/env bash
# The main job on the bundled example snapshots: install, build, then print the changelog of
# examples/snapshots (2024-01 → 2024-06 → 2025-01).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
cd examples/snapshots
status=0
../../build/bin/deltascope diff 2024-01 2024-06 2025-01 --group || status=$?
# Exit status 1 means "changes found": that is success for a demo.
[ "$status" -le 1 ]
