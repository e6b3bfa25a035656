"""Test helpers around the fake flyctl: environment, state, log, and a Fly client."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from herokufly.talk.fly import FlyClient

FAKE_FLYCTL = str(Path(__file__).with_name("flyctl"))


def fake_macaroon(kind: str, **scope: str) -> str:
    """A token the fake flyctl reads like a macaroon with caveats (see `token_scope` there)."""
    body = base64.urlsafe_b64encode(json.dumps(dict(scope, kind=kind), sort_keys=True).encode()).decode()
    return "FlyV1 fm2_" + body.rstrip("=")


def org_token(org: str = "personal") -> str:
    """What `fly tokens create org --org <org>` gives: everything in that organization."""
    return fake_macaroon("org", org=org)


def deploy_token(app: str, org: str = "personal") -> str:
    """What `fly tokens create deploy --app <app>` gives: that one existing app only."""
    return fake_macaroon("deploy", app=app, org=org)


TOKEN = org_token()
USER_TOKEN = "fo1_user-token-7d1f0c2a9b"  # `fly auth token`: a user token, refused by `mpg` commands


@dataclass
class FakeFly:
    dir: Path

    @property
    def state_path(self) -> Path:
        return self.dir / "fly-state.json"

    @property
    def log_path(self) -> Path:
        return self.dir / "flyctl.log"

    def env(self, **extra: str) -> dict[str, str]:
        env = {"FAKE_FLYCTL_STATE": str(self.state_path), "FAKE_FLYCTL_LOG": str(self.log_path),
               # flyctl's environment is an allow-list (herokufly/base/child_env.py): name the fake's settings.
               "HEROKUFLY_CHILD_ENV": "FAKE_FLYCTL_*,FLYCTL_CONTRACT"}
        env.update(extra)
        return env

    def install(self, monkeypatch, **extra: str) -> None:
        for key in ("FAKE_FLYCTL_FAIL", "FAKE_FLYCTL_TOKEN", "FAKE_FLYCTL_TAKEN_NAMES", "FLY_APP"):
            monkeypatch.delenv(key, raising=False)
        for key, value in self.env(**extra).items():
            monkeypatch.setenv(key, value)

    def client(self, token: str | None = TOKEN) -> FlyClient:
        return FlyClient(flyctl=FAKE_FLYCTL, token=token)

    def state(self) -> dict:
        return json.loads(self.state_path.read_text()) if self.state_path.exists() else {"apps": {}, "mpg": {}}

    def vault(self) -> dict:
        path = Path(str(self.state_path) + ".vault.json")
        return json.loads(path.read_text()) if path.exists() else {}

    def log(self) -> list[dict]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]

    def calls(self, command: str | None = None) -> list[list[str]]:
        return [e["argv"] for e in self.log() if command is None or e["command"] == command]


def fail_once(monkeypatch, *commands: str) -> None:
    """Make each named flyctl command fail once (the fake remembers it failed)."""
    monkeypatch.setenv("FAKE_FLYCTL_FAIL", ",".join(commands))


def no_secret_in(values, *texts_or_paths) -> list[str]:
    """Which of `values` appear in any given text or file (empty list = clean)."""
    found = []
    for item in texts_or_paths:
        text = Path(item).read_text(errors="replace") if isinstance(item, (Path,)) or (
            isinstance(item, str) and os.path.exists(item)) else str(item)
        for value in values:
            if value and value in text:
                found.append(value)
    return found
