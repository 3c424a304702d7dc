#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang, ASan and UBSan, and runs each
# for a bounded time, seeded from tests/fuzz/corpus/<target>/. Fails on any crash, leak,
# sanitizer report or per-input timeout; the crashing input is left in
# <build>/fuzz-artifacts/ (add it to the corpus as a regression seed once fixed).
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 25)
#   FUZZ_BUILD_DIR  build folder (default build-fuzz; scripts/test.sh passes build-asan, the
#                   ASan+UBSan build of the sanitized suite, which already holds the fuzzers)
#   FUZZ_TARGETS    space-separated target names (default: every tests/fuzz/*_fuzz.cc)
#   FUZZ_SEED       libFuzzer's random seed (default: a new one each run). scripts/test.sh fixes
#                   it, so CI explores the same inputs for the same code and never fails on luck;
#                   exploratory runs leave it unset (docs/testing.md).
# Extra arguments go to every fuzzer (e.g. -jobs=2 -workers=2, -max_len=65536).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CCACHE_DIR="${CCACHE_DIR:-$ROOT/.ccache}"
# Lets ccache cache the translation units that use the precompiled headers.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
SECONDS_EACH="${FUZZ_SECONDS:-25}"
BUILD="${FUZZ_BUILD_DIR:-build-fuzz}"
TARGETS=(${FUZZ_TARGETS:-$(cd tests/fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|\.cc$||')})

start=$SECONDS
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  # Only the fuzzers and what they link: no test suite.
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDELTASCOPE_SANITIZE=address,undefined -DDELTASCOPE_FUZZ=ON -DDELTASCOPE_PCH=ON \
    -DDELTASCOPE_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" --target "${TARGETS[@]}"
echo "fuzz: build took $((SECONDS - start)) s" >&2

export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
seed_args=()
[ -n "${FUZZ_SEED:-}" ] && seed_args=(-seed="$FUZZ_SEED")
failed=()
for target in "${TARGETS[@]}"; do
  seeds="$ROOT/tests/fuzz/corpus/${target%_fuzz}"
  work="$ROOT/$BUILD/fuzz-corpus/$target"  # new inputs go here, never into the committed seeds
  artifacts="$ROOT/$BUILD/fuzz-artifacts"
  mkdir -p "$work" "$artifacts" "$seeds"
  echo "fuzz: $target for ${SECONDS_EACH} s" >&2
  if ! "$BUILD/bin/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${seed_args[@]}" "$@" \
      "$work" "$seeds" \
      >"$ROOT/$BUILD/$target.log" 2>&1; then
    echo "fuzz: $target FAILED; its log ($BUILD/$target.log) ends:" >&2
    tail -n 60 "$ROOT/$BUILD/$target.log" >&2
    failed+=("$target")
  else
    grep -E "^stat::number_of_executed_units|^Done" "$ROOT/$BUILD/$target.log" | tr '\n' ' ' >&2
    echo >&2
  fi
done
echo "fuzz: ${#TARGETS[@]} targets in $((SECONDS - start)) s" >&2
if ((${#failed[@]})); then
  echo "fuzz: crashes in ${failed[*]} (inputs in $BUILD/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz: $((${#TARGETS[@]})) passed, 0 failed"
