#!/usr/bin/env bash
# Configures and builds deltascope into build/ (warnings are errors). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
cmake -S . -B build -G Ninja -DDELTASCOPE_WERROR=ON "$@" >/dev/null
cmake --build build
