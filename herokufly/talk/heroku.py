"""A small client for the Heroku Platform API v3 (requests, one Session).

Only what herokufly needs: read an app (info, config vars, add-ons, formation,
domains, buildpacks, releases) and the few writes the migration makes
(maintenance on/off, scaling the formation). Every config var value is passed
to masking (which masks what its rules do not show) before it is returned, and
no error message ever holds the token or a config value.
"""

from __future__ import annotations

from collections.abc import Iterable

import email.utils
import time
from typing import Callable
from urllib.parse import quote

import requests

from herokufly import __version__
from herokufly.base import masking
from herokufly.base.errors import HerokuError, UserError

ACCEPT = "application/vnd.heroku+json; version=3"
# Heroku's page limit; one request returns up to this many items.
PAGE_MAX = 1000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
# Guard against a server that keeps answering with a Next-Range.
MAX_PAGES = 1000


class HerokuClient:
    def __init__(self, api_url: str, api_key: str, *, timeout: float = 30, max_retries: int = 4,
                 backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep):
        if not api_key:
            raise UserError("HEROKU_API_KEY is not set",
                            hint="create a token with `heroku authorizations:create` and export HEROKU_API_KEY")
        masking.register(api_key)
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        # Apps whose domain list this client has read (and so told masking about).
        self._public_values_read: set[str] = set()
        self._session = requests.Session()
        self._session.headers.update({
            "Accept": ACCEPT,
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"herokufly/{__version__}",
        })

    @classmethod
    def from_settings(cls, settings, **kwargs) -> "HerokuClient":
        if not settings.heroku_api_key:
            raise UserError(
                "HEROKU_API_KEY is not set",
                hint="create a token with `heroku authorizations:create` and export HEROKU_API_KEY "
                     "(or plan with --offline)")
        return cls(settings.heroku_api_url, settings.heroku_api_key, **kwargs)

    def __repr__(self) -> str:
        return f"HerokuClient(api_url={self.api_url!r})"

    __str__ = __repr__

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "HerokuClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reads
    def app(self, name: str) -> dict:
        info = self._request("GET", _app_path(name), name).json()
        # The app's name is public (it is in its herokuapp.com hostname), and so is its region.
        region = info.get("region")
        masking.know_public(info.get("name"), region.get("name") if isinstance(region, dict) else None)
        return info

    def app_exists(self, name: str) -> bool:
        """True when the app exists and the token can see it (401/403 still raise)."""
        try:
            self.app(name)
        except HerokuError as error:
            if getattr(error, "status", None) == 404:
                return False
            raise
        return True

    def config_vars(self, name: str, names: Iterable[str] | None = None) -> dict[str, str]:
        """Config vars with their values: all of them, or only `names`. Every value returned is
        passed to masking first, which masks it unless the masking rules (public_values.py)
        show it; Heroku's dyno metadata is public. The app's domains are read first, so a
        value naming one of them (PHX_HOST=www.acme.test) stays readable."""
        self._learn_public_values(name)
        values = self._request("GET", _app_path(name, "config-vars"), name).json()
        if names is not None:
            wanted = set(names)
            values = {key: value for key, value in values.items() if key in wanted}
        for key, value in values.items():
            if key not in HEROKU_METADATA_VARS:
                masking.register_config(key, value)
        return {key: value for key, value in values.items() if value is not None}

    def config_var_names(self, name: str) -> list[str]:
        """Sorted names only. The values are dropped here, never returned, so they are not
        registered: registering public values (HEROKU_APP_NAME, PHX_HOST) would mask the app
        name and hostnames in everything printed afterwards."""
        values = self._request("GET", _app_path(name, "config-vars"), name).json()
        return sorted(values)

    def addons(self, name: str) -> list[dict]:
        return self._list(_app_path(name, "addons"), name)

    def addon_attachments(self, name: str) -> list[dict]:
        return self._list(_app_path(name, "addon-attachments"), name)

    def formation(self, name: str) -> list[dict]:
        return self._list(_app_path(name, "formation"), name)

    def domains(self, name: str) -> list[dict]:
        items = self._list(_app_path(name, "domains"), name)
        # Heroku's domain list is public: every hostname in it resolves in public DNS.
        masking.know_public(*(item.get("hostname") for item in items))
        self._public_values_read.add(name)
        return items

    def _learn_public_values(self, name: str) -> None:
        """Read the app's domains once per client before its config values are classified."""
        if name not in self._public_values_read:
            self.domains(name)

    def buildpacks(self, name: str) -> list[dict]:
        # A short ordered list; Heroku does not range it by id, so no Range header.
        items = self._list(_app_path(name, "buildpack-installations"), name, range_header=None)
        return sorted(items, key=lambda item: item.get("ordinal", 0))

    def releases(self, name: str, *, limit: int | None = None) -> list[dict]:
        """All releases, oldest first; with `limit`, only the newest `limit` (newest first)."""
        path = _app_path(name, "releases")
        if limit is None:
            return sorted(self._list(path, name), key=lambda r: r.get("version", 0))
        header = f"version ..; max={min(limit, PAGE_MAX)}, order=desc"
        return self._list(path, name, range_header=header, follow=False)[:limit]

    def current_release(self, name: str) -> dict | None:
        newest = self.releases(name, limit=10)
        current = [r for r in newest if r.get("current")]
        return (current or newest or [None])[0]

    def dyno_sizes(self) -> list[dict]:
        return self._list("/dyno-sizes", None)

    # ------------------------------------------------------------------ writes
    def set_maintenance(self, name: str, on: bool) -> dict:
        return self._request("PATCH", _app_path(name), name, json={"maintenance": bool(on)}).json()

    def update_formation(self, name: str, updates: list[dict]) -> list[dict]:
        """Scale/resize process types in one call.

        Each update is {"type": "web", "quantity": 2, "size": "Standard-2X"}; "size" may also be
        given as "dyno_size": {"name": ...}. Only the keys present are changed.
        """
        body = {"updates": [_formation_update(u) for u in updates]}
        return self._request("PATCH", _app_path(name, "formation"), name, json=body).json()

    # ------------------------------------------------------------------ transport
    def _list(self, path: str, app_name: str | None, *, range_header: str | None = f"id ..; max={PAGE_MAX}",
              follow: bool = True) -> list[dict]:
        items: list[dict] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            headers = {"Range": range_header} if range_header else {}
            response = self._request("GET", path, app_name, headers=headers)
            page = response.json()
            if not isinstance(page, list):
                raise HerokuError(f"Heroku API returned an unexpected body for GET {path}",
                                  hint="check HEROKU_API_URL points at the Heroku Platform API")
            items.extend(page)
            next_range = response.headers.get("Next-Range")
            if not follow or response.status_code != 206 or not next_range or next_range in seen:
                return items
            seen.add(next_range)
            range_header = next_range
        raise HerokuError(f"Heroku API kept paginating GET {path} past {MAX_PAGES} pages",
                          hint="report this; the list is larger than herokufly expects")

    def _request(self, method: str, path: str, app_name: str | None, *, json=None,
                 headers: dict | None = None) -> requests.Response:
        url = self.api_url + path
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._session.request(method, url, json=json, headers=headers, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                if last:
                    raise HerokuError(
                        f"could not reach the Heroku API at {self.api_url} ({type(error).__name__}) "
                        f"after {attempts} attempts",
                        hint="check HEROKU_API_URL and the network, then run again") from None
                self._sleep(self._delay(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                self._sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            if response.status_code >= 400:
                raise self._error(response, method, path, app_name, attempts)
            return response
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            seconds = _parse_retry_after(retry_after)
            if seconds is not None:
                return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
        return min(self.backoff * (2 ** attempt), MAX_BACKOFF_SECONDS)

    def _error(self, response: requests.Response, method: str, path: str, app_name: str | None,
               attempts: int) -> HerokuError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        error_id = str(body.get("id") or "")
        message = _clean(str(body.get("message") or response.reason or ""))
        resource = body.get("resource")
        app = f"app '{app_name}'" if app_name else "the Heroku account"
        if status == 401:
            error = HerokuError(
                f"HEROKU_API_KEY is not valid for {app}",
                hint="the token is wrong or expired: create one with `heroku authorizations:create` "
                     "and set HEROKU_API_KEY")
        elif status == 403:
            error = HerokuError(
                f"HEROKU_API_KEY has no access to Heroku {app}",
                hint="use a token of an account that is a collaborator or team member of the app")
        elif status == 404 and app_name and resource in (None, "app"):
            error = HerokuError(
                f"Heroku app '{app_name}' not found",
                hint="check the name with `heroku apps` and that HEROKU_API_KEY belongs to its account")
        elif status == 404:
            error = HerokuError(f"Heroku {resource or 'resource'} not found for {app} ({method} {path}): {message}")
        elif status == 429:
            error = HerokuError(f"Heroku API rate limit reached for {app} after {attempts} attempts",
                                hint="wait a few minutes and run again")
        elif status >= 500:
            error = HerokuError(f"Heroku API failed with HTTP {status} on {method} {path} after {attempts} attempts",
                                hint="Heroku may be having trouble (see https://status.heroku.com); run again later")
        else:
            detail = f"{error_id}: {message}" if error_id else message
            error = HerokuError(f"Heroku refused {method} {path} for {app} (HTTP {status} {detail})")
        error.status = status
        error.error_id = error_id or None
        return error


# Set by Heroku on every dyno (runtime-dyno-metadata); public, and never copied to Fly.
HEROKU_METADATA_VARS = frozenset({
    "HEROKU_APP_ID", "HEROKU_APP_NAME", "HEROKU_DYNO_ID", "HEROKU_RELEASE_CREATED_AT",
    "HEROKU_RELEASE_VERSION", "HEROKU_SLUG_COMMIT", "HEROKU_SLUG_DESCRIPTION", "HEROKU_BUILD_COMMIT",
    "HEROKU_BUILD_DESCRIPTION", "PORT",
})


def _app_path(name: str, *rest: str) -> str:
    return "/".join(["/apps", quote(name, safe="")] + list(rest))


def _formation_update(update: dict) -> dict:
    if "type" not in update:
        raise ValueError("a formation update needs a process type")
    out: dict = {"type": update["type"]}
    if update.get("quantity") is not None:
        out["quantity"] = int(update["quantity"])
    size = update.get("size") or (update.get("dyno_size") or {}).get("name")
    if size:
        out["dyno_size"] = {"name": size}
    return out


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _clean(text: str) -> str:
    """Heroku's message on one line, short, with any registered secret hidden."""
    text = " ".join(masking.redact(text).split())
    return text[:300]
