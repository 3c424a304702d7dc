#!/bin/sh
# Generates the protocol's Go code (gen/) from proto/ (the .proto files of deltascope's plugin
# protocol, copied here by `deltascope plugins new`), installing protoc's Go plugins if needed.
# Needs protoc (Debian: apt install protobuf-compiler) and Go >= 1.21.
set -eu
cd "$(dirname "$0")"
PATH="$(go env GOPATH)/bin:$PATH"
command -v protoc-gen-go >/dev/null || go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.35.1
command -v protoc-gen-go-grpc >/dev/null ||
  go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
# The Go import path of each proto, whatever its go_package says.
M="Mdeltascope/plugin/v1/comparator.proto=example.com/@NAME@/gen/pluginv1"
M="$M,Mdeltascope/changeset/v1/changeset.proto=example.com/@NAME@/gen/changesetv1"
protoc -I proto --go_out=. --go_opt=module=example.com/@NAME@,$M \
  --go-grpc_out=. --go-grpc_opt=module=example.com/@NAME@,$M \
  deltascope/plugin/v1/comparator.proto deltascope/changeset/v1/changeset.proto
go mod tidy
