"""Attack 3: flyctl and pg tools never see HEROKU_API_KEY, GITHUB_TOKEN or INPUT_* (docs/security.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from herokufly.base import child_env
from herokufly.talk.fly import FlyClient
from herokufly.pg.connect import Database

CANARY_NAMES = ("HEROKU_API_KEY", "GITHUB_TOKEN", "INPUT_HEROKU_API_KEY", "INPUT_GITHUB_TOKEN",
                "INPUT_WORKFLOW_TOKEN", "HEROKUFLY_WORKFLOW_TOKEN", "HEROKUFLY_STATE_KEY", "INPUT_STATE_KEY",
                "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SOME_OTHER_SECRET")


@pytest.fixture
def planted(monkeypatch, canary):
    for name in CANARY_NAMES:
        monkeypatch.setenv(name, f"{canary}-{name}")
    monkeypatch.setenv("FLY_ACCESS_TOKEN", f"{canary}-stale-fly-token")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("FLY_ORG", "acme")
    return canary


@pytest.fixture
def env_dumping_flyctl(tmp_path):
    """A stand-in flyctl that writes the environment it was started with."""
    out = tmp_path / "seen.json"
    script = tmp_path / "flyctl"
    script.write_text(f"#!{sys.executable}\nimport json, os\nopen({str(out)!r}, 'w').write(json.dumps(dict(os.environ)))\n")
    script.chmod(0o755)
    return script, out


def test_flyctl_sees_its_token_and_nothing_secret(planted, env_dumping_flyctl):
    script, out = env_dumping_flyctl
    FlyClient(flyctl=str(script), token="fo1_the_one_token").run(["version"], needs_token=True)
    seen = json.loads(out.read_text())
    assert seen["FLY_API_TOKEN"] == "fo1_the_one_token" and "FLY_ACCESS_TOKEN" not in seen
    assert not [k for k, v in seen.items() if planted in v], "a credential reached flyctl"
    assert seen["PATH"] and seen["LC_ALL"] == "C.UTF-8" and seen["FLY_ORG"] == "acme"


def test_pg_tools_see_their_password_and_nothing_secret(planted, monkeypatch):
    monkeypatch.setenv("PGHOST", "attacker.example")
    db = Database.parse("source", "postgres://u:pw-of-source@127.0.0.1:5432/shop")
    child = subprocess.run([sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
                           env=db.tool_env(), capture_output=True, text=True, check=True)
    seen = json.loads(child.stdout)
    assert seen["PGPASSWORD"] == "pw-of-source" and "PGHOST" not in seen
    assert not [k for k, v in seen.items() if planted in v], "a credential reached a pg tool"


def test_extra_names_pass_but_never_secret_ones():
    env = {"PATH": "/bin", "CORP_PROXY_CA": "x", "FAKE_FLYCTL_STATE": "s", "INPUT_FLY_API_TOKEN": "t",
           "HEROKU_API_KEY": "k", "HEROKUFLY_CHILD_ENV": "CORP_PROXY_CA,FAKE_FLYCTL_*,INPUT_*,HEROKU_API_KEY"}
    assert child_env.allowed(env) == {"PATH": "/bin", "CORP_PROXY_CA": "x", "FAKE_FLYCTL_STATE": "s"}
