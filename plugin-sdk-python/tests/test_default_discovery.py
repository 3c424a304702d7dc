"""Default discovery through the real CLI: with no --python, the active virtual environment's
interpreter and python3 on PATH are asked; `pip install` is all it takes; what they said is cached
until the environment changes; --python / DELTASCOPE_PYTHON override; opting out works."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from test_host_e2e import DELTASCOPE, REPO, WHEELS, copy_of, make_venv

pytestmark = pytest.mark.skipif(not DELTASCOPE.exists(), reason=f"{DELTASCOPE} is not built")


@pytest.fixture(scope="module")
def env_root(tmp_path_factory):
    """A fresh environment with only the SDK (the plugin is installed by the test) and one
    without anything."""
    if not list(WHEELS.glob("grpcio-*.whl")):
        pytest.fail(f"no wheels in {WHEELS}: run scripts/install-deps.sh")
    root = tmp_path_factory.mktemp("default-discovery")
    make_venv(root / "venv", [copy_of(REPO / "plugin-sdk-python", root)])
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "bare")], check=True)
    return root


def environment(root: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "DELTASCOPE_PYTHON", "DELTASCOPE_NO_PYTHON_PLUGINS")}
    env["XDG_CACHE_HOME"] = str(root / "cache")
    env["XDG_CONFIG_HOME"] = str(root / "config")
    env.update(extra)
    return env


def plugins_list(root: Path, env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([str(DELTASCOPE), "plugins", "list", *args], cwd=root, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def pip_install(python: Path, package: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--disable-pip-version-check", "--no-index", "--find-links", str(WHEELS),
                    "--no-build-isolation", str(package)], check=True)


def cache_files(root: Path) -> List[Path]:
    return sorted((root / "cache" / "deltascope").glob("python-*.json"))


def test_pip_install_into_the_active_venv_is_all_it_takes(env_root):
    venv = env_root / "venv"
    env = environment(env_root, VIRTUAL_ENV=str(venv))
    # The SDK alone: no plugins, and no complaint about interpreters without the SDK.
    before = plugins_list(env_root, env)
    assert "No plugins found" in before.stdout, before.stdout
    assert "deltascope_plugin" not in before.stdout + before.stderr
    pip_install(venv / "bin" / "python", copy_of(REPO / "examples/plugins/sqlite-python", env_root))
    after = plugins_list(env_root, env)
    assert "sqlite-python 0.1.0 [available]" in after.stdout, after.stdout
    assert "entry-point (deltascope-sqlite 0.1.0)" in after.stdout


def test_what_the_interpreter_said_is_cached_until_its_environment_changes(env_root):
    venv = env_root / "venv"
    env = environment(env_root, VIRTUAL_ENV=str(venv))
    assert "sqlite-python 0.1.0" in plugins_list(env_root, env).stdout
    (cache,) = [f for f in cache_files(env_root)
                if json.loads(f.read_text())["interpreter_arg"] == str(venv / "bin" / "python")]
    # Mark the cached answer: a run that reads the cache shows the mark, one that asks the
    # interpreter again does not.
    cached = json.loads(cache.read_text())
    for p in cached["plugins"]:
        p["version"] = "9.9.9-from-cache"
    cache.write_text(json.dumps(cached))
    assert "sqlite-python 9.9.9-from-cache" in plugins_list(env_root, env).stdout
    # A change to the environment (what pip does to site-packages) invalidates it.
    site = next((venv / "lib").glob("python3*/site-packages"))
    os.utime(site, ns=(site.stat().st_atime_ns, site.stat().st_mtime_ns + 1_000_000_000))
    assert "sqlite-python 0.1.0" in plugins_list(env_root, env).stdout
    assert not list((env_root / "cache" / "deltascope").glob("*.tmp*")), "temporaries left"


def test_python3_on_path_is_asked_too(env_root):
    venv = env_root / "venv"
    env = environment(env_root, PATH=f"{venv / 'bin'}:{os.environ['PATH']}")
    assert "sqlite-python 0.1.0 [available]" in plugins_list(env_root, env).stdout


def test_named_interpreters_override_and_opting_out_works(env_root):
    venv, bare = env_root / "venv", env_root / "bare" / "bin" / "python"
    env = environment(env_root, VIRTUAL_ENV=str(venv))
    named = plugins_list(env_root, env, "--python", str(bare))
    assert "sqlite-python" not in named.stdout
    assert "has no deltascope_plugin" in named.stdout, named.stdout
    from_env = plugins_list(env_root, environment(env_root, VIRTUAL_ENV=str(venv),
                                                  DELTASCOPE_PYTHON=str(bare)))
    assert "sqlite-python" not in from_env.stdout
    assert "has no deltascope_plugin" in from_env.stdout
    for r in (plugins_list(env_root, env, "--no-python-plugins"),
              plugins_list(env_root, environment(env_root, VIRTUAL_ENV=str(venv),
                                                 DELTASCOPE_NO_PYTHON_PLUGINS="1"))):
        assert "No plugins found" in r.stdout, r.stdout
