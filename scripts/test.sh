#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: install, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 -j "$(nproc)"
cd ..
# Then the sanitizer stages (docs/testing.md): the whole suite under ASan+UBSan, every fuzzer for a
# bounded time on that same build, and the concurrency-heavy tests under TSan.
# DELTASCOPE_SANITIZERS=0 skips them (a quick local run).
if [ "${DELTASCOPE_SANITIZERS:-1}" != 0 ]; then
  bash scripts/test-sanitizers.sh asan
  FUZZ_BUILD_DIR=build-asan FUZZ_SEED="${FUZZ_SEED:-1}" bash scripts/fuzz.sh
  bash scripts/test-sanitizers.sh tsan
fi
