"""Running a comparator in-process, for unit tests and notebooks.

    from deltascope_plugin.testing import compare_files
    result = compare_files(MyComparator(), "old.sqlite", "new.sqlite")
    assert result.outcome == "leaf" and "3 rows added" in result.summary
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Dict, List, Optional

from google.protobuf import json_format

from deltascope_plugin._api import Comparator
from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2 as pb
from deltascope_plugin._server import run_comparator

_OUTCOME_NAMES = {pb.CompareResponse.OUTCOME_IDENTICAL: "identical", pb.CompareResponse.OUTCOME_LEAF: "leaf",
                  pb.CompareResponse.OUTCOME_EXPAND: "expand", pb.CompareResponse.OUTCOME_SKIP: "skip"}


@dataclasses.dataclass
class CompareOutcome:
    outcome: str
    node: Dict[str, Any]
    children: List[Dict[str, str]]

    @property
    def summary(self) -> str:
        return self.node.get("summary", "")

    @property
    def tags(self) -> List[str]:
        return self.node.get("tags", [])


def _item(path: Optional[str], logical: str) -> Optional[pb.Item]:
    if path is None:
        return None
    return pb.Item(logical_path=logical, path=os.path.abspath(path), size=os.path.getsize(path), kind="file")


def compare_files(comparator: Comparator, left: Optional[str], right: Optional[str], *,
                  logical_path: Optional[str] = None, options: Optional[Dict[str, str]] = None,
                  max_examples: int = 8, output_dir: str = "") -> CompareOutcome:
    """Compares two files (either may be None: added / removed) exactly as the host would ask."""
    logical = logical_path or os.path.basename(right or left or "")
    request = pb.CompareRequest(comparator=comparator.name, path=logical, options=options or {},
                                max_examples=max_examples, output_dir=output_dir)
    for field, path in (("left", left), ("right", right)):
        item = _item(path, logical)
        if item is not None:
            getattr(request, field).CopyFrom(item)
    response = run_comparator(comparator, request, left and os.path.abspath(left),
                              right and os.path.abspath(right))
    node = json_format.MessageToDict(response.node, preserving_proto_field_name=True) \
        if response.HasField("node") else {}
    children = [{"name": c.name, "left_path": c.left_path, "right_path": c.right_path} for c in response.children]
    return CompareOutcome(_OUTCOME_NAMES[response.outcome], node, children)
