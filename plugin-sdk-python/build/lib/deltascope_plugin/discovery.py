"""Finding Python plugins through entry points (group ``deltascope.plugins``).

A distribution declares, in its pyproject.toml::

    [project.entry-points."deltascope.plugins"]
    sqlite-python = "deltascope_sqlite:SqliteComparator"

The value names a Comparator subclass, an instance, or a list of them. The host runs
``python -m deltascope_plugin discover`` once per interpreter (and again when that environment
changes) and starts each plugin with ``python -m deltascope_plugin run NAME``.
"""
from __future__ import annotations

import json
import sys
from importlib import metadata
from typing import Any, Dict, List

from deltascope_plugin._api import Comparator
from deltascope_plugin._server import _SCOPES, _as_instances

GROUP = "deltascope.plugins"


def _entry_points() -> List[metadata.EntryPoint]:
    eps = metadata.entry_points()
    selected = eps.select(group=GROUP) if hasattr(eps, "select") else eps.get(GROUP, [])
    return sorted(selected, key=lambda ep: ep.name)


def load(ep: metadata.EntryPoint) -> List[Comparator]:
    """The comparators an entry point provides."""
    obj = ep.load()
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    return _as_instances(items)


def find(name: str) -> metadata.EntryPoint:
    for ep in _entry_points():
        if ep.name == name:
            return ep
    raise LookupError(f"no entry point named {name!r} in group {GROUP!r}")


def _source_dirs(comparators: List[Comparator]) -> List[str]:
    """Folders holding the plugins' code (editable installs live outside sys.path)."""
    import os
    out = []
    for c in comparators:
        module = sys.modules.get(type(c).__module__)
        path = getattr(module, "__file__", None)
        if path:
            here = os.path.dirname(os.path.realpath(path))
            out += [here, os.path.dirname(here)]
    return out


def discover() -> Dict[str, Any]:
    """Every plugin of this interpreter, with the distribution that provides it."""
    plugins = []
    extra_paths: List[str] = []
    for ep in _entry_points():
        dist = getattr(ep, "dist", None)
        entry: Dict[str, Any] = {
            "name": ep.name,
            "value": ep.value,
            "distribution": dist.metadata["Name"] if dist else "",
            "version": dist.version if dist else "",
        }
        try:
            loaded = load(ep)
            extra_paths += _source_dirs(loaded)
            entry["comparators"] = [
                {"name": c.name, "extensions": [e.lower() for e in c.extensions],
                 "media_types": list(c.media_types),
                 "scope": c.scope if c.scope in _SCOPES else "files"}
                for c in loaded]
            limits: Dict[str, str] = {}
            for c in loaded:
                limits.update({str(k): str(v) for k, v in dict(c.limits).items()})
            if limits:
                entry["limits"] = limits
        except Exception as e:  # a broken plugin is reported, not fatal
            entry["comparators"] = []
            entry["error"] = f"{type(e).__name__}: {e}"
        plugins.append(entry)
    # Everything the plugins' processes must be able to read (for the host's sandbox, and to
    # notice when this environment changes: a pip install touches one of these folders).
    import os
    paths = sorted({os.path.realpath(p) for p in [sys.prefix, sys.base_prefix, *sys.path, *extra_paths]
                    if p and os.path.isdir(p)})
    return {"interpreter": sys.executable, "python": sys.version.split()[0], "paths": paths,
            "plugins": plugins}


def main() -> int:
    json.dump(discover(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0
