"""The migration state carried in the PR's progress comment, so a later workflow run finds it.

A workflow run cannot see the files or artifacts of an earlier run, yet
`/herokufly migrate deploy` or `/herokufly rollback` may come days after the
first stages, and the Heroku formation before cutover lives only in the state.
So after every stage the state file goes into the progress record of the sticky
comment (key `migration_state`, inside the base64 data block that comment.py
writes), and before a stage it is written back to the state file when that file
is absent or older.

What travels is `public_copy(state)`: no `salt` and no `secrets` section, because
a salted fingerprint or Fly digest next to its salt would let anyone who can read
the PR guess a short value offline. The state never held values; this copy does
not hold anything derived from them either. The same public copy is all the
workflow's artifact carries between the jobs of one run (`keep_only_public`, then
`add_private_fields` in the next job). The cost: the secrets stage compares values
from scratch and stages them once more, which changes no value.

The copy is signed (HMAC-SHA256 with the workflow-only key HEROKUFLY_STATE_KEY,
herokufly/pr/signing.py): without the key nothing is carried. Reading is strict: the
version, the signature, a timestamp that is not in the future and the shape of every
field are checked, and a state that fails any of them is refused with one line (the
stage does not run): it was forged, edited, or written without the key.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import secrets as _random
import tempfile
from pathlib import Path
from typing import Any

from herokufly.act import state as state_module
from herokufly.base import console
from herokufly.base.errors import ConfigError
from herokufly.pr import signing

CARRIER_VERSION = 2  # 1 was checksummed, not signed: refused
# A clock a little ahead is fine; a state "from the future" would win every comparison.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)
KEY = "migration_state"
MAX_EVENTS = 20
# The record shares a 65,000-character comment with the rendered progress; the state must stay small.
MAX_JSON_CHARS = 16000
PER_TABLE_KEYS = ("tables", "phases", "mismatches")

_STATUSES = frozenset({"pending", "running", "done", "unchanged", "failed", "skipped", "interrupted", "rolled_back"})
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_TOP_LEVEL = {"schema": int, "heroku_app": str, "fly_app": str, "created_at": str, "updated_at": str,
              "stages": dict, "created": dict, "heroku": dict, "events": list}


class Invalid(ValueError):
    """The carried state is not one herokufly wrote for this migration."""


class Refused(ConfigError):
    """A carried state that cannot be trusted: the stage stops, nothing changes."""


# ------------------------------------------------------------------ writing


def public_copy(data: dict) -> dict:
    """The state without anything derived from a secret value, trimmed to fit a comment."""
    public = {k: copy.deepcopy(v) for k, v in data.items() if k not in ("salt", "secrets")}
    public["events"] = list(public.get("events") or [])[-MAX_EVENTS:]
    # Per-table figures grow with the database and nothing reads them back: the totals stay.
    report = ((public.get("stages") or {}).get("database") or {}).get("report")
    if isinstance(report, dict):
        for holder in (report, report.get("verification")):
            if isinstance(holder, dict):
                for key in PER_TABLE_KEYS:
                    if isinstance(holder.get(key), list):
                        holder[f"{key}_count"] = len(holder.pop(key))
    return public


def envelope(data: dict, key: str) -> dict | None:
    """What goes in the progress record: version, signature and the public copy (None if too big)."""
    public = public_copy(data)
    text = _canonical(public)
    if len(text) > MAX_JSON_CHARS:
        public["events"] = []
        text = _canonical(public)
    if len(text) > MAX_JSON_CHARS:
        console.err(f"warning: the migration state is {len(text)} characters, too big for the progress comment; "
                    "a later workflow run will not see it")
        return None
    return {"v": CARRIER_VERSION, "hmac": signing.mac(key, "state", public), "state": public}


def capture(path: Path, key: str | None) -> dict | None:
    """The signed envelope of the state file at `path`; None when there is none, it is
    unreadable, or there is no key to sign it with (then nothing is carried)."""
    if not key:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        console.err(f"warning: the state file {path} could not be read to carry it in the comment: {exc}")
        return None
    return envelope(data, key) if isinstance(data, dict) else None


def keep_only_public(path: Path) -> bool:
    """Rewrite the state file as its public copy (no salt, no fingerprints): what the
    workflow's artifact then uploads, which anyone who can read the repository can
    download. Returns True when a file was rewritten."""
    data = _read_local(Path(path))
    if data is None or not ("salt" in data or "secrets" in data):
        return False
    _write_atomically(Path(path), public_copy(data))
    return True


def add_private_fields(path: Path) -> None:
    """A public copy back into a state file the engine can use: a fresh salt, no fingerprints
    (the secrets stage compares values again once; nothing changes on Fly)."""
    data = _read_local(Path(path))
    if data is None or (isinstance(data.get("salt"), str) and data["salt"] and isinstance(data.get("secrets"), dict)):
        return
    data["salt"] = _random.token_hex(16)
    data["secrets"] = {}
    _write_atomically(Path(path), data)


# ------------------------------------------------------------------ reading


def parse(carried: Any, *, heroku_app: str, fly_app: str, key: str | None, now: dt.datetime | None = None) -> dict:
    """The state inside an envelope, checked; raises Invalid saying what is wrong."""
    if not key:
        raise Invalid(f"it cannot be verified without the {signing.KEY_SECRET} secret")
    if not isinstance(carried, dict) or carried.get("v") != CARRIER_VERSION or set(carried) != {"v", "hmac", "state"}:
        raise Invalid("it is not signed (not a state record this herokufly writes)")
    data = carried["state"]
    if not isinstance(data, dict) or not signing.matches(key, "state", data, carried["hmac"]):
        raise Invalid(f"its signature does not match {signing.KEY_SECRET} (forged, edited or from another key)")
    for key, kind in _TOP_LEVEL.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise Invalid(f"field {key!r} is missing or not a {kind.__name__}")
    if "salt" in data or "secrets" in data:
        raise Invalid("it carries secret bookkeeping that never goes in a comment")
    if data["schema"] != state_module.SCHEMA_VERSION:
        raise Invalid(f"state schema {data['schema']}, this herokufly reads {state_module.SCHEMA_VERSION}")
    if (data["heroku_app"], data["fly_app"]) != (heroku_app, fly_app):
        raise Invalid(f"it belongs to {data['heroku_app']} -> {data['fly_app']}, not {heroku_app} -> {fly_app}")
    if not _STAMP.match(data["updated_at"]):
        raise Invalid("updated_at is not a UTC timestamp")
    stamp = dt.datetime.strptime(data["updated_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    if stamp > (now or dt.datetime.now(dt.timezone.utc)) + MAX_CLOCK_SKEW:
        raise Invalid(f"updated_at {data['updated_at']} is in the future")
    for name, entry in data["stages"].items():
        if not isinstance(entry, dict) or entry.get("status") not in _STATUSES:
            raise Invalid(f"stage {name!r} has no valid status")
    for key in ("formation_before_cutover",):
        formation = data["heroku"].get(key)
        if formation is not None and not _is_formation(formation):
            raise Invalid(f"heroku.{key} is not process type -> count")
    return data


def restore(carried: Any, path: Path, *, heroku_app: str, fly_app: str, key: str | None) -> str:
    """Write the carried state to `path` when that file is absent or older. Returns what happened:
    "restored", "kept" (the local file is as new or newer) or "none" (nothing carried).
    Raises Refused for a state that fails its checks."""
    if carried is None:
        return "none"
    try:
        data = parse(carried, heroku_app=heroku_app, fly_app=fly_app, key=key)
    except Invalid as exc:
        raise refused(str(exc)) from None
    path = Path(path)
    local = _read_local(path)
    if local is not None:
        if str(local.get("updated_at", "")) >= data["updated_at"]:
            return "kept"
        # Newer elsewhere: take it, but keep this file's salt and fingerprints (they never travel).
        salt, secret_records = local.get("salt"), local.get("secrets")
    else:
        salt, secret_records = None, None
    restored = copy.deepcopy(data)
    restored["salt"] = salt if isinstance(salt, str) and salt else _random.token_hex(16)
    restored["secrets"] = secret_records if isinstance(secret_records, dict) and salt else {}
    _write_atomically(path, restored)
    return "restored"


def refused(why: str) -> Refused:
    return Refused(
        f"refused the migration state in the progress comment: {why}; nothing was changed",
        hint=f"if you did not expect this, delete that comment and re-run; set the {signing.KEY_SECRET} "
             "secret as `herokufly workflow` says",
    )


# ------------------------------------------------------------------ helpers


def _canonical(data: Any) -> str:
    return signing.canonical(data)


def _is_formation(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10000
        for k, v in value.items())


def _read_local(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=str(path.parent))
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
