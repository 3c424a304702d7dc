"""The Python SDK's actions are the protocol's Action enum (proto/deltascope/changeset/v1)."""
import re
from pathlib import Path

from deltascope_plugin._api import ACTIONS

PROTO = Path(__file__).resolve().parents[2] / "proto" / "deltascope" / "changeset" / "v1"


def test_actions_are_the_proto_enum():
    text = (PROTO / "changeset.proto").read_text()
    enum = re.search(r"enum Action \{(.*?)\}", text, re.S).group(1)
    names = [n.lower() for n in re.findall(r"ACTION_(\w+) = \d+;", enum) if n != "UNSPECIFIED"]
    assert tuple(names) == ACTIONS


def test_reply_bound_is_the_proto_enum_and_is_enforced():
    from deltascope_plugin import _api
    from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2 as pb
    from deltascope_plugin._server import run_comparator

    text = (PROTO.parents[1] / "plugin" / "v1" / "comparator.proto").read_text()
    bound = int(re.search(r"REPLY_BOUND_MAX_NODE_DEPTH = (\d+);", text).group(1))
    assert pb.REPLY_BOUND_MAX_NODE_DEPTH == bound  # the generated modules are current

    def nested(levels):
        node = _api.node("add", path="x/leaf")
        for _ in range(levels - 1):
            node = _api.node("modify", path="x/c", children=[node])
        return node

    class Deep(_api.Comparator):
        name = "deep"
        levels = 1

        def compare(self, left, right, ctx):
            return _api.Result("leaf", nested(self.levels))

    request = pb.CompareRequest(comparator="deep", path="x")
    Deep.levels = bound
    assert run_comparator(Deep(), request, None, None).node.action == "modify"
    Deep.levels = bound + 1
    try:
        run_comparator(Deep(), request, None, None)
    except ValueError as e:
        assert str(e) == f"nodes nested deeper than {bound}"
    else:
        raise AssertionError("a reply deeper than the host's bound was sent")


def test_reply_size_bound_is_the_proto_enum_and_is_enforced():
    from deltascope_plugin import _api
    from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2 as pb
    from deltascope_plugin._server import run_comparator

    text = (PROTO.parents[1] / "plugin" / "v1" / "comparator.proto").read_text()
    bound = int(re.search(r"REPLY_BOUND_MAX_REPLY_BYTES = (\d+);", text).group(1))
    assert pb.REPLY_BOUND_MAX_REPLY_BYTES == bound

    class Big(_api.Comparator):
        name = "big"
        summary_bytes = 100

        def compare(self, left, right, ctx):
            return _api.changed("s" * self.summary_bytes)

    request = pb.CompareRequest(path="x", comparator="big")
    assert run_comparator(Big(), request, None, None).node.summary == "s" * 100
    Big.summary_bytes = bound + 1
    try:
        run_comparator(Big(), request, None, None)
    except ValueError as e:
        assert "exceeds the 16 MiB limit" in str(e)
    else:
        raise AssertionError("a reply over the host's size bound was sent")
