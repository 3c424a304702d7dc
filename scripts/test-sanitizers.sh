#!/usr/bin/env bash
# The sanitizer stages of the test suite (scripts/test.sh runs them after the normal suite):
#   asan  build-asan/, clang, AddressSanitizer + UndefinedBehaviorSanitizer: the WHOLE ctest suite.
#         Also built with libFuzzer coverage, so scripts/fuzz.sh reuses this build.
#   tsan  build-tsan/, clang, ThreadSanitizer: only the test binaries of the concurrency-heavy
#         tests (plugin supervisor and host, task pool, daemon), and only those tests.
# Usage: scripts/test-sanitizers.sh [asan] [tsan]   (default: both; scripts/test.sh runs both).
# Reports from any process (tests, the CLI, the daemon, plugins inside the sandbox) land in
# build-*/sanitizer-reports/;
# a stage fails when its tests fail or when any report was written.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CCACHE_DIR="${CCACHE_DIR:-$ROOT/.ccache}"
# Lets ccache cache the translation units that use the precompiled headers.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
JOBS="${DELTASCOPE_TEST_JOBS:-$(nproc)}"
STAGES=("$@")
((${#STAGES[@]})) || STAGES=(asan tsan)

# The concurrency-heavy tests TSan runs (ctest -R).
TSAN_TESTS='SupervisorTest|TaskPoolTest|MisbehaviourTest|PluginQuarantineTest|PluginSignalTest|DaemonTest|DaemonPluginTest|DaemonPluginIsolationTest|DaemonOpsTest|BreakerTest|PipeTest'

# configure DIR SANITIZERS [cmake args...]
configure() {
  local dir="$1" sanitize="$2"
  shift 2
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDELTASCOPE_SANITIZE="$sanitize" -DDELTASCOPE_PCH=ON -DDELTASCOPE_WERROR=OFF "$@" >/dev/null
}

# check_reports DIR: fails (printing them) when a sanitizer wrote any report.
check_reports() {
  local reports="$1"
  if compgen -G "$reports/*" >/dev/null; then
    echo "test-sanitizers: sanitizer reports in $reports:" >&2
    for f in "$reports"/*; do
      echo "== $f" >&2
      head -n 60 "$f" >&2
    done
    return 1
  fi
}

# run_ctest DIR [ctest args...]: the suite with reports collected in DIR/sanitizer-reports.
run_ctest() {
  local dir="$1"
  shift
  local reports="$ROOT/$dir/sanitizer-reports"
  rm -rf "$reports"
  mkdir -p "$reports"
  local status=0
  (
    cd "$dir"
    export DELTASCOPE_SANITIZER_REPORTS="$reports"
    ctest --output-on-failure --timeout 900 -j "$JOBS" "$@"
  ) || status=$?
  check_reports "$reports" || status=1
  return "$status"
}

for stage in "${STAGES[@]}"; do
  start=$SECONDS
  case "$stage" in
    asan)
      configure build-asan address,undefined -DDELTASCOPE_FUZZ=ON
      # What the suite runs; scripts/fuzz.sh adds the fuzzers to this build afterwards.
      cmake --build build-asan --target unit_tests e2e_tests
      echo "test-sanitizers: asan build took $((SECONDS - start)) s" >&2
      # Signals stay signals (handle_*=0): tests kill plugins on purpose and check how they died.
      export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:detect_stack_use_after_return=0:log_path=$ROOT/build-asan/sanitizer-reports/asan"
      export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$ROOT/build-asan/sanitizer-reports/ubsan"
      export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
      run_ctest build-asan
      unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
      ;;
    tsan)
      configure build-tsan thread
      cmake --build build-tsan --target unit_tests e2e_concurrency_tests
      echo "test-sanitizers: tsan build took $((SECONDS - start)) s" >&2
      # symbolize=0: TSan symbolizes every race it checks against the suppressions, spawning
      # llvm-symbolizer inside each plugin (a process the tests would count, and a fork the
      # sandbox refuses); the suppressions match module names, which need no symbolizer.
      # A report shows module+offset: rerun that test with symbolize=1 to read it.
      # atexit_sleep_ms=0: no 1 s pause at every exit (plugins killed at a 1 s deadline).
      # report_thread_leaks=0: on SIGINT/SIGTERM the CLI cleans up and _exit()s on purpose with
      # its worker threads unjoined (exit 130/143); TSan would report each as a leak.
      export TSAN_OPTIONS="report_thread_leaks=0:halt_on_error=1:second_deadlock_stack=1:symbolize=0:atexit_sleep_ms=0:handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:suppressions=$ROOT/tests/tsan.supp:log_path=$ROOT/build-tsan/sanitizer-reports/tsan"
      run_ctest build-tsan -R "$TSAN_TESTS"
      unset TSAN_OPTIONS
      ;;
    *)
      echo "test-sanitizers: unknown stage '$stage' (asan or tsan)" >&2
      exit 2
      ;;
  esac
  echo "test-sanitizers: $stage stage took $((SECONDS - start)) s" >&2
done
