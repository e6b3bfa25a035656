"""A fake Heroku Platform API (v3) served over real HTTP, held to Heroku's own schema.

Every response body the fake sends is validated against the `targetSchema` of the
matching link in Heroku's published JSON hyper-schema (a verbatim copy lives next
to this file; `HEROKU_SCHEMA` overrides the path). Request bodies are validated
against the link's `schema` and refused with 422 `invalid_params`, so the fake
accepts nothing the real API would refuse. A response that breaks the schema is
a bug in the fake: it is answered with 500 `fake_contract_violation`, recorded in
`.violations`, and leaving the `with` block raises AssertionError.

In tests:

    with FakeHeroku(token="tok") as fake:          # 127.0.0.1, free port
        fake.load_seed(PHOENIX_SEED, config_vars={"acme-phoenix": {"DATABASE_URL": url}})
        client = HerokuClient(fake.url, "tok", backoff=0.001)
        fake.fail_next("GET", r"/formation$", 503, times=2, retry_after=0)
        ...
        fake.apps["acme-phoenix"]["app"]["maintenance"]       # state, as API JSON
        fake.apps["acme-phoenix"]["formation"][0]["quantity"]
        fake.requests   # [{"method", "path", "headers" (no Authorization), "body"}]

API of the fake:
- `FakeHeroku(token="...", *, host="127.0.0.1", port=0, max_page_size=1000,
  state_file=None)`; `.start() -> base_url`, `.stop()`, `.url`, context manager.
- `.seed(data)` / `.load_seed(path, config_vars=None)`: add apps from the compact seed
  format below; `config_vars={app: {KEY: value}}` overrides values (e.g. a real local
  DATABASE_URL) without editing the seed. `.set_config_vars(app, mapping)` likewise.
- `.apps[name]`: {"app", "config_vars", "addons", "attachments", "formation",
  "domains", "buildpacks", "releases"}, each in the API's JSON shape.
- `.requests`: log of every request; `.violations`: schema failures of the fake.
- `.fail_next(method, path_regex, status, times=1, retry_after=None, body=None)`:
  the next `times` requests whose method matches and whose path matches
  `re.search(path_regex)` get `status` (with Heroku's error body for it, or `body`)
  and a `Retry-After` header when given. `status=0` drops the connection
  without answering (a connection error for the client).
- `max_page_size` caps every page (models endpoints that give fewer than `max=`).

Behaviour mirrored from Heroku (Dev Center "Platform API Reference"):
- `Accept: application/vnd.heroku+json; version=3` is required, else 406
  `not_acceptable`. `Authorization: Bearer <token>` is required, else 401 `unauthorized`.
- Errors are `{"id": ..., "message": ...}` (plus `resource` on 404 `not_found`).
- Identities accept the id or the natural key (app name, formation type, domain
  hostname, release version, add-on name, dyno size name).
- Lists follow `Range: <field> [start]..[end]; max=N[, order=asc|desc]` (default page
  200, max 1000); a truncated page is 206 with `Next-Range`. Page size and the 416
  for a bad Range follow the Dev Center text; exact Next-Range formatting is not
  verified against the live API (clients should treat it as opaque).
- Changing config vars creates a release, as on Heroku. Basic/Eco dynos cannot be
  scaled above 1 per process type.
- Dyno size figures are approximate (memory from Heroku's docs as of 2024; costs
  are list prices) and only meant for shape.

Seed format (JSON):

    {"apps": [{
        "name": "acme-phoenix", "region": "us", "stack": "heroku-24",
        "team": null, "space": null (or "name" or {"name", "shield"}), "maintenance": false,
        "buildpack_provided_description": "Elixir",
        "config_vars": {"KEY": "value"},
        "buildpacks": [{"url": "...", "name": "..."}],
        "formation": [{"type": "web", "quantity": 2, "size": "Standard-2X", "command": "..."}],
        "addons": [{"name": "...", "plan": "heroku-postgresql:standard-0",
                    "config_vars": ["DATABASE_URL"], "monthly_cents": 5000,
                    "attachments": ["DATABASE"]}],
        "domains": [{"hostname": "...", "kind": "custom", "cname": "...", "status": "succeeded"}],
        "releases": [{"version": 41, "description": "...", "status": "succeeded"}]
    }]}

Missing ids and timestamps are filled in deterministically.

Standalone (end-to-end tests):

    python3 -m tests.fakes.heroku_api --host 127.0.0.1 --port 0 --token T --seed FILE \\
        [--state-file F] [--config-vars-file F]

prints `FAKE_HEROKU_URL=<url>` on one line, then serves until SIGTERM/SIGINT. With
`--state-file` the whole state (as `{"apps": {...}}`) is written atomically at start and
after each change. `--config-vars-file` is a JSON `{app: {KEY: value}}` of overrides:
secret values travel in a file, never on the command line.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema

SCHEMA_PATH = Path(os.environ.get(
    "HEROKU_SCHEMA", Path(__file__).with_name("heroku-platform-api-schema.json")))

DEFAULT_PAGE = 200
MAX_PAGE = 1000
_ID_NAMESPACE = uuid.UUID("6f1f3a52-3f5e-4d8e-9a43-1b0c2f7d9e10")
_SEED_TIME = "2024-03-01T10:00:00Z"


def _now() -> str:
    import datetime
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(*parts: object) -> str:
    """Stable ids, so a seed gives the same ids every run."""
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(str(p) for p in parts)))


# --------------------------------------------------------------------------- schema

class ContractViolation(AssertionError):
    pass


class HerokuSchema:
    """Heroku's hyper-schema, made strict for checking the fake's own output.

    The published schema marks few fields `required`; the real API returns every
    documented property. So for checking what the fake sends, each resource
    definition requires all its properties and allows no others, and interagent's
    `strictProperties: true` is read as exactly that for nested objects.
    """

    _FORMATS = ["uuid", "date-time", "email", "ipv4", "date"]  # "uri" is misused (domain hostnames)

    def __init__(self, path: Path = SCHEMA_PATH):
        raw = json.loads(Path(path).read_text())
        self.raw = raw
        self.definitions = self._strictify(copy.deepcopy(raw["definitions"]))
        self._links: list[tuple[str, re.Pattern, dict]] = []
        for definition in raw["definitions"].values():
            for link in definition.get("links", []):
                self._links.append((link["method"].upper(), self._href_regex(link["href"]), link))
        self._validators: dict[int, jsonschema.Validator] = {}
        self._format_checker = jsonschema.FormatChecker(formats=self._FORMATS)

    @staticmethod
    def _strictify(definitions: dict) -> dict:
        def walk(node):
            if isinstance(node, dict):
                if node.get("strictProperties") is True and "properties" in node:
                    node.setdefault("required", sorted(node["properties"]))
                    node.setdefault("additionalProperties", False)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(definitions)
        for definition in definitions.values():
            if "links" in definition and "properties" in definition:
                definition.setdefault("required", sorted(definition["properties"]))
                definition.setdefault("additionalProperties", False)
        return definitions

    @staticmethod
    def _href_regex(href: str) -> re.Pattern:
        # Template variables are URL-encoded JSON pointers in "{(...)}"; each is one segment.
        parts = re.split(r"\{\([^)]*\)\}", href)
        return re.compile("^" + "([^/]+)".join(re.escape(p) for p in parts) + "$")

    def links_for(self, method: str, path: str) -> list[dict]:
        found = [(rx.pattern.count("([^/]+)"), link) for m, rx, link in self._links
                 if m == method.upper() and rx.match(path)]
        if not found:
            return []
        fewest = min(n for n, _ in found)  # the most literal template wins
        return [link for n, link in found if n == fewest]

    def _validator(self, subschema: dict) -> jsonschema.Validator:
        key = id(subschema)
        if key not in self._validators:
            # Relative "#/definitions/..." refs resolve inside this wrapper.
            wrapper = {**subschema, "definitions": self.definitions}
            self._validators[key] = jsonschema.Draft4Validator(
                wrapper, format_checker=self._format_checker)
        return self._validators[key]

    def _errors(self, subschema: dict, instance, *, echo_values: bool = True) -> list[str]:
        errors = sorted(self._validator(subschema).iter_errors(instance), key=lambda e: list(e.path))
        # Request bodies may hold secrets (config vars): name the place and rule, not the value.
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: "
                + (e.message if echo_values else f"fails '{e.validator}'") for e in errors[:5]]

    def check_response(self, method: str, path: str, body) -> None:
        """Raise ContractViolation unless `body` fits the targetSchema of a matching link."""
        links = self.links_for(method, path)
        if not links:
            raise ContractViolation(f"no link in Heroku's schema for {method} {path}")
        problems = []
        for link in links:
            errors = self._errors(link["targetSchema"], body)
            if not errors:
                return
            problems.extend(errors)
        raise ContractViolation(f"{method} {path} response breaks the schema: " + "; ".join(problems))

    def request_errors(self, method: str, path: str, body) -> list[str]:
        """Problems with a request body ([] when any matching link's `schema` accepts it)."""
        links = [link for link in self.links_for(method, path) if "schema" in link]
        if not links:
            return []
        problems = []
        for link in links:
            errors = self._errors(link["schema"], body, echo_values=False)
            if not errors:
                return []
            problems.extend(errors)
        return problems


_schema_lock = threading.Lock()
_schema: HerokuSchema | None = None


def heroku_schema() -> HerokuSchema:
    global _schema
    with _schema_lock:
        if _schema is None:
            _schema = HerokuSchema()
        return _schema


# --------------------------------------------------------------------------- seed data

# name, memory GB, compute, precise_dyno_units, cents/month (None = not sold alone), dedicated, private only
_DYNO_SIZES = [
    ("Eco", 0.5, 1, 0.28, None, False, False),
    ("Basic", 0.5, 1, 0.28, 700, False, False),
    ("Standard-1X", 0.5, 1, 1.0, 2500, False, False),
    ("Standard-2X", 1.0, 2, 2.0, 5000, False, False),
    ("Performance-M", 2.5, 12, 8.0, 25000, True, False),
    ("Performance-L", 14.0, 50, 16.0, 50000, True, False),
    ("Performance-L-RAM", 30.0, 24, 16.0, 50000, True, False),
    ("Performance-XL", 62.0, 50, 32.0, 75000, True, False),
    ("Performance-2XL", 126.0, 100, 64.0, 150000, True, False),
    ("Private-S", 1.0, 2, 2.0, None, True, True),
    ("Private-M", 2.5, 12, 8.0, None, True, True),
    ("Private-L", 14.0, 50, 16.0, None, True, True),
    ("Shield-S", 1.0, 2, 2.0, None, True, True),
    ("Shield-M", 2.5, 12, 8.0, None, True, True),
    ("Shield-L", 14.0, 50, 16.0, None, True, True),
]
_SINGLE_DYNO_SIZES = {"eco", "basic"}


def _dyno_sizes() -> list[dict]:
    cedar = {"id": _uid("generation", "cedar"), "name": "cedar"}
    return [{
        "architecture": "amd64",
        "compute": compute,
        "cost": None if cents is None else {"cents": cents, "unit": "month"},
        "dedicated": dedicated,
        "precise_dyno_units": units,
        "generation": cedar,
        "id": _uid("dyno-size", name),
        "memory": memory,
        "name": name,
        "private_space_only": private,
    } for name, memory, compute, units, cents, dedicated, private in _DYNO_SIZES]


def _named(value, kind: str) -> dict | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"id": _uid(kind, value), "name": value}
    return {"id": value.get("id") or _uid(kind, value["name"]), "name": value["name"]}


