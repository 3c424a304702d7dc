#!/usr/bin/env bash
# Builds a Release deltascope, installs Binoc 0.2 into bench/.venv, generates the datasets and
# runs every benchmark (bench/bench.py). Arguments go to bench.py (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target deltascope deltascope-plugin-json deltascope-test-plugin \
  pingpong plugin_bench >/dev/null
if [ ! -x bench/.venv/bin/binoc ]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q --disable-pip-version-check "binoc>=0.2,<0.3"
fi
exec python3 bench/bench.py "$@"
