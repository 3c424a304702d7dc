#!/usr/bin/env bash
# The long soak under faults (docs/testing-soak.md): 32 clients against a real deltascoped for
# SECONDS (default 600) while the test plugin crashes on ~2% of calls and hangs on ~0.5%, with a
# reload every 0.3 s; 0 lost, nothing leaked. Prints the `soak:` line with the figures.
#   bash scripts/soak.sh [SECONDS]      # needs a build in build/ (scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/bin/e2e_tests ] || { echo "build first: bash scripts/build.sh" >&2; exit 2; }
DELTASCOPE_SOAK_SECONDS="${1:-600}" exec build/bin/e2e_tests --gtest_filter='SoakTest.*'
