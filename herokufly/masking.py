"""Keep secret values out of everything herokufly prints or writes.

Every value read from a secret source is registered here first. In GitHub
Actions registering also emits `::add-mask::` so the runner hides it too.
`redact()` is applied to every line before it leaves the process.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from urllib.parse import urlsplit

_lock = threading.Lock()
_secrets: set[str] = set()
# Shorter values would mask ordinary words; they are still kept off argv.
_MIN_LEN = 4
# Where `::add-mask::` goes. The runner reads workflow commands from stdout and stderr alike;
# a command whose stdout is a JSON document sends them to stderr so the JSON stays whole.
_commands_to_stderr = False
# The lookbehind anchors a scheme at the start of a word: without it a long run of
# letters is re-scanned from every position (quadratic on base64 blobs).
_URL_PASSWORD = re.compile(r"(?<![a-zA-Z0-9+.-])(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def register(value: str | None) -> None:
    """Remember a secret value (and each of its lines) so it is never shown."""
    if not value:
        return
    parts = {value} | {line for line in value.splitlines() if line.strip()}
    # A URL's password is secret on its own too.
    try:
        pw = urlsplit(value).password
    except ValueError:
        pw = None
    if pw:
        parts.add(pw)
    new = []
    with _lock:
        for part in parts:
            if len(part) >= _MIN_LEN and part not in _secrets:
                _secrets.add(part)
                new.append(part)
    if new and in_github_actions():
        stream = sys.stderr if _commands_to_stderr else sys.stdout
        for part in new:
            # The workflow command must be on one line; multi-line parts were split above.
            if "\n" not in part:
                stream.write(f"::add-mask::{part}\n")
        stream.flush()


def send_commands_to_stderr(enabled: bool = True) -> None:
    """Emit `::add-mask::` on stderr (for commands that print JSON on stdout)."""
    global _commands_to_stderr
    _commands_to_stderr = enabled


def redact(text: str) -> str:
    """Replace every registered secret and any URL password with ***."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


def safe_url(url: str) -> str:
    """A connection string fit for display: the password replaced by ***."""
    return redact(url)


def clear() -> None:
    """Forget registered values (tests only)."""
    with _lock:
        _secrets.clear()
    send_commands_to_stderr(False)
