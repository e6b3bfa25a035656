"""The package as users get it: `python -m build`, `twine check`, and the wheel installed into a
fresh virtual environment (no access to this checkout) planning the example app offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from herokufly import __version__

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
_COPY_IGNORE = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist", ".e2e-out", ".venv",
                                      "tests", "examples", "bench")


def need(module: str) -> None:
    if subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode != 0:
        if os.environ.get("HEROKUFLY_REQUIRE_ALL") == "1":
            pytest.fail(f"{module} is missing (scripts/setup-host installs the test extras)")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist + wheel built from a copy of the tree (the build leaves nothing in the checkout)."""
    need("build")
    source = tmp_path_factory.mktemp("src") / "herokufly"
    shutil.copytree(ROOT, source, ignore=_COPY_IGNORE)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_sdist_and_wheel_pass_twine_check(dist):
    need("twine")
    files = sorted(p.name for p in dist.iterdir())
    assert files == [f"herokufly-{__version__}-py3-none-any.whl", f"herokufly-{__version__}.tar.gz"]
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_wheel_carries_data_templates_and_metadata(dist):
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"herokufly-{__version__}.dist-info/METADATA").decode()
    in_repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "herokufly").rglob("*")
               if p.is_file() and (p.relative_to(ROOT / "herokufly").parts[0] in ("data", "templates"))}
    assert in_repo and in_repo <= names, sorted(in_repo - names)
    assert {"herokufly/data/pins.json", "herokufly/data/release.json", "herokufly/data/prices.json"} <= names
    assert not any(n.startswith("tests/") for n in names)
    for field in ("License-Expression: MIT", "Requires-Python: >=3.11", "Project-URL: Source",
                  "Classifier: Programming Language :: Python :: 3.13", "Description-Content-Type: text/markdown"):
        assert field in metadata, field


def test_wheel_in_a_fresh_venv_plans_the_example_offline(dist, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items()
                 if k not in ("PYTHONPATH", "HEROKU_API_KEY", "FLY_API_TOKEN", "GITHUB_ACTIONS", "VIRTUAL_ENV")}
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              str(next(dist.glob("*.whl")))], capture_output=True, text=True, env=clean_env, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    herokufly = env_dir / "bin" / "herokufly"
    app = tmp_path / "phoenix_app"
    shutil.copytree(ROOT / "examples" / "phoenix_app", app)

    where = subprocess.run([str(python), "-c", "import herokufly; print(herokufly.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, env=clean_env, timeout=60)
    assert where.stdout.startswith(str(env_dir)), where.stdout + where.stderr  # the wheel, not this checkout

    version = subprocess.run([str(herokufly), "--version"], capture_output=True, text=True, env=clean_env, timeout=60)
    assert version.stdout.strip() == f"herokufly, version {__version__}"

    plan = subprocess.run([str(herokufly), "plan", "--offline", "--json", "--heroku-app", "acme-phoenix", "--repo", str(app)],
                          cwd=tmp_path, capture_output=True, text=True, env=clean_env, timeout=120)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    doc = json.loads(plan.stdout)
    assert doc["fly_app"] == "acme-phoenix"
    assert doc["framework"] == "phoenix"
    assert doc["build"]["mode"] == "dockerfile"  # the Phoenix templates came out of the wheel
