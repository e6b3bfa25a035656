"""The real-app fixtures are well formed: known expect.toml keys, a source, and [heroku] lines
that match the fixture's own Procfile (so the integration test checks what Heroku really ran)."""

import json
import re
import tomllib
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real_apps"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
KEYS = {
    "source", "trap", "exit", "error_names", "heroku", "postgres", "framework", "release",
    "health_path", "health_header", "not_secrets", "host_bound", "builder_tags",
    "own_dockerfile", "procfile_check", "env_absent", "mentions", "plan_build",
    "dockerfile_has", "dockerfile_absent", "heroku_entrypoint", "xfail",
}
XFAIL_TESTS = {"exit", "flyrules", "hadolint", "processes", "traps"}
LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+?)\s*$")


def _procfile_path(app: Path) -> Path:
    """Heroku reads PROCFILE_PATH when app.json sets it, else Procfile; under APP_BASE when
    the monorepo buildpack moves the app there."""
    try:
        env = json.loads((app / "app.json").read_text()).get("env", {})
    except (FileNotFoundError, ValueError, AttributeError):
        env = {}
    env = env if isinstance(env, dict) else {}
    value = lambda v: v.get("value") if isinstance(v, dict) else v  # noqa: E731
    base = value(env.get("APP_BASE")) or ""
    path = value(env.get("PROCFILE_PATH"))
    return app / base / (path if isinstance(path, str) else "Procfile")


def test_there_are_enough_fixtures():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
def test_fixture_is_well_formed(name):
    folder = FIXTURES / name
    assert (folder / "app").is_dir(), "the repository goes in app/"
    expect = tomllib.loads((folder / "expect.toml").read_text())
    assert set(expect) <= KEYS, f"unknown keys: {set(expect) - KEYS}"
    assert expect["source"].strip() and expect["trap"].strip()
    assert set(expect.get("xfail", {})) <= XFAIL_TESTS
    assert all(str(why).strip() for why in expect.get("xfail", {}).values())
    exits = expect.get("exit", 0)
    assert set(exits if isinstance(exits, list) else [exits]) <= {0, 1}
    if 1 in (exits if isinstance(exits, list) else [exits]):
        assert expect.get("error_names"), "a fixture that may exit 1 names the file the error names"


@pytest.mark.parametrize("name", CASES)
def test_heroku_lines_are_the_procfiles(name):
    app = FIXTURES / name / "app"
    expect = tomllib.loads((FIXTURES / name / "expect.toml").read_text())
    procfile = _procfile_path(app)
    if (app / "heroku.yml").is_file():
        return  # container stack: heroku.yml and the image say what ran, not the Procfile
    if not procfile.is_file():
        return  # no Procfile: [heroku] holds the buildpack or image default (docs/real-apps.md)
    text = procfile.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n")
    lines = {m.group(1): m.group(2) for m in map(LINE.match, text.split("\n")) if m}
    for kind, line in expect.get("heroku", {}).items():
        assert lines.get(kind) == line, f"{kind}: expect.toml and {procfile.name} disagree"
