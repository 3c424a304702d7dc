#!/usr/bin/env bash
# Builds the Go TOML plugin into OUT_DIR/deltascope-plugin-toml (default: build/bin), then, given
# a deltascope binary, runs its Go unit tests and a real `deltascope diff` through it in the
# standard sandbox on testdata/. Exit 77 (skip) only when no Go toolchain exists.
# Usage: build.sh [OUT_DIR [DELTASCOPE_BINARY]]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(realpath -m "${1:-$HERE/../../../build/bin}")"
DELTASCOPE="${2:+$(realpath "$2")}"
GO="$(command -v go || true)"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; }
if [ -z "$GO" ]; then
  echo "SKIP: no Go toolchain (go) on PATH or in /usr/local/go: the Go plugin was not built"
  exit 77
fi
mkdir -p "$OUT"
cd "$HERE"
# No cgo: a static binary, and no glibc thread arenas eating the `memory` budget.
CGO_ENABLED=0 GOFLAGS=-mod=readonly "$GO" build -o "$OUT/deltascope-plugin-toml" .
echo "built $OUT/deltascope-plugin-toml"
[ -n "$DELTASCOPE" ] || exit 0

GOFLAGS=-mod=readonly "$GO" test ./...
# A manifest next to the binary just built; the real CLI, the standard sandbox.
MANIFESTS="$(mktemp -d)"
trap 'rm -rf "$MANIFESTS"' EXIT
sed "s|^command: .*|command: $OUT/deltascope-plugin-toml|" toml-go.plugin.yaml \
  >"$MANIFESTS/toml-go.plugin.yaml"
"$DELTASCOPE" plugins check toml-go --plugin-dir "$MANIFESTS" --sandbox standard
status=0
out="$("$DELTASCOPE" diff testdata/old testdata/new --plugin-dir "$MANIFESTS" --sandbox standard \
  --format json)" || status=$?
[ "$status" -eq 1 ] || { echo "FAIL: deltascope diff exited $status (want 1: changes)"; exit 1; }
want='3 keys differ: 1 added, 2 changed (export.columns, server.port, server.tls)'
grep -q '"comparator": "toml"' <<<"$out" || { echo "FAIL: toml comparator not used: $out"; exit 1; }
grep -qF "$want" <<<"$out" || { echo "FAIL: no '$want' in: $out"; exit 1; }
echo "ok: deltascope diff used the Go plugin: $want"
