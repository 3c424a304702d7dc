"""A small plugin used by the tests: compares word lists, and fails on demand."""
from deltascope_plugin import Comparator, changed, identical, serve, skip


class Words(Comparator):
    name = "words"
    extensions = [".words"]

    def compare(self, left, right, ctx):
        before = open(left.path, encoding="utf-8").read().split() if left else []
        after = open(right.path, encoding="utf-8").read().split() if right else []
        if "explode" in after:
            raise RuntimeError("asked to explode")
        if "skipme" in after:
            return skip()
        if before == after:
            return identical()
        added = sorted(set(after) - set(before))
        return changed(f"{len(added)} words added", tags=["content-changed"],
                       details={"added": added[: ctx.max_examples], "bytes_seen": right.size if right else 0})


if __name__ == "__main__":
    import os

    raise SystemExit(serve(Words(), name="words-test", version="9.9",
                           compare_pipe=not os.environ.get("SAMPLE_NO_PIPE")))
