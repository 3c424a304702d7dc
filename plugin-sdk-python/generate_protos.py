#!/usr/bin/env python3
"""Regenerates src/deltascope_plugin/_gen/ from ../proto (needs grpcio-tools).

The generated modules are committed so that installing the SDK needs only grpcio and protobuf.
Imports are rewritten to live under deltascope_plugin._gen, so they never shadow the `grpc`
package (grpc/health/v1) or clash with another copy of the protos.
"""
import re
import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent / "proto"
OUT = HERE / "src" / "deltascope_plugin" / "_gen"
PROTOS = ["deltascope/changeset/v1/changeset.proto", "deltascope/plugin/v1/comparator.proto",
          "grpc/health/v1/health.proto"]


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    include = str(Path(protoc.__file__).parent / "_proto")
    args = ["protoc", f"-I{PROTO_ROOT}", f"-I{include}", f"--python_out={OUT}", f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}"] + [str(PROTO_ROOT / p) for p in PROTOS]
    if protoc.main(args) != 0:
        return 1
    for path in OUT.rglob("*_pb2_grpc.py"):
        if "Servicer" not in path.read_text():
            path.unlink()  # a proto without services (changeset): nothing but boilerplate
    for path in OUT.rglob("*.py*"):
        text = path.read_text()
        text = re.sub(r"^from (deltascope|grpc\.health)(\.[\w.]+)? import", 
                      lambda m: f"from deltascope_plugin._gen.{m.group(1)}{m.group(2) or ''} import",
                      text, flags=re.M)
        path.write_text(text)
    for d in [OUT, *[p for p in OUT.rglob("*") if p.is_dir()]]:
        (d / "__init__.py").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
