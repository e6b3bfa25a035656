"""HMAC-SHA256 signatures on what herokufly leaves in the PR for a later job to trust.

The progress record and the migration state ride in a PR comment, where anyone who can
get text into the comment (PR content rendered in it, another workflow's bot comment, a
collaborator's edit) could otherwise put a record herokufly would act on: a formation
for rollback to restore, stages marked done. So both are signed with a key only this
workflow holds: the repository secret HEROKUFLY_STATE_KEY, passed to the action as
`state_key` (`herokufly workflow` prints how to create it). A record is bound to where
it lives (repository, PR number, comment id), so a genuine block copied elsewhere fails.

Without the key nothing is signed: the comment still shows progress, but no migration
state is carried between runs and none is ever read back (docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from herokufly.base.errors import ConfigError

KEY_SECRET = "HEROKUFLY_STATE_KEY"
MIN_KEY_CHARS = 32
FIELD = "signature"


def check_key(key: str | None) -> str | None:
    """The key, or None when none is set; a key too short to resist guessing is an error."""
    key = (key or "").strip()
    if not key:
        return None
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError(
            f"the {KEY_SECRET} secret is {len(key)} characters; it needs at least {MIN_KEY_CHARS}",
            hint=f"make a new one: `openssl rand -hex 32 | gh secret set {KEY_SECRET}`",
        )
    return key


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def mac(key: str, purpose: str, payload: Any) -> str:
    """hex HMAC-SHA256 of `purpose` and the canonical JSON of `payload`."""
    message = f"herokufly:{purpose}\n{canonical(payload)}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def matches(key: str, purpose: str, payload: Any, given: Any) -> bool:
    return isinstance(given, str) and hmac.compare_digest(mac(key, purpose, payload), given)


# ------------------------------------------------------------------ the progress record


def _record_payload(record: dict, *, repository: str, number: int, comment_id: int) -> dict:
    body = {k: v for k, v in record.items() if k != FIELD}
    return {"repository": repository, "pr": number, "comment_id": comment_id, "record": body}


def sign_record(record: dict, key: str, *, repository: str, number: int, comment_id: int) -> dict:
    """A copy of the record carrying its signature for this repository, PR and comment."""
    signed = {k: v for k, v in record.items() if k != FIELD}
    payload = _record_payload(signed, repository=repository, number=number, comment_id=comment_id)
    signed[FIELD] = {"comment_id": comment_id, "hmac": mac(key, "progress", payload)}
    return signed


def record_is_signed(record: dict, key: str, *, repository: str, number: int, comment_id: int) -> bool:
    """True when the record was signed with `key` for exactly this comment."""
    signature = record.get(FIELD)
    if not isinstance(signature, dict) or signature.get("comment_id") != comment_id:
        return False
    payload = _record_payload(record, repository=repository, number=number, comment_id=comment_id)
    return matches(key, "progress", payload, signature.get("hmac"))
