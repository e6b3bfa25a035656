"""The environment a child process (flyctl, pg_dump, psql...) is given: an allow-list, never ours.

In the action, our own environment holds HEROKU_API_KEY, GITHUB_TOKEN, the workflow
token and the INPUT_* copy of every secret input (the runner passes each `with:` value
as INPUT_<NAME>). A child needs none of them: flyctl needs its one Fly token, pg tools
the one database password. So a child gets the names below plus what its caller adds,
and nothing else (issue 10, attack 3; docs/security.md).

HEROKUFLY_CHILD_ENV names more variables to pass (comma-separated; `PREFIX*` for a
prefix), e.g. a corporate proxy's settings or the test fakes' FAKE_FLYCTL_*. Secret
names are never passed that way, whatever it says.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Mapping

# What any program needs to find itself, its files, its certificates and the network.
BASE = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "TMPDIR", "TEMP", "TMP", "LANG", "LANGUAGE",
    "NO_COLOR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME",
})
BASE_PREFIXES = ("LC_",)
# flyctl's own settings (FLY_APP, FLY_ORG, FLY_REGION, FLY_API_BASE_URL, ...; flyctl
# v0.4.87 internal/env, internal/flyutil) pass; its tokens only from FlyClient itself.
FLYCTL_PREFIXES = ("FLY_",)
FLY_TOKENS = ("FLY_API_TOKEN", "FLY_ACCESS_TOKEN")
EXTRA = "HEROKUFLY_CHILD_ENV"
# Never handed to a child, whatever HEROKUFLY_CHILD_ENV says.
_NEVER = re.compile(r"^(INPUT_.*|HEROKU_API_KEY|GITHUB_TOKEN|GH_TOKEN|HEROKUFLY_WORKFLOW_TOKEN|HEROKUFLY_STATE_KEY"
                    r"|ACTIONS_.*TOKEN.*|ACTIONS_RUNTIME_.*|ACTIONS_ID_TOKEN_.*)$")


def _extra_rules(environ: Mapping[str, str]) -> tuple[frozenset[str], tuple[str, ...]]:
    names, prefixes = set(), []
    for item in (environ.get(EXTRA) or "").split(","):
        item = item.strip()
        if item.endswith("*") and len(item) > 1:
            prefixes.append(item[:-1])
        elif item:
            names.add(item)
    return frozenset(names), tuple(prefixes)


def allowed(environ: Mapping[str, str] | None = None, *, names: Iterable[str] = (),
            prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """The allow-listed part of `environ` (default os.environ)."""
    env = os.environ if environ is None else environ
    extra_names, extra_prefixes = _extra_rules(env)
    keep_names = BASE | frozenset(names) | extra_names
    keep_prefixes = BASE_PREFIXES + tuple(prefixes) + extra_prefixes
    return {k: v for k, v in env.items()
            if (k in keep_names or k.startswith(keep_prefixes)) and not _NEVER.match(k)}


def for_flyctl(token: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """flyctl's environment: the base, FLY_* settings, and the one token FlyClient holds."""
    env = {k: v for k, v in allowed(environ, prefixes=FLYCTL_PREFIXES).items() if k not in FLY_TOKENS}
    if token:
        env["FLY_API_TOKEN"] = token
    env.setdefault("NO_COLOR", "1")
    return env


def for_pg_tools(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """pg tools' environment without any PG* variable: the caller adds PGPASSWORD and its settings."""
    return {k: v for k, v in allowed(environ).items() if not k.startswith("PG")}
