"""Finding Python plugins through entry points (group ``deltascope.plugins``).

A distribution declares, in its pyproject.toml::

    [project.entry-points."deltascope.plugins"]
    sqlite-python = "deltascope_sqlite:SqliteComparator"

The value names a Comparator subclass, an instance, or a list of them. The host runs
``python -m deltascope_plugin discover`` once per interpreter (and again when that environment
changes) and starts each plugin with ``python -m deltascope_plugin run NAME``.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from deltascope_plugin._api import Comparator
from deltascope_plugin._server import _SCOPES, _as_instances

if TYPE_CHECKING:
    from importlib import metadata

GROUP = "deltascope.plugins"


def _entry_points() -> List[metadata.EntryPoint]:
    from importlib import metadata  # costly (email, zipfile, ...): only where needed

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


def _dist_key(folder: str) -> str:
    """The normalized distribution name of a ``*.dist-info`` / ``*.egg-info`` folder."""
    return folder.rsplit(".", 1)[0].split("-", 1)[0].lower().replace("_", "-").replace(".", "-")


def _group_entries(path: str) -> Dict[str, str]:
    """The ``deltascope.plugins`` entries (name -> value) of one entry_points.txt."""
    out: Dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as f:
            section = ""
            for line in f:
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == GROUP and "=" in line and not line.startswith(("#", ";")):
                    name, _, value = line.partition("=")
                    out[name.strip()] = value.strip()
    except OSError:
        pass
    return out


def _version(info_dir: str) -> str:
    for meta in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info_dir, meta), encoding="utf-8") as f:
                for line in f:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
                    if not line.strip():
                        break  # end of the headers
        except OSError:
            continue
    return "0.0.0"


def find_fast(name: str) -> Optional[Tuple[str, str]]:
    """(value, distribution version) of the entry point ``name``, read straight from the
    distributions' ``entry_points.txt`` on sys.path (the first distribution of a name wins, as
    with importlib.metadata). None when the answer is not clear-cut (not found, or offered by two
    distributions): then use :func:`find`. Importing importlib.metadata costs tens of
    milliseconds at every plugin start; this costs a directory listing per sys.path entry."""
    seen = set()
    hits: List[Tuple[str, str]] = []
    for base in sys.path:
        try:
            folders = sorted(os.listdir(base or "."))
        except OSError:
            continue
        for folder in folders:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            key = _dist_key(folder)
            if key in seen:
                continue
            seen.add(key)
            info_dir = os.path.join(base or ".", folder)
            value = _group_entries(os.path.join(info_dir, "entry_points.txt")).get(name)
            if value:
                hits.append((value, _version(info_dir)))
    return hits[0] if len(hits) == 1 else None


def load_value(value: str) -> List[Comparator]:
    """The comparators an entry point value (``module:attr``) names, as :func:`load`."""
    module, _, attr = value.partition(":")
    obj: Any = importlib.import_module(module.strip())
    for part in attr.split("[", 1)[0].strip().split("."):
        if part:
            obj = getattr(obj, part)
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    return _as_instances(items)


def _source_dirs(comparators: List[Comparator]) -> List[str]:
    """Folders holding the plugins' code (editable installs live outside sys.path)."""
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
    paths = sorted({os.path.realpath(p) for p in [sys.prefix, sys.base_prefix, *sys.path, *extra_paths]
                    if p and os.path.isdir(p)})
    return {"interpreter": sys.executable, "python": sys.version.split()[0], "paths": paths,
            "plugins": plugins}


def main() -> int:
    json.dump(discover(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0
