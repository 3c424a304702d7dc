#!/bin/bash
# ctest scaffold_{python,cpp,go}: `deltascope plugins new NAME --lang LANG`, then what the
# generated README says (install or build, run its test), then `deltascope plugins check`, which
# must pass as generated. Offline for Python (the wheels of .venv/wheels) and C++ (the in-tree SDK,
# installed into a temporary prefix); Go needs its module proxy, and exits 77 (skipped) without
# Go >= 1.21, protoc or protoc's Go plugins.
#   run.sh LANG SOURCE_DIR BUILD_DIR
set -euo pipefail
lang=$1 src=$2 build=$3
ds="$build/bin/deltascope"
work=$(mktemp -d "${TMPDIR:-/tmp}/deltascope-scaffold-XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config" DELTASCOPE_PLUGIN_PATH=
unset VIRTUAL_ENV DELTASCOPE_PYTHON DELTASCOPE_NO_PYTHON_PLUGINS
name="scaffold-$lang"
project="$work/$name"

skip() { echo "SKIPPED: $*"; exit 77; }

if [ "$lang" = go ]; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  [ -x "$go" ] || skip "no go on PATH or in /usr/local/go/bin"
  minor=$("$go" env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  [ -n "$minor" ] && [ "$minor" -ge 21 ] || skip "go $("$go" env GOVERSION) is older than 1.21"
  command -v protoc >/dev/null || skip "no protoc"
  export PATH="$(dirname "$go"):$work/gobin:$PATH" GOBIN="$work/gobin"
  go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.35.1 &&
    go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1 ||
    skip "cannot go install protoc-gen-go / protoc-gen-go-grpc"
fi

"$ds" plugins new "$name" --lang "$lang" --dir "$project"
check=("$ds" plugins check "$name")
case "$lang" in
  python)
    py="$src/.venv/bin/python"
    # The SDK from a copy, so that building it leaves nothing in the source tree.
    cp -r "$src/plugin-sdk-python" "$work/sdk" && rm -rf "$work/sdk/build" "$work"/sdk/src/*.egg-info
    "$py" -m venv --without-pip "$work/venv"
    pip=("$py" -m pip --python "$work/venv/bin/python" install -q --disable-pip-version-check
         --no-index --find-links "$src/.venv/wheels")
    "${pip[@]}" setuptools wheel
    "${pip[@]}" --no-build-isolation "$work/sdk" "$project"
    # Its test, with the project's pytest (not among the offline wheels) and its sources.
    PYTHONPATH="$project/src" "$py" -m pytest -q -p no:cacheprovider "$project/tests"
    # Found as a pip-installed entry point of the active virtual environment: no flag.
    export VIRTUAL_ENV="$work/venv"
    ;;
  cpp)
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    # The generated project asks for the SDK by version (the package's version file checks it).
    grep -q '^find_package(deltascope_plugin_sdk [0-9][0-9.]* REQUIRED)$' "$project/CMakeLists.txt"
    # A version the installed SDK is not compatible with is refused.
    mkdir "$work/too-new"
    printf 'cmake_minimum_required(VERSION 3.20)\nproject(too_new LANGUAGES CXX)\nfind_package(deltascope_plugin_sdk 99.0 REQUIRED)\n' \
      >"$work/too-new/CMakeLists.txt"
    if cmake -S "$work/too-new" -B "$work/too-new/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
        >"$work/too-new.log" 2>&1; then
      echo "find_package(deltascope_plugin_sdk 99.0) was accepted"; exit 1
    fi
    grep -q "version: [0-9]" "$work/too-new.log"  # read from the version file, not "unknown"
    cmake -S "$project" -B "$project/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
    cmake --build "$project/build" -j2
    ctest --test-dir "$project/build" --output-on-failure
    check+=(--plugin-dir "$project")
    ;;
  go)
    (cd "$project" && sh generate.sh && go vet ./... && go test ./... && go build -o "$name" .)
    check+=(--plugin-dir "$project")
    ;;
esac
out=$("${check[@]}")
echo "$out"
grep -q "^ok   $name 0.1.0: comparator $name: " <<<"$out"
