"""End to end through the C++ host: fresh virtual environments, entry-point discovery, a plugin that
raises, one that hangs, and two plugins needing conflicting versions of one library.

Each environment is made here with ``python -m venv`` and filled by pip from the wheels
``scripts/install-deps.sh`` downloads (``.venv/wheels``), so the tests run offline. They need the
built ``deltascope`` (``DELTASCOPE_BIN_DIR``, set by ctest; default ``build/bin``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("DELTASCOPE_BIN_DIR", REPO / "build" / "bin")).resolve()
DELTASCOPE = BIN / "deltascope"
WHEELS = Path(sys.prefix) / "wheels"

pytestmark = pytest.mark.skipif(not DELTASCOPE.exists(), reason=f"{DELTASCOPE} is not built")


def write_package(root: Path, name: str, version: str, files: Dict[str, str],
                  dependencies: List[str], entry_points: Dict[str, str]) -> Path:
    """A pip-installable source tree: pyproject.toml plus the given files."""
    root.mkdir(parents=True)
    eps = "".join(f'"{k}" = "{v}"\n' for k, v in entry_points.items())
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name}"
        version = "{version}"
        dependencies = {json.dumps(dependencies)}
        """) + ('[project.entry-points."deltascope.plugins"]\n' + eps if eps else ""))
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def copy_of(package: Path, into: Path) -> Path:
    """A copy of a source tree, so that building it leaves nothing in the repository."""
    return Path(shutil.copytree(package, into / package.name, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "tests")))


def make_venv(path: Path, packages: List[Path]) -> Path:
    """A new virtual environment with `packages` installed the way a user would, offline."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
           "--disable-pip-version-check", "--no-index", "--find-links", str(WHEELS)]
    # The build backend once, rather than an isolated build environment per package.
    subprocess.run([*pip, "setuptools>=64", "wheel"], check=True)
    subprocess.run([*pip, "--no-build-isolation", *map(str, packages)], check=True)
    return python


def dslib(root: Path, version: str) -> Path:
    return write_package(root / f"dslib-{version}", "dslib", version,
                         {"dslib/__init__.py": f'VERSION = "{version}"\n'}, [], {})


PLUGINS_A = """\
    import time

    import dslib
    from deltascope_plugin import Comparator, changed


    class Raiser(Comparator):
        name = "raiser"
        extensions = [".raise"]

        def compare(self, left, right, ctx):
            raise ValueError("boom 42")


    class Sleeper(Comparator):
        name = "sleeper"
        extensions = [".sleep"]
        limits = {"call_timeout": "2s"}

        def compare(self, left, right, ctx):
            time.sleep(3600)


    class LibA(Comparator):
        name = "lib-a"
        extensions = [".liba"]

        def compare(self, left, right, ctx):
            return changed(f"dslib {dslib.VERSION}")
"""

PLUGINS_B = """\
    import dslib
    from deltascope_plugin import Comparator, changed


    class LibB(Comparator):
        name = "lib-b"
        extensions = [".libb"]

        def compare(self, left, right, ctx):
            return changed(f"dslib {dslib.VERSION}")
"""


@pytest.fixture(scope="module")
def venvs(tmp_path_factory):
    """Two fresh environments: A with the SDK, the SQLite example and test plugins on dslib 1.0;
    B with a plugin on dslib 2.0."""
    if not list(WHEELS.glob("grpcio-*.whl")):
        pytest.fail(f"no wheels in {WHEELS}: run scripts/install-deps.sh")
    root = tmp_path_factory.mktemp("venvs")
    sdk = copy_of(REPO / "plugin-sdk-python", root)
    sqlite = copy_of(REPO / "examples/plugins/sqlite-python", root)
    a = write_package(root / "src-a", "ds-e2e-plugins-a", "1.0", {"ds_e2e_a/__init__.py": PLUGINS_A},
                      ["deltascope-plugin", "dslib==1.0"],
                      {"raiser": "ds_e2e_a:Raiser", "sleeper": "ds_e2e_a:Sleeper",
                       "lib-a": "ds_e2e_a:LibA"})
    b = write_package(root / "src-b", "ds-e2e-plugins-b", "1.0", {"ds_e2e_b/__init__.py": PLUGINS_B},
                      ["deltascope-plugin", "dslib==2.0"], {"lib-b": "ds_e2e_b:LibB"})
    python_a = make_venv(root / "venv-a", [sdk, sqlite,
                                            dslib(root, "1.0"), a])
    python_b = make_venv(root / "venv-b", [sdk, dslib(root, "2.0"), b])
    return python_a, python_b


def run(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(DELTASCOPE), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def tree(root: Path, files: Dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_fresh_venv_install_is_all_it_takes(venvs):
    python_a, _ = venvs
    examples = REPO / "examples" / "snapshots"
    listed = run(["plugins", "list", "--python", str(python_a)], examples)
    assert listed.returncode == 0, listed.stderr
    assert "entry-point (deltascope-sqlite 0.1.0)" in listed.stdout
    assert "entry-point (ds-e2e-plugins-a 1.0)" in listed.stdout
    diff = run(["diff", "2024-01", "2024-06", "--python", str(python_a)], examples)
    assert diff.returncode == 1, diff.stderr
    assert "table allocations: 3 rows added" in diff.stdout


def diff_json(tmp_path: Path, name: str, content: str, pythons: List[Path]) -> dict:
    a = tree(tmp_path / "a", {name: "one\n" + content})
    b = tree(tmp_path / "b", {name: "two\n" + content})
    args = ["diff", str(a), str(b), "--format", "json"]
    for p in pythons:
        args += ["--python", str(p)]
    r = run(args, tmp_path)
    assert r.returncode == 1, r.stderr
    return json.loads(r.stdout)


def only_child(changeset: dict) -> dict:
    (child,) = changeset["root"]["children"]
    return child


def test_exception_in_compare_falls_back_with_its_type_and_message(venvs, tmp_path):
    cs = diff_json(tmp_path, "x.raise", "", [venvs[0]])
    assert only_child(cs)["comparator"] != "raiser"  # a built-in described the change
    (d,) = cs["diagnostics"]
    assert d["code"] == "plugin-error" and d["path"] == "x.raise"
    assert "ValueError" in d["message"] and "boom 42" in d["message"]


def test_hanging_plugin_is_killed_at_its_declared_deadline(venvs, tmp_path):
    cs = diff_json(tmp_path, "x.sleep", "", [venvs[0]])
    assert only_child(cs)["comparator"] != "sleeper"
    (d,) = cs["diagnostics"]
    assert d["code"] == "plugin-timeout" and "timed out after 2 s" in d["message"], d
    # No interpreter of that plugin is left running.
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit()
                and b"deltascope_plugin\0run\0sleeper" in read_bytes(p / "cmdline")]


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process has gone
        return b""


def test_conflicting_dependency_versions_both_work(venvs, tmp_path):
    a = tree(tmp_path / "a", {"x.liba": "1\n", "x.libb": "1\n"})
    b = tree(tmp_path / "b", {"x.liba": "2\n", "x.libb": "2\n"})
    r = run(["diff", str(a), str(b), "--format", "json", "--python", str(venvs[0]),
             "--python", str(venvs[1])], tmp_path)
    assert r.returncode == 1, r.stderr
    children = {c["path"]: c for c in json.loads(r.stdout)["root"]["children"]}
    assert children["x.liba"]["comparator"] == "lib-a"
    assert children["x.liba"]["summary"] == "dslib 1.0"
    assert children["x.libb"]["comparator"] == "lib-b"
    assert children["x.libb"]["summary"] == "dslib 2.0"
