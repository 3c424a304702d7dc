#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 -j "$(nproc)"
cd ..
# With DELTASCOPE_SANITIZERS=1: the same suite under ASan+UBSan, then every fuzzer for a bounded
# time, reusing that build (docs/testing.md). Opt-in until the merged suite has been timed green
# under ASan on a clean 2-core machine; the TSan stage (scripts/test-sanitizers.sh tsan) too.
if [ "${DELTASCOPE_SANITIZERS:-0}" = 1 ]; then
  bash scripts/test-sanitizers.sh asan
  FUZZ_BUILD_DIR=build-asan bash scripts/fuzz.sh
fi
