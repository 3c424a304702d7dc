#!/usr/bin/env bash
# Regenerates gen/ (checked in) from the repository's protos with protoc-gen-go and
# protoc-gen-go-grpc. The vendored health.proto is NOT generated: grpc-go ships its own.
set -euo pipefail
cd "$(dirname "$0")"
PROTO=../../../proto
M=github.com/deltascope/deltascope/examples/plugins/toml-go/gen
OPTS=(--go_opt=module=$M --go-grpc_opt=module=$M)
for p in plugin changeset; do
  OPTS+=("--go_opt=Mdeltascope/$p/v1/${p/plugin/comparator}.proto=$M/${p}v1"
    "--go-grpc_opt=Mdeltascope/$p/v1/${p/plugin/comparator}.proto=$M/${p}v1")
done
rm -rf gen && mkdir gen
protoc -I "$PROTO" --go_out=gen --go-grpc_out=gen "${OPTS[@]}" \
  "$PROTO/deltascope/plugin/v1/comparator.proto" "$PROTO/deltascope/changeset/v1/changeset.proto"