def _build_app_state(seed: dict, dyno_sizes: list[dict]) -> dict:
    name = seed["name"]
    app_id = seed.get("id") or _uid("app", name)
    ref = {"id": app_id, "name": name}
    created = seed.get("created_at", _SEED_TIME)
    space = seed.get("space")
    if space is not None:
        space = {"name": space} if isinstance(space, str) else dict(space)
        space = {"id": space.get("id") or _uid("space", space["name"]), "name": space["name"],
                 "shield": bool(space.get("shield", False))}
    stack = _named(seed.get("stack", "heroku-24"), "stack")
    team = _named(seed.get("team"), "team")
    sizes = {s["name"].lower(): s for s in dyno_sizes}
    releases = _build_releases(seed, ref, created)
    current = max((r for r in releases if r["current"]), key=lambda r: r["version"], default=None)
    app = {
        "acm": bool(seed.get("acm", False)),
        "archived_at": None,
        "buildpack_provided_description": seed.get("buildpack_provided_description"),
        "build_stack": _named(seed.get("build_stack"), "stack") or dict(stack),
        "created_at": created,
        "generation": {"id": _uid("generation", "cedar"), "name": "cedar"},
        "git_url": f"https://git.heroku.com/{name}.git",
        "id": app_id,
        "internal_routing": None if space is None else bool(seed.get("internal_routing", False)),
        "maintenance": bool(seed.get("maintenance", False)),
        "name": name,
        "owner": {"email": seed.get("owner_email", "owner@acme.test"), "id": _uid("account", "owner")},
        "organization": team,
        "team": team,
        "region": _named(seed.get("region", "us"), "region"),
        "released_at": current["created_at"] if current else None,
        "repo_size": None,
        "slug_size": seed.get("slug_size"),
        "space": space,
        "stack": stack,
        "updated_at": seed.get("updated_at", created),
        "web_url": seed.get("web_url", f"https://{name}-{app_id.replace('-', '')[:12]}.herokuapp.com/"),
    }
    addons, attachments = [], []
    for item in seed.get("addons", []):
        plan = item["plan"]
        service = item.get("service") or plan.split(":", 1)[0]
        addon_id = item.get("id") or _uid("addon", name, item["name"])
        cents = item.get("monthly_cents")
        addons.append({
            "actions": [],
            "addon_service": {"id": _uid("addon-service", service), "name": service},
            "billing_entity": {"id": app_id, "name": name, "type": "app"},
            "app": dict(ref),
            "billed_price": None if cents is None else {"cents": cents, "contract": False, "unit": "month"},
            "config_vars": list(item.get("config_vars", [])),
            "created_at": item.get("created_at", created),
            "id": addon_id,
            "name": item["name"],
            "plan": {"id": _uid("plan", plan), "name": plan},
            "provider_id": item.get("provider_id", _uid("provider", addon_id)[:8]),
            "provision_message": item.get("provision_message", ""),
            "state": item.get("state", "provisioned"),
            "updated_at": item.get("updated_at", created),
            "web_url": item.get("web_url"),
        })
        for attachment_name in item.get("attachments", []):
            attachments.append({
                "addon": {"id": addon_id, "name": item["name"], "app": dict(ref)},
                "app": dict(ref),
                "created_at": created,
                "id": _uid("attachment", name, item["name"], attachment_name),
                "name": attachment_name,
                "namespace": None,
                "updated_at": created,
                "web_url": item.get("web_url"),
                "log_input_url": None,
            })
    formation = []
    for item in seed.get("formation", []):
        size = sizes[item.get("size", "Standard-1X").lower()]
        formation.append({
            "app": dict(ref),
            "command": item.get("command", ""),
            "created_at": created,
            "dyno_size": {"id": size["id"], "name": size["name"]},
            "id": item.get("id") or _uid("formation", name, item["type"]),
            "quantity": int(item.get("quantity", 1)),
            "size": size["name"],
            "type": item["type"],
            "updated_at": created,
        })
    domains = [{
        "acm_status": item.get("acm_status"),
        "acm_status_reason": item.get("acm_status_reason"),
        "app": dict(ref),
        "cname": item.get("cname"),
        "created_at": created,
        "hostname": item["hostname"],
        "id": item.get("id") or _uid("domain", name, item["hostname"]),
        "kind": item.get("kind", "custom"),
        "updated_at": created,
        "status": item.get("status", "succeeded"),
        "sni_endpoint": None,
    } for item in seed.get("domains", [])]
    buildpacks = []
    for ordinal, item in enumerate(seed.get("buildpacks", [])):
        if isinstance(item, str):
            item = {"url": item, "name": item}
        buildpacks.append({"ordinal": ordinal, "buildpack": {"url": item["url"], "name": item.get("name", item["url"])}})
    return {
        "app": app,
        "config_vars": dict(seed.get("config_vars", {})),
        "addons": addons,
        "attachments": attachments,
        "formation": formation,
        "domains": domains,
        "buildpacks": buildpacks,
        "releases": releases,
    }


