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
not hold anything derived from them either. The cost: a later run re-stages the
secrets once (values are compared again from scratch), which changes nothing.

Reading is strict: a version, a checksum over the JSON and the shape of every
field are checked; anything else is ignored with a warning, never a crash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import secrets as _random
import tempfile
from pathlib import Path
from typing import Any

from herokufly import console, state as state_module

CARRIER_VERSION = 1
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


def envelope(data: dict) -> dict | None:
    """What goes in the progress record: version, checksum and the public copy (None if too big)."""
    public = public_copy(data)
    text = _canonical(public)
    if len(text) > MAX_JSON_CHARS:
        public["events"] = []
        text = _canonical(public)
    if len(text) > MAX_JSON_CHARS:
        console.err(f"warning: the migration state is {len(text)} characters, too big for the progress comment; "
                    "a later workflow run will not see it")
        return None
    return {"v": CARRIER_VERSION, "sha256": hashlib.sha256(text.encode()).hexdigest(), "state": public}


def capture(path: Path) -> dict | None:
    """The envelope of the state file at `path`, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        console.err(f"warning: the state file {path} could not be read to carry it in the comment: {exc}")
        return None
    return envelope(data) if isinstance(data, dict) else None


# ------------------------------------------------------------------ reading


def parse(carried: Any, *, heroku_app: str, fly_app: str) -> dict:
    """The state inside an envelope, checked; raises Invalid saying what is wrong."""
    if not isinstance(carried, dict) or set(carried) != {"v", "sha256", "state"}:
        raise Invalid("not a herokufly state record")
    if carried["v"] != CARRIER_VERSION:
        raise Invalid(f"record version {carried['v']!r}, this herokufly reads {CARRIER_VERSION}")
    data = carried["state"]
    if not isinstance(data, dict):
        raise Invalid("the state is not an object")
    if hashlib.sha256(_canonical(data).encode()).hexdigest() != carried["sha256"]:
        raise Invalid("the checksum does not match (the comment was edited or damaged)")
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
    for name, entry in data["stages"].items():
        if not isinstance(entry, dict) or entry.get("status") not in _STATUSES:
            raise Invalid(f"stage {name!r} has no valid status")
    for key in ("formation_before_cutover",):
        formation = data["heroku"].get(key)
        if formation is not None and not _is_formation(formation):
            raise Invalid(f"heroku.{key} is not process type -> count")
    return data


def restore(carried: Any, path: Path, *, heroku_app: str, fly_app: str) -> str:
    """Write the carried state to `path` when that file is absent or older. Returns what happened:
    "restored", "kept" (the local file is as new or newer), "none" (nothing carried) or "ignored"."""
    if carried is None:
        return "none"
    try:
        data = parse(carried, heroku_app=heroku_app, fly_app=fly_app)
    except Invalid as exc:
        console.err(f"warning: ignored the migration state in the progress comment: {exc}")
        return "ignored"
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


# ------------------------------------------------------------------ helpers


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
