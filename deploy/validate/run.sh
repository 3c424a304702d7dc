#!/usr/bin/env bash
# The deploy_validate test: builds deploy-validate (main.go) from its pinned Go modules (go.sum),
# runs it on deploy/, then `systemd-analyze verify` on the unit when systemd-analyze exists.
# Usage: run.sh OUT_DIR DELTASCOPED_BINARY. Exit 77 (skip) only when no Go toolchain exists.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DEPLOY="$(dirname "$HERE")"
OUT="${1:?OUT_DIR}"
DAEMON_BIN="${2:?DELTASCOPED_BINARY}"
mkdir -p "$OUT"

GO="$(command -v go || true)"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; }
if [ -z "$GO" ]; then
  echo "SKIP: no Go toolchain (go) on PATH or in /usr/local/go: deploy/ was not validated"
  exit 77
fi
start=$(date +%s)
(cd "$HERE" && GOFLAGS=-mod=readonly "$GO" build -o "$OUT/deploy-validate" .)
echo "deploy-validate built in $(($(date +%s) - start)) s"
"$OUT/deploy-validate" "$DEPLOY"

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not found: deploy/systemd/deltascoped.service was not verified"
  exit 0
fi
# verify insists that ExecStart's program exists: point it at this build's deltascoped. The TCP
# drop-in is checked as the unit with the drop-in appended (a unit file may repeat [Service], and
# the drop-in's empty ExecStart= resets the list, exactly as in a .d/ folder).
UNIT_DIR="$(mktemp -d)"
trap 'rm -rf "$UNIT_DIR"' EXIT
sed "s|/usr/local/bin/deltascoped|$DAEMON_BIN|" "$DEPLOY/systemd/deltascoped.service" \
  >"$UNIT_DIR/deltascoped.service"
cat "$UNIT_DIR/deltascoped.service" "$DEPLOY/systemd/deltascoped-tcp.conf" |
  sed "s|/usr/local/bin/deltascoped|$DAEMON_BIN|" >"$UNIT_DIR/deltascoped-tcp.service"
for unit in deltascoped.service deltascoped-tcp.service; do
  if ! out="$(systemd-analyze verify --man=no "$UNIT_DIR/$unit" 2>&1)"; then
    echo "$out"
    echo "deploy/systemd ($unit): systemd-analyze verify failed"
    exit 1
  fi
  if [ -n "$out" ]; then
    echo "$out"
    echo "deploy/systemd ($unit): systemd-analyze verify printed warnings"
    exit 1
  fi
done
echo "systemd-analyze verify: deploy/systemd/deltascoped.service (alone and with deltascoped-tcp.conf) is valid"
