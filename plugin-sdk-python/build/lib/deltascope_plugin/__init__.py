"""deltascope_plugin: write deltascope comparator plugins in Python.

A plugin is one class and one call::

    from deltascope_plugin import Comparator, changed, identical, serve

    class Lines(Comparator):
        name = "lines"
        extensions = [".lst"]

        def compare(self, left, right, ctx):
            before = open(left.path).read().split() if left else []
            after = open(right.path).read().split() if right else []
            if before == after:
                return identical()
            return changed(f"{len(set(after) - set(before))} entries added", tags=["content-changed"])

    if __name__ == "__main__":
        raise SystemExit(serve(Lines(), name="lines", version="1.0"))

Installed with an entry point in group ``deltascope.plugins``, it is found by
``deltascope plugins list`` with no manual step. See docs/plugin-protocol.md for the protocol.
"""
from deltascope_plugin._api import (ChildPair, Comparator, Context, DiffNode, Result, Side, changed, expand,
                                    identical, node, skip)
from deltascope_plugin._server import serve

__all__ = ["ChildPair", "Comparator", "Context", "DiffNode", "Result", "Side", "changed", "expand", "identical",
           "node", "serve", "skip"]
__version__ = "0.1.0"
