"""`python -m deltascope_plugin run NAME` finds its entry point without importlib.metadata (a
start-up cost); the fast lookup must give importlib.metadata's answer."""
from __future__ import annotations

import subprocess
import sys

from deltascope_plugin import discovery


def test_fast_lookup_agrees_with_importlib_metadata():
    ep = discovery.find("sqlite-python")
    assert discovery.find_fast("sqlite-python") == (ep.value, ep.dist.version)
    fast = discovery.load_value(ep.value)
    assert [type(c) for c in fast] == [type(c) for c in discovery.load(ep)]


def test_fast_lookup_declines_what_it_cannot_answer():
    assert discovery.find_fast("no-such-plugin") is None


def test_run_path_does_not_import_importlib_metadata():
    code = ("import sys, deltascope_plugin.__main__ as m, deltascope_plugin.discovery as d;"
            "d.load_value(d.find_fast('sqlite-python')[0]);"
            "print('importlib.metadata' in sys.modules, 'argparse' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
