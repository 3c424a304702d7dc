#!/usr/bin/env bash
# Installs everything deltascope needs to build, test and run on Debian 12. Idempotent: packages
# already present are not touched, and apt-get runs only when something is missing.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  libarchive-dev libxxhash-dev libssl-dev zlib1g-dev libseccomp-dev libre2-dev libsqlite3-dev
  libcivetweb-dev libsystemd-dev
  bubblewrap python3 python3-venv python3-pip
  chromium  # headless, for the HTML report's browser tests (tests/browser/)
  clang libclang-rt-14-dev
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python: one virtual environment (.venv) for the Python SDK, the example Python plugins and
# their tests. Editable installs, so the tree's sources are what runs.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import deltascope_plugin, deltascope_sqlite, pytest, grpc" 2>/dev/null; then
  echo "install-deps: installing the Python SDK and example plugins into $VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    -e "$ROOT/plugin-sdk-python" -e "$ROOT/examples/plugins/sqlite-python" "pytest>=7"
fi
# Wheels the end-to-end Python tests install into fresh virtual environments, offline.
WHEELS="$VENV/wheels"
if ! ls "$WHEELS"/grpcio-*.whl "$WHEELS"/protobuf-*.whl "$WHEELS"/setuptools-*.whl \
  "$WHEELS"/wheel-*.whl >/dev/null 2>&1; then
  echo "install-deps: downloading wheels for the fresh-venv tests into $WHEELS" >&2
  "$VENV/bin/pip" download -q --disable-pip-version-check --only-binary=:all: -d "$WHEELS" \
    grpcio protobuf "setuptools>=64" wheel
fi

# deploy_validate: `systemd-analyze verify` checks deploy/systemd/deltascoped.service. Debian 12
# containers often lack systemd; it is one small apt install (the test skips that check, saying
# so, if this fails). The Go validator needs only the Go toolchain and the module proxy.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "install-deps: installing systemd (for systemd-analyze verify)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends systemd \
      >/dev/null; } || echo "install-deps: could not install systemd; skipping that check" >&2
fi

# Go (the Go validator in deploy/validate): a go >= 1.21 already on PATH or in /usr/local/go/bin
# is kept (it fetches the toolchain go.mod names). Only without one is Debian's golang-go
# installed; Debian 12's is 1.19, too old for these modules, so the Go tests then say skipped.
go_ok() {
  local v
  v="$("$1" env GOVERSION 2>/dev/null)" || return 1 # e.g. go1.26.8
  v="${v#go}"
  [ "${v%%.*}" -gt 1 ] || { v="${v#1.}"; [ "${v%%.*}" -ge 21 ]; }
}
if ! { command -v go >/dev/null 2>&1 && go_ok go; } && ! go_ok /usr/local/go/bin/go; then
  echo "install-deps: no go >= 1.21 found; installing Debian's golang-go" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends golang-go \
    >/dev/null || echo "install-deps: could not install golang-go; the Go checks will skip" >&2
fi
