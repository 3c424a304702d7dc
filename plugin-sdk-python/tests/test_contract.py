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