def _build_releases(seed: dict, ref: dict, created: str) -> list[dict]:
    items = seed.get("releases") or [{"version": 1, "description": "Initial release"}]
    top = max(int(r["version"]) for r in items)
    return [_release(ref, int(item["version"]), item.get("description", f"Deploy v{item['version']}"),
                     status=item.get("status", "succeeded"), current=int(item["version"]) == top,
                     at=item.get("created_at", created)) for item in items]


def _release(ref: dict, version: int, description: str, *, status="succeeded", current=True, at=None) -> dict:
    at = at or _now()
    slug_id = _uid("slug", ref["name"], version)
    return {
        "addon_plan_names": [],
        "artifacts": [{"type": "slug", "id": slug_id}],
        "app": dict(ref),
        "created_at": at,
        "description": description,
        "id": _uid("release", ref["name"], version),
        "updated_at": at,
        "slug": {"id": slug_id},
        "status": status,
        "user": {"id": _uid("account", "owner"), "email": "owner@acme.test"},
        "version": version,
        "current": current,
        "output_stream_url": None,
        "eligible_for_rollback": not current,
    }


def load_seed_data(path: str | Path, config_vars: dict[str, dict[str, str]] | None = None) -> dict:
    """Read a seed file and apply per-app config var overrides (no server needed)."""
    data = json.loads(Path(path).read_text())
    for app in data.get("apps", []):
        app.setdefault("config_vars", {}).update((config_vars or {}).get(app["name"], {}))
    return data


