"""``python -m deltascope_plugin``: discover, run and check plugins.

    python -m deltascope_plugin discover          # JSON of this interpreter's plugins (used by the host)
    python -m deltascope_plugin run NAME          # serve the entry point NAME (started by the host)
    python -m deltascope_plugin check [NAME ...]  # validate plugins before publishing them
"""
from __future__ import annotations

import sys

from deltascope_plugin import discovery
from deltascope_plugin._server import serve


def _run(name: str) -> int:
    # Plugin start-up is on the host's clock: the fast lookup avoids importing importlib.metadata.
    fast = discovery.find_fast(name)
    if fast is not None:
        value, version = fast
        return serve(*discovery.load_value(value), name=name, version=version)
    ep = discovery.find(name)
    dist = getattr(ep, "dist", None)
    return serve(*discovery.load(ep), name=name, version=dist.version if dist else "0.0.0")


def _check(names) -> int:
    import os
    import tempfile

    from deltascope_plugin.testing import compare_files

    report = discovery.discover()
    problems = 0
    for plugin in report["plugins"]:
        if names and plugin["name"] not in names:
            continue
        label = f"{plugin['name']} ({plugin['distribution']} {plugin['version']})"
        if plugin.get("error"):
            print(f"FAIL {label}: cannot load {plugin['value']}: {plugin['error']}")
            problems += 1
            continue
        if not plugin["comparators"]:
            print(f"FAIL {label}: provides no comparator")
            problems += 1
            continue
        for c in discovery.load(discovery.find(plugin["name"])):
            bad = [e for e in c.extensions if not e.startswith(".")]
            if bad:
                print(f"FAIL {label}: comparator {c.name}: extensions must start with '.': {bad}")
                problems += 1
                continue
            if not c.extensions and not c.media_types:
                print(f"WARN {label}: comparator {c.name} claims every file (no extensions, no media types)")
            # A probe: two empty files. Any Result is fine; an exception is a problem.
            with tempfile.TemporaryDirectory() as tmp:
                ext = c.extensions[0] if c.extensions else ""
                a, b = os.path.join(tmp, "a" + ext), os.path.join(tmp, "b" + ext)
                open(a, "wb").close()
                open(b, "wb").close()
                try:
                    outcome = compare_files(c, a, b, logical_path="probe" + ext)
                    print(f"ok   {label}: comparator {c.name}: probe on empty files -> {outcome.outcome}")
                except Exception as e:
                    print(f"FAIL {label}: comparator {c.name}: probe raised {type(e).__name__}: {e}")
                    problems += 1
    missing = set(names or ()) - {p["name"] for p in report["plugins"]}
    for name in sorted(missing):
        print(f"FAIL {name}: no such entry point in group {discovery.GROUP!r}")
        problems += 1
    return 1 if problems else 0


def main(argv=None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    if len(words) == 2 and words[0] == "run" and not words[1].startswith("-"):
        return _run(words[1])  # the host's command line: no argparse on the start-up path
    import argparse

    parser = argparse.ArgumentParser(prog="python -m deltascope_plugin")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("discover", help="print this interpreter's plugins as JSON")
    run = sub.add_parser("run", help="serve one plugin (started by deltascope)")
    run.add_argument("name")
    check = sub.add_parser("check", help="validate installed plugins")
    check.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "discover":
        return discovery.main()
    if args.command == "run":
        return _run(args.name)
    return _check(args.names)


if __name__ == "__main__":
    sys.exit(main())
