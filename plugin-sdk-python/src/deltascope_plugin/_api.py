"""What a plugin author touches: the Comparator base class, the sides of a pair, and results."""
from __future__ import annotations

import dataclasses
import threading
from typing import Any, Iterable, Mapping, Optional, Sequence

from deltascope_plugin._gen.deltascope.changeset.v1 import changeset_pb2

DiffNode = changeset_pb2.DiffNode

# The protocol's Action enum (changeset.proto) as DiffNode.action spells it: "add", "remove", ...
ACTIONS = tuple(name[len("ACTION_"):].lower() for name, number in changeset_pb2.Action.items()
                if number != changeset_pb2.ACTION_UNSPECIFIED)


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of the pair being compared: always a readable local file (or folder)."""

    logical_path: str
    """Path in the snapshot, e.g. ``data/x.sqlite`` (inside archives: ``a.zip/x.sqlite``)."""
    path: str
    """A readable file on this machine (a private copy when the host streamed the content)."""
    size: int
    media_type: str = ""
    content_hash: str = ""
    kind: str = "file"


@dataclasses.dataclass
class Context:
    """Facts about the call: options from the user's config, the example budget, cancellation."""

    path: str = ""
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)
    max_examples: int = 8
    output_dir: str = ""
    identical: bool = False
    _cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)

    def cancelled(self) -> bool:
        """True once the host gave up on this call (deadline passed): stop early."""
        return self._cancelled.is_set()


@dataclasses.dataclass(frozen=True)
class ChildPair:
    """A child of an :func:`expand` result: files (relative to ``ctx.output_dir``) the host compares."""

    name: str
    left_path: str = ""
    right_path: str = ""


@dataclasses.dataclass
class Result:
    """What :meth:`Comparator.compare` returns; build it with the helpers below."""

    outcome: str  # "identical", "leaf", "expand" or "skip"
    node: Optional[DiffNode] = None
    children: Sequence[ChildPair] = ()


def identical() -> Result:
    """Nothing changed."""
    return Result("identical")


def skip() -> Result:
    """Not mine after all: the host tries its next comparator."""
    return Result("skip")


def node(action: str = "modify", *, summary: str = "", item_type: str = "", tags: Iterable[str] = (),
         details: Optional[Mapping[str, Any]] = None, children: Iterable[DiffNode] = (),
         path: str = "", source_path: str = "") -> DiffNode:
    """Builds a DiffNode. ``details`` may hold str, int, float, bool, None, lists and dicts."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    n = DiffNode(action=action, summary=summary, item_type=item_type, path=path,
                 source_path=source_path, tags=sorted(set(tags)))
    if details:
        n.details.update(dict(details))
    n.children.extend(children)
    return n


def changed(summary: str, *, action: str = "modify", item_type: str = "", tags: Iterable[str] = (),
            details: Optional[Mapping[str, Any]] = None, children: Iterable[DiffNode] = ()) -> Result:
    """A complete description of the change (a leaf; it may carry child nodes of its own)."""
    return Result("leaf", node(action, summary=summary, item_type=item_type, tags=tags,
                               details=details, children=children))


def expand(container: DiffNode, children: Sequence[ChildPair]) -> Result:
    """A container whose children (files written under ``ctx.output_dir``) the host compares."""
    return Result("expand", container, list(children))


class Comparator:
    """Subclass this, set the class attributes, implement :meth:`compare`.

    Example::

        class Sqlite(Comparator):
            name = "sqlite"
            extensions = [".sqlite", ".db"]
            media_types = ["application/vnd.sqlite3"]

            def compare(self, left, right, ctx):
                ...
                return changed("table t: 3 rows added", tags=["row-addition"])
    """

    name: str = ""
    """Unique comparator name, e.g. ``"sqlite"``."""
    extensions: Sequence[str] = ()
    """Lower-case suffixes with the leading dot, e.g. ``[".sqlite", ".db"]``."""
    media_types: Sequence[str] = ()
    """Sniffed media types, e.g. ``["application/vnd.sqlite3"]``."""
    scope: str = "files"
    """``"files"``, ``"containers"`` (folders) or ``"any"``."""
    handles_identical: bool = False
    limits: Mapping[str, str] = {}
    """Limits of the plugin's process, as in a manifest's ``limits:`` block, e.g.
    ``{"call_timeout": "30s", "memory": "2GiB", "processes": "4"}``. The comparators of one entry
    point share a process: their limits are merged."""

    def compare(self, left: Optional[Side], right: Optional[Side], ctx: Context) -> Result:
        """Compares one pair; ``left`` is None for an added item, ``right`` for a removed one."""
        raise NotImplementedError