# --------------------------------------------------------------------------- HTTP

class _Reply(Exception):
    """Short-circuit a handler with an error response."""

    def __init__(self, status: int, error_id: str, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"id": error_id, "message": message, **extra}


_DEFAULT_ERRORS = {
    400: ("bad_request", "Request invalid, validate usage and try again."),
    401: ("unauthorized", "Invalid credentials provided."),
    403: ("forbidden", "You do not have access to this app."),
    404: ("not_found", "Couldn't find that app."),
    422: ("invalid_params", "Invalid parameters."),
    429: ("rate_limit", "Your account reached the API rate limit. Please wait a few minutes before making new requests."),
    500: ("internal_server_error", "Internal server error."),
    502: ("bad_gateway", "Bad gateway."),
    503: ("unavailable", "The API is temporarily unavailable. Please try again later."),
}

# Fields a list may be ranged on, per collection; the first one is the default order.
_RANGE_FIELDS = {
    "addons": ("id", "name"),
    "attachments": ("id", "name"),
    "formation": ("id", "type"),
    "domains": ("id", "hostname"),
    "releases": ("id", "version"),
    "dyno-sizes": ("id", "name"),
}
_RANGE_RE = re.compile(r"^\s*(?P<field>[a-z_]+)\s+(?P<first>[^.;,]*)\.\.(?P<last>[^;,]*?)\s*(?:;(?P<params>.*))?$")


