"""Keep secret values out of everything herokufly prints or writes.

Every value read from a secret source is registered here first: tokens and passwords with
`register`, config var values with `register_config`, which masks what the rules in
`public_values.py` do not show (and everything with `--mask-all-config`). In GitHub Actions
registering also emits `::add-mask::` so the runner hides the value in the whole job log.
`redact()` is applied to every line before it leaves the process.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from urllib.parse import urlsplit

from herokufly.base import public_values

_lock = threading.Lock()
# The values registered, each as the runner was told (`::add-mask::`).
_secrets: list[str] = []
# What `redact` replaces: the registered values, plus forms only our own output could show
# (a value as it reads inside a JSON string; a multi-line value whole).
_redacted: set[str] = set()
# Values herokufly knows to be public: the app's domains, the app names, the region.
_known_public: set[str] = set()
_mask_all_config = False
# A line of a multi-line value shorter than this is structure ("{", "},", "-----"), not secret;
# masking it would blank that string in every line of the log.
MIN_LINE_LENGTH = 4
# Where `::add-mask::` goes. The runner reads workflow commands from stdout and stderr alike;
# a command whose stdout is a JSON document sends them to stderr so the JSON stays whole.
_commands_to_stderr = False
# The lookbehind anchors a scheme at the start of a word: without it a long run of
# letters is re-scanned from every position (quadratic on base64 blobs).
_URL_PASSWORD = re.compile(r"(?<![a-zA-Z0-9+.-])(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")
# The runner splits a multi-line mask on CR and LF only (actions/runner
# src/Runner.Worker/ActionCommandManager.cs, AddMaskCommandExtension).
_LINE_BREAK = re.compile(r"[\r\n]+")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def register(value: str | None) -> None:
    """Remember a secret value so it is never shown, whatever its length.

    A one-line value is masked as it is (and trimmed); a multi-line value line by line, as the
    runner masks each line of output on its own. In Actions each part becomes one
    `::add-mask::` line, escaped as the runner expects (see `escape_data`).
    """
    if not value or not value.strip():
        return
    parts = _mask_parts(value)
    new = []
    with _lock:
        for part in parts:
            if part not in _secrets:
                _secrets.append(part)
                new.append(part)
            _redacted.add(part)
            _redacted.add(json.dumps(part)[1:-1])
        _redacted.add(value)
        _redacted.add(json.dumps(value)[1:-1])
    if new and in_github_actions():
        stream = sys.stderr if _commands_to_stderr else sys.stdout
        for part in new:
            stream.write(f"::add-mask::{escape_data(part)}\n")
        stream.flush()


def _mask_parts(value: str) -> list[str]:
    lines = [line.strip() for line in _LINE_BREAK.split(value)]
    if len(lines) == 1:
        parts = [value, value.strip()]
    else:
        parts = [line for line in lines if len(line) >= MIN_LINE_LENGTH]
    # A URL's password is secret on its own too.
    try:
        password = urlsplit(value.strip()).password
    except ValueError:
        password = None
    if password:
        parts.append(password)
    return list(dict.fromkeys(parts))


def register_config(name: str, value: str | None) -> bool:
    """Register a config var's value unless the masking rules show it; True when masked."""
    if value is None:
        return False
    with _lock:
        known, mask_all = set(_known_public), _mask_all_config
    if public_values.is_public(name, value, known, mask_all=mask_all):
        return False
    register(value)
    return True


def know_public(*values: str | None) -> None:
    """Record values herokufly itself knows to be public (domains, app names, region)."""
    with _lock:
        _known_public.update(v.strip().lower() for v in values if v and v.strip())


def mask_all_config(enabled: bool = True) -> None:
    """`--mask-all-config`: every config value is masked, public or not."""
    global _mask_all_config
    with _lock:
        _mask_all_config = enabled


def masking_all_config() -> bool:
    return _mask_all_config


def registered() -> list[str]:
    """The values registered so far, in order, as the runner was told them."""
    with _lock:
        return list(_secrets)


def escape_data(value: str) -> str:
    """A workflow command's data escaped as the runner unescapes it: % first, then CR and LF.

    actions/toolkit packages/core/src/command.ts (escapeData); actions/runner
    src/Runner.Common/ActionCommand.cs (_escapeDataMappings, UnescapeData).
    """
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


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
        secrets = sorted(_redacted, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, "***")
    return text


def safe_url(url: str) -> str:
    """A connection string fit for display: the password replaced by ***."""
    return redact(url)


def clear() -> None:
    """Forget registered and public values, and mask-all (tests only)."""
    global _mask_all_config
    with _lock:
        _secrets.clear()
        _redacted.clear()
        _known_public.clear()
        _mask_all_config = False
    send_commands_to_stderr(False)
