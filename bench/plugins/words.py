"""A minimal Python plugin for the benchmarks (word lists)."""
from deltascope_plugin import Comparator, changed, identical, serve


class Words(Comparator):
    name = "words"
    extensions = [".words"]

    def compare(self, left, right, ctx):
        before = open(left.path).read().split() if left else []
        after = open(right.path).read().split() if right else []
        if before == after:
            return identical()
        return changed(f"{len(set(after) - set(before))} words added", tags=["content-changed"])


if __name__ == "__main__":
    raise SystemExit(serve(Words(), name="words-python", version="1.0"))