class _Fault:
    def __init__(self, method, pattern, status, times, retry_after, body):
        self.method, self.pattern, self.status = method.upper(), re.compile(pattern), status
        self.times, self.retry_after, self.body = times, retry_after, body


class FakeHeroku:
    def __init__(self, token: str = "fake-heroku-token", *, host: str = "127.0.0.1", port: int = 0,
                 max_page_size: int = MAX_PAGE, state_file: str | Path | None = None):
        self.token = token
        self.host, self.port = host, port
        self.max_page_size = max_page_size
        self.state_file = Path(state_file) if state_file else None
        self.schema = heroku_schema()
        self.apps: dict[str, dict] = {}
        self.dyno_sizes = _dyno_sizes()
        self.requests: list[dict] = []
        self.violations: list[str] = []
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> str:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-heroku", daemon=True)
        self._thread.start()
        self._save_state()
        return self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeHeroku":
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is None and self.violations:
            raise ContractViolation("fake Heroku sent responses that break the schema: " + " | ".join(self.violations))

    # -- state
    def seed(self, data: dict) -> None:
        with self._lock:
            if "dyno_sizes" in data:
                self.dyno_sizes = data["dyno_sizes"]
            for app_seed in data.get("apps", []):
                self.apps[app_seed["name"]] = _build_app_state(app_seed, self.dyno_sizes)
            self._save_state()

    def load_seed(self, path: str | Path, config_vars: dict[str, dict[str, str]] | None = None) -> None:
        self.seed(load_seed_data(path, config_vars))

    def set_config_vars(self, app: str, values: dict[str, str]) -> None:
        with self._lock:
            self.apps[app]["config_vars"].update(values)
            self._save_state()

    def fail_next(self, method: str, path_regex: str, status: int, times: int = 1,
                  retry_after: float | str | None = None, body: dict | None = None) -> None:
        with self._lock:
            self._faults.append(_Fault(method, path_regex, status, times, retry_after, body))

    def requests_to(self, method: str, path_regex: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == method.upper() and re.search(path_regex, r["path"])]

    def _save_state(self) -> None:
        if not self.state_file:
            return
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(json.dumps({"apps": self.apps}, indent=2, sort_keys=True))
        os.replace(tmp, self.state_file)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method == method and fault.pattern.search(path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- lookups
    def _app(self, identity: str) -> dict:
        state = self.apps.get(identity)
        if state is None:
            state = next((s for s in self.apps.values() if s["app"]["id"] == identity), None)
        if state is None:
            raise _Reply(404, "not_found", "Couldn't find that app.", resource="app")
        return state

    @staticmethod
    def _find(items: list[dict], identity: str, key: str, resource: str, message: str) -> dict:
        for item in items:
            if item.get("id") == identity or str(item.get(key)) == identity:
                return item
        raise _Reply(404, "not_found", message, resource=resource)

    def _dyno_size(self, ident: dict) -> dict:
        wanted = ident.get("id") or (ident.get("name") or "")
        for size in self.dyno_sizes:
            if size["id"] == wanted or size["name"].lower() == str(wanted).lower():
                return size
        raise _Reply(422, "invalid_params", f"Invalid dyno size: {wanted}.")

    # -- routing
    def _route(self, method: str, path: str, body) -> tuple[object, str | None]:
        """(response body, collection name when it is a rangeable list)."""
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if segments == ["dyno-sizes"] and method == "GET":
            return self.dyno_sizes, "dyno-sizes"
        if len(segments) == 2 and segments[0] == "dyno-sizes" and method == "GET":
            # Dyno size names match case-insensitively ("standard-2x" finds "Standard-2X").
            wanted = segments[1].lower()
            for size in self.dyno_sizes:
                if size["id"] == segments[1] or size["name"].lower() == wanted:
                    return size, None
            raise _Reply(404, "not_found", "Couldn't find that dyno size.", resource="dyno_size")
        if len(segments) < 2 or segments[0] != "apps":
            raise _Reply(404, "not_found", "The requested API endpoint was not found.")
        state = self._app(segments[1])
        rest = segments[2:]
        with self._lock:
            if not rest:
                if method == "GET":
                    return state["app"], None
                if method == "PATCH":
                    return self._update_app(state, body), None
            elif rest == ["config-vars"]:
                if method == "GET":
                    return dict(state["config_vars"]), None
                if method == "PATCH":
                    return self._update_config(state, body), None
            elif rest[0] == "addons" and method == "GET":
                if len(rest) == 1:
                    return state["addons"], "addons"
                if len(rest) == 2:
                    return self._find(state["addons"], rest[1], "name", "addon", "Couldn't find that add-on."), None
            elif rest == ["addon-attachments"] and method == "GET":
                return state["attachments"], "attachments"
            elif rest[0] == "formation":
                if len(rest) == 1 and method == "GET":
                    return state["formation"], "formation"
                if len(rest) == 1 and method == "PATCH":
                    return self._update_formation(state, body["updates"]), None
                if len(rest) == 2:
                    item = self._find(state["formation"], rest[1], "type", "formation",
                                      "Couldn't find that process type.")
                    if method == "GET":
                        return item, None
                    if method == "PATCH":
                        return self._update_formation(state, [{**body, "type": item["type"]}])[0], None
            elif rest[0] == "domains" and method == "GET":
                if len(rest) == 1:
                    return state["domains"], "domains"
                if len(rest) == 2:
                    return self._find(state["domains"], rest[1], "hostname", "domain", "Couldn't find that domain."), None
            elif rest == ["buildpack-installations"] and method == "GET":
                return state["buildpacks"], "buildpacks"
            elif rest[0] == "releases" and method == "GET":
                if len(rest) == 1:
                    return state["releases"], "releases"
                if len(rest) == 2:
                    return self._find(state["releases"], rest[1], "version", "release", "Couldn't find that release."), None
        raise _Reply(404, "not_found", "The requested API endpoint was not found.")

    # -- changes
    def _update_app(self, state: dict, body: dict) -> dict:
        app = state["app"]
        if "name" in body and body["name"] != app["name"]:
            if body["name"] in self.apps:
                raise _Reply(422, "invalid_params", "Name is already taken")
            old = app["name"]
            app["name"] = body["name"]
            app["git_url"] = f"https://git.heroku.com/{body['name']}.git"
            self.apps[body["name"]] = self.apps.pop(old)
        if "maintenance" in body:
            app["maintenance"] = body["maintenance"]
        if "build_stack" in body:
            app["build_stack"] = _named(body["build_stack"], "stack")
        app["updated_at"] = _now()
        self._save_state()
        return app

    def _update_config(self, state: dict, body: dict) -> dict:
        config = state["config_vars"]
        changed = sorted(body)
        for key, value in body.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        if changed:
            verb = "Set" if any(body[k] is not None for k in changed) else "Remove"
            self._add_release(state, f"{verb} {', '.join(changed)} config vars")
        self._save_state()
        return dict(config)

    def _add_release(self, state: dict, description: str) -> None:
        for release in state["releases"]:
            release["current"] = False
            release["eligible_for_rollback"] = True
        version = max((r["version"] for r in state["releases"]), default=0) + 1
        ref = {"id": state["app"]["id"], "name": state["app"]["name"]}
        state["releases"].append(_release(ref, version, description))
        state["app"]["released_at"] = state["releases"][-1]["created_at"]

    def _update_formation(self, state: dict, updates: list[dict]) -> list[dict]:
        # Check every update before changing anything: all or nothing.
        planned = []
        for update in updates:
            item = self._find(state["formation"], update["type"], "type", "formation",
                              f"Couldn't find that process type ({update['type']}).")
            size = self._dyno_size(update["dyno_size"]) if "dyno_size" in update else \
                self._dyno_size({"id": item["dyno_size"]["id"]})
            quantity = update.get("quantity", item["quantity"])
            if quantity < 0:
                raise _Reply(422, "invalid_params", "Quantity must be zero or more.")
            if size["name"].lower() in _SINGLE_DYNO_SIZES and quantity > 1:
                raise _Reply(422, "invalid_params",
                             f"Cannot update to more than 1 {size['name']} size dynos per process type.")
            planned.append((item, size, quantity))
        now = _now()
        for item, size, quantity in planned:
            item["quantity"] = quantity
            item["dyno_size"] = {"id": size["id"], "name": size["name"]}
            item["size"] = size["name"]
            item["updated_at"] = now
        self._save_state()
        return [item for item, _, _ in planned]

    # -- ranges
    def _page(self, items: list, collection: str, range_header: str | None) -> tuple[list, dict, int]:
        if collection == "buildpacks":  # an ordered list, not paginated
            return sorted(items, key=lambda b: b["ordinal"]), {}, 200
        fields = _RANGE_FIELDS[collection]
        field, first, last, size, order = fields[0], "", "", DEFAULT_PAGE, "asc"
        if range_header:
            m = _RANGE_RE.match(range_header)
            if not m or m.group("field") not in fields:
                raise _Reply(416, "requested_range_not_satisfiable",
                             f"Invalid Range header; accepted fields: {', '.join(fields)}.")
            field, first, last = m.group("field"), m.group("first").strip(), m.group("last").strip()
            for param in filter(None, (p.strip() for p in re.split(r"[;,]", m.group("params") or ""))):
                key, _, value = param.partition("=")
                if key == "max" and value.isdigit() and 1 <= int(value) <= MAX_PAGE:
                    size = int(value)
                elif key == "order" and value in ("asc", "desc"):
                    order = value
                else:
                    raise _Reply(416, "requested_range_not_satisfiable", f"Invalid Range parameter {param!r}.")
        size = min(size, self.max_page_size)

        def value_of(item):
            return item[field]

        def parse(text):
            return int(text) if field == "version" else text

        ordered = sorted(items, key=value_of, reverse=(order == "desc"))
        if first:
            exclusive = first.startswith("]")
            bound = parse(first.lstrip("]"))
            if order == "asc":
                ordered = [i for i in ordered if value_of(i) > bound or (not exclusive and value_of(i) == bound)]
            else:
                ordered = [i for i in ordered if value_of(i) < bound or (not exclusive and value_of(i) == bound)]
        if last:
            bound = parse(last)
            ordered = [i for i in ordered if (value_of(i) <= bound if order == "asc" else value_of(i) >= bound)]
        page = ordered[:size]
        headers = {"Accept-Ranges": ", ".join(fields)}
        if page:
            headers["Content-Range"] = f"{field} {value_of(page[0])}..{value_of(page[-1])}; max={size}"
        if len(ordered) > size:
            suffix = f", order={order}" if order == "desc" else ""
            headers["Next-Range"] = f"{field} ]{value_of(page[-1])}..; max={size}{suffix}"
            return page, headers, 206
        return page, headers, 200


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHeroku
    protocol_version = "HTTP/1.1"
    server_version = "FakeHeroku/1.0"
    # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms each.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet: tests read .requests instead
        pass

    def do_GET(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def _send(self, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", str(uuid.uuid4()))
        self.send_header("RateLimit-Remaining", "4500")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        fake = self.fake
        method = self.command.upper()
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        record = {
            "method": method,
            "path": path,
            "headers": {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
            "authorized": self.headers.get("Authorization") == f"Bearer {fake.token}",
            "body": None,
        }
        with fake._lock:
            fake.requests.append(record)
        fault = fake._take_fault(method, path)
        if fault is not None:
            if fault.status == 0:
                self.close_connection = True
                return
            error_id, message = _DEFAULT_ERRORS.get(fault.status, ("error", f"HTTP {fault.status}"))
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            self._send(fault.status, fault.body or {"id": error_id, "message": message}, extra)
            return
        try:
            accept = self.headers.get("Accept", "")
            if "application/vnd.heroku+json" not in accept or not re.search(r"version=3(\b|\.)", accept):
                raise _Reply(406, "not_acceptable",
                             "Please set Accept: application/vnd.heroku+json; version=3 header and try again.")
            if not record["authorized"]:
                raise _Reply(401, "unauthorized", "Invalid credentials provided.")
            body = None
            if method in ("PATCH", "POST", "PUT"):
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise _Reply(400, "bad_request", "Invalid JSON in the request body.")
                record["body"] = body
                problems = fake.schema.request_errors(method, path, body)
                if problems:
                    raise _Reply(422, "invalid_params", "Invalid params: " + "; ".join(problems))
            result, collection = fake._route(method, path, body)
            headers, status = {}, 200
            if collection is not None:
                result, headers, status = fake._page(result, collection, self.headers.get("Range"))
            result = copy.deepcopy(result)
            try:
                fake.schema.check_response(method, path, result)
            except ContractViolation as violation:
                with fake._lock:
                    fake.violations.append(str(violation))
                self._send(500, {"id": "fake_contract_violation", "message": str(violation)})
                return
            self._send(status, result, headers)
        except _Reply as reply:
            self._send(reply.status, reply.body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.fakes.heroku_api", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=os.environ.get("FAKE_HEROKU_TOKEN", "fake-heroku-token"))
    parser.add_argument("--seed", action="append", default=[], help="seed JSON file (repeatable)")
    parser.add_argument("--state-file")
    parser.add_argument("--config-vars-file", help="JSON {app: {KEY: value}} overriding seeded config vars")
    parser.add_argument("--max-page-size", type=int, default=MAX_PAGE)
    args = parser.parse_args(argv)
    overrides = json.loads(Path(args.config_vars_file).read_text()) if args.config_vars_file else None
    fake = FakeHeroku(args.token, host=args.host, port=args.port, max_page_size=args.max_page_size,
                      state_file=args.state_file)
    for seed in args.seed:
        fake.load_seed(seed, overrides)
    url = fake.start()
    print(f"FAKE_HEROKU_URL={url}", flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    fake.stop()
    if fake.violations:
        print("schema violations: " + " | ".join(fake.violations), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
