"""The migration's state: which stage ran when, with what result, what it created.

Where it lives, and why: a JSON file, by default `.herokufly/<fly-app>.state.json`
in the working directory (override with `--state-file` or HEROKUFLY_STATE_FILE).
In GitHub Actions the workflow hands its public copy (no salt, no fingerprints)
from job to job as an artifact, and from a pull request a signed copy rides in
the progress comment for later runs (herokufly/pr/state_sync.py). We
considered keeping it on the Fly app instead, but flyctl can never read a
secret's value back (`secrets list` shows names and digests only), and there is
no other per-app store flyctl can both write and read; Heroku config vars would
work but every write creates a Heroku release and restarts dynos mid-migration.

So the state is a record and a guide, not the source of truth: every stage
first looks at what really exists on Fly and Heroku (apps, secrets, clusters,
certificates, formation) and reuses it, so a lost state file never causes a
duplicate. The one fact only the state holds is the Heroku formation before
cutover; cutover also prints it, and `rollback --formation` accepts it by hand.

Never stored here: secret values, connection strings, tokens. Secrets are
tracked by name with Fly's digest and a salted fingerprint of the value.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import secrets as _random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from herokufly.base.errors import ConfigError

SCHEMA_VERSION = 1
STAGES = ("provision", "secrets", "database", "deploy", "domains", "cutover")
PENDING, RUNNING, DONE, FAILED, SKIPPED, INTERRUPTED = (
    "pending", "running", "done", "failed", "skipped", "interrupted")


def utcnow() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_path(fly_app: str, environ: dict | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("HEROKUFLY_STATE_FILE"):
        return Path(env["HEROKUFLY_STATE_FILE"])
    return Path(".herokufly") / f"{fly_app}.state.json"


@dataclass
class MigrationState:
    path: Path
    data: dict = field(default_factory=dict)

    # -- loading and saving ------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str, *, heroku_app: str, fly_app: str) -> "MigrationState":
        path = Path(path)
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"the state file {path} is unreadable ({exc})",
                                  hint="Restore it from the previous job's artifact or move it away") from None
            if data.get("fly_app") != fly_app or data.get("heroku_app") != heroku_app:
                raise ConfigError(
                    f"the state file {path} belongs to {data.get('heroku_app')} -> {data.get('fly_app')}, "
                    f"not {heroku_app} -> {fly_app}",
                    hint="Pass --state-file for this migration")
            return cls(path, data)
        data = {
            "schema": SCHEMA_VERSION, "heroku_app": heroku_app, "fly_app": fly_app,
            "created_at": utcnow(), "updated_at": utcnow(),
            "salt": _random.token_hex(16),  # for value fingerprints; not secret by itself
            "stages": {name: {"status": PENDING} for name in STAGES},
            "created": {}, "secrets": {}, "heroku": {}, "events": [],
        }
        return cls(path, data)

    def save(self) -> None:
        self.data["updated_at"] = utcnow()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=str(self.path.parent))
        with os.fdopen(fd, "w") as fh:
            json.dump(self.data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, self.path)

    # -- stages -------------------------------------------------------------------

    def stage(self, name: str) -> dict:
        return self.data["stages"].setdefault(name, {"status": PENDING})

    def status(self, name: str) -> str:
        return self.stage(name).get("status", PENDING)

    def mark(self, name: str, status: str, **details) -> None:
        entry = self.stage(name)
        entry["status"] = status
        stamp = utcnow()
        if status == RUNNING:
            entry["started_at"] = stamp
            entry.pop("error", None)
        else:
            entry["finished_at"] = stamp
        entry.update({k: v for k, v in details.items() if v is not None})
        self.data["events"].append({"at": stamp, "stage": name, "status": status})
        self.data["events"] = self.data["events"][-200:]
        self.save()

    # -- what was created ----------------------------------------------------------

    def created(self, key: str, default=None):
        return self.data["created"].get(key, default)

    def record(self, key: str, value) -> None:
        self.data["created"][key] = value
        self.save()

    # -- secrets bookkeeping (names, digests, fingerprints; never values) ----------

    def fingerprint(self, name: str, value: str) -> str:
        raw = f"{self.data['salt']}\0{name}\0{value}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def secret_record(self, name: str) -> dict | None:
        return self.data["secrets"].get(name)

    def record_secret(self, name: str, *, fly_digest: str | None, fingerprint: str) -> None:
        self.data["secrets"][name] = {"fly_digest": fly_digest, "fingerprint": fingerprint,
                                      "set_at": utcnow()}

    # -- the Heroku side ------------------------------------------------------------

    @property
    def heroku(self) -> dict:
        return self.data.setdefault("heroku", {})

    def summary(self) -> dict:
        """Stage -> status, for reports."""
        return {name: self.status(name) for name in STAGES}
