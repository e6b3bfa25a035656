"""FlyClient: every call herokufly makes to Fly goes through flyctl here.

Every call follows flyctl v0.4.87's source; docs/flyctl-calls.md lists each with its file.
Rules kept in this one place:
- flyctl never has a terminal here, so each call passes the flags that skip its
  prompts (a prompt would fail with `prompt: non interactive`);
- the token reaches flyctl only through the FLY_API_TOKEN environment
  variable, never argv (argv shows in process lists); the migration needs an
  org token, deploys an app-scoped deploy token (TOKEN_HINT says how to make one);
- secret values reach flyctl only on stdin;
- `--json` is used wherever flyctl offers it; human tables are never scraped
  (the only text parsed is the connection string flyctl prints once, when it
  has no JSON form);
- a non-zero exit becomes a one-line FlyError with flyctl's trimmed stderr.
Only commands and flags listed in /work/shared/contracts/flyctl-commands.json
are used (plus `version`, to check flyctl is new enough); a unit test checks it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

from herokufly.base import child_env, masking, pins
from herokufly.base.errors import FlyError

# The pinned release (herokufly/data/pins.json): every call here was checked against its source.
MIN_FLYCTL_VERSION = pins.flyctl_version_tuple()
# The migration creates apps, Postgres and Redis in an organization: it needs an org token.
# `fly-deploy.yml` only deploys one existing app: a deploy token scoped to that app is enough.
ORG_TOKEN_COMMAND = "fly tokens create org --org <org> --expiry 720h"
DEPLOY_TOKEN_COMMAND = "fly tokens create deploy --app <app> --expiry 8760h"
TOKEN_HINT = (f"Set FLY_API_TOKEN to an organization token: `{ORG_TOKEN_COMMAND}` "
              "(a deploy token is scoped to one existing app and cannot create apps, Postgres or Redis)")
# internal/command/mpg/mpg.go validateMPGTokenCompatibility; fly-go tokens/tokens.go Parse.
MACAROON_PREFIXES = ("fm1r", "fm1a", "fm2")
# bufio.MaxScanTokenSize: a longer line ends flyctl's `secrets import` parse silently.
IMPORT_LINE_LIMIT = 64 * 1024
_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.I)
_URL = re.compile(r"(?:postgres(?:ql)?|rediss?)://\S+")


@dataclass
class FlyResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def trimmed(text: str, limit: int = 300) -> str:
    """The last meaningful lines of flyctl's output, redacted, on one line."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    joined = " | ".join(lines[-3:])
    # flyctl prints connection strings (mpg/postgres create, attach, redis create): never repeat
    # a password, registered or not
    joined = _CREDENTIALS.sub(r"\1***@", masking.redact(joined))
    return joined if len(joined) <= limit else "..." + joined[-limit:]


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def token_kind(token: str | None) -> str:
    """"macaroon" when flyctl would find a macaroon in it (fly-go tokens.Parse), else "user".

    `fly auth token` prints a user (OAuth, `fo1_...`) token; MPG commands refuse those
    before any request (internal/command/mpg/mpg.go requireMacaroonToken).
    """
    text = (token or "").strip()
    for scheme in ("FlyV1 ", "Bearer "):
        if text.startswith(scheme):
            text = text[len(scheme):]
    parts = [t.strip() for t in text.split(",") if t.strip()]
    return "macaroon" if any(p.split("_", 1)[0] in MACAROON_PREFIXES for p in parts) else "user"


def _classify(args: list[str], stderr: str) -> FlyError:
    """Turn flyctl's error text into one line with what to do."""
    what = "flyctl " + " ".join(a for a in args if not a.startswith("-"))[:80]
    detail = trimmed(stderr)
    low = (stderr or "").lower()
    if "mpg commands require updated tokens" in low:
        return FlyError(f"Fly refused the token for {what}: it needs a macaroon token and FLY_API_TOKEN "
                        f"holds a user token (from `fly auth token`)", hint=TOKEN_HINT)
    if "not authorized" in low or "unauthorized" in low or "permission denied" in low \
            or "insufficient permissions" in low:
        return FlyError(f"Fly refused the token for {what}: it is not an organization token "
                        f"(a deploy token only reaches its own app) ({detail})", hint=TOKEN_HINT)
    if "no access token" in low or "must be authenticated" in low:
        return FlyError(f"Fly refused the token ({what}: {detail})", hint=TOKEN_HINT)
    if "prompt: non interactive" in low or "when not running interactively" in low:
        return FlyError(f"{what} asked a question (flyctl cannot prompt without a terminal): {detail}",
                        hint="This is a herokufly bug: a flag is missing; please report it")
    if "could not find organization" in low or ("organization" in low and "not found" in low):
        return FlyError(f"{what} failed: {detail}",
                        hint="Check --org: it must be an organization the token belongs to "
                             "(`fly orgs list`); an org token covers one organization")
    if "name has already been taken" in low:
        return FlyError(f"{what} failed: the Fly app name is already taken by another organization "
                        f"or app", hint="Choose another --fly-app name")
    if "unknown flag" in low or "unknown command" in low or "unknown shorthand" in low:
        return FlyError(f"{what} failed: {detail}",
                        hint="Your flyctl may be too old; upgrade it with `fly version upgrade`")
    return FlyError(f"{what} failed: {detail}")


@dataclass
class FlyClient:
    flyctl: str | None
    token: str | None = field(default=None, repr=False)
    cwd: str | None = None
    timeout: float = 1800.0
    calls: list[list[str]] = field(default_factory=list)  # argv of every call, for tests/reports

    @classmethod
    def from_settings(cls, settings, **kw) -> "FlyClient":
        return cls(flyctl=settings.flyctl, token=settings.fly_api_token, **kw)

    # -- running flyctl ---------------------------------------------------------

    def _binary(self) -> str:
        path = self.flyctl
        if path and os.sep not in path:
            path = shutil.which(path)
        if not path or not os.path.exists(path):
            raise FlyError(
                "flyctl was not found",
                hint="Install it (https://fly.io/docs/flyctl/install/) or set FLYCTL to its path",
            )
        return path

    def _env(self) -> dict[str, str]:
        env = child_env.for_flyctl(None)  # allow-listed: never HEROKU_API_KEY, GITHUB_TOKEN, INPUT_*
        env.pop("FLY_ACCESS_TOKEN", None)
        env.pop("FLY_API_TOKEN", None)
        if self.token:
            masking.register(self.token)
            env["FLY_API_TOKEN"] = self.token
        env.setdefault("NO_COLOR", "1")
        return env

    def run(self, args: list[str], *, stdin: str | None = None, check: bool = True,
            timeout: float | None = None, needs_token: bool = True) -> FlyResult:
        if needs_token and not self.token:
            raise FlyError("No Fly token is set", hint=TOKEN_HINT)
        binary = self._binary()
        self.calls.append(list(args))
        try:
            proc = subprocess.run(
                [binary, *args], input=stdin if stdin is not None else "", capture_output=True,
                text=True, env=self._env(), cwd=self.cwd, timeout=timeout or self.timeout,
            )
        except subprocess.TimeoutExpired:
            raise FlyError(f"flyctl {' '.join(args[:2])} did not finish within {int(timeout or self.timeout)}s",
                           hint="Check https://status.flyio.net and re-run the same command") from None
        except OSError as exc:
            raise FlyError(f"could not run flyctl at {binary}: {exc.strerror}",
                           hint="Set FLYCTL to a working flyctl binary") from None
        result = FlyResult(list(args), proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise _classify(args, proc.stderr or proc.stdout)
        return result

    def json(self, args: list[str], **kw):
        """Run with --json and parse stdout; flyctl prints plain text when a list is empty."""
        result = self.run([*args, "--json"], **kw)
        text = result.stdout.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            start = min([i for i in (text.find("["), text.find("{")) if i >= 0], default=-1)
            if start >= 0:
                try:
                    return json.loads(text[start:])
                except json.JSONDecodeError:
                    pass
            if text.lower().startswith("no "):
                return []
            raise FlyError(f"flyctl {' '.join(args[:2])} --json printed something that is not JSON",
                           hint="Upgrade flyctl") from None

    # -- version ----------------------------------------------------------------

    def check_version(self) -> str:
        """The flyctl version; FlyError when it is missing or too old."""
        result = self.run(["version", "--json"], check=False, needs_token=False)
        version = None
        if result.returncode == 0:
            try:
                version = parse_version(str(json.loads(result.stdout).get("Version", "")))
            except (json.JSONDecodeError, AttributeError):
                version = parse_version(result.stdout)
        if version is None:
            raise FlyError("could not read the flyctl version",
                           hint="Install a current flyctl or set FLYCTL to it")
        if version < MIN_FLYCTL_VERSION:
            need = ".".join(map(str, MIN_FLYCTL_VERSION))
            have = ".".join(map(str, version))
            raise FlyError(f"flyctl {have} is too old (herokufly needs {need} or newer)",
                           hint="Upgrade it with `fly version upgrade`")
        return ".".join(map(str, version))

    # -- apps ---------------------------------------------------------------------

    def apps(self, org: str | None = None) -> list[dict]:
        args = ["apps", "list"] + (["--org", org] if org else [])
        return self.json(args) or []

    def app(self, name: str) -> dict | None:
        """The app as `apps list --json` shows it, or None when it is not ours."""
        return next((a for a in self.apps() if a.get("Name") == name), None)

    def create_app(self, name: str, org: str) -> dict:
        return self.json(["apps", "create", name, "--org", org]) or {}

    def status(self, app: str) -> dict:
        return self.json(["status", "--app", app]) or {}

    # -- secrets ------------------------------------------------------------------

    def secrets(self, app: str) -> dict[str, dict]:
        """name -> {"digest", "status"}; values are never readable."""
        rows = self.json(["secrets", "list", "--app", app]) or []
        return {row["name"]: row for row in rows}

    def import_secrets(self, app: str, values: dict[str, str], *, stage: bool = True) -> list[str]:
        """Set secrets with values on stdin only; returns the names set.

        Values that flyctl's import grammar cannot carry exactly (e.g. a CR,
        or a line ending in three quotes) go one by one through
        `secrets set NAME=-`, which reads the raw value from stdin.
        """
        importable, one_by_one = {}, {}
        for name, value in values.items():
            masking.register_config(name, value)  # the same rules as when Heroku's value was read
            (importable if encode_import_line(name, value) is not None else one_by_one)[name] = value
        flags = ["--app", app] + (["--stage"] if stage else [])
        if importable:
            body = "".join(encode_import_line(n, v) for n, v in importable.items())
            self.run(["secrets", "import", *flags], stdin=body)
        for name, value in one_by_one.items():
            if len(value.encode()) > 64 * 1024:
                raise FlyError(f"the value of {name} is larger than 64 KiB, which flyctl cannot read from stdin")
            self.run(["secrets", "set", *flags, f"{name}=-"], stdin=value)
        return list(values)

    def unset_secrets(self, app: str, names: list[str], *, stage: bool = True) -> None:
        if names:
            self.run(["secrets", "unset", "--app", app, *(["--stage"] if stage else []), *names])

    # -- Postgres -----------------------------------------------------------------

    def mpg_clusters(self, org: str) -> list[dict]:
        return self.json(["mpg", "list", "--org", org]) or []

    def mpg_create(self, name: str, org: str, region: str, *, plan: str, volume_gb: int,
                   pg_major: int) -> None:
        """internal/command/mpg/create.go: every value is a flag, so nothing is prompted.

        Without --region flyctl prompts (fails without a terminal); an unknown --plan
        silently becomes "basic"; --pg-major-version accepts only 16 and 17.
        """
        result = self.run(["mpg", "create", "--name", name, "--org", org, "--region", region,
                           "--plan", plan, "--volume-size", str(int(volume_gb)),
                           "--pg-major-version", str(int(pg_major))])
        _connection_string(result.stdout)  # v2/run_create.go prints it: registered as a secret

    def mpg_status(self, cluster_id: str) -> dict:
        status = self.json(["mpg", "status", cluster_id]) or {}
        creds = status.get("credentials") or {}
        for key in ("password", "pgbouncer_uri"):
            masking.register(creds.get(key))
        return status

    def mpg_attach(self, cluster_id: str, app: str, variable: str = "DATABASE_URL") -> str | None:
        result = self.run(["mpg", "attach", cluster_id, "--app", app, "--variable-name", variable])
        return _connection_string(result.stdout)

    def postgres_create(self, name: str, org: str, region: str, *, vm_size: str = "shared-cpu-1x",
                        volume_gb: int = 10, cluster_size: int = 1) -> str | None:
        """internal/command/postgres/create.go: VM size, cluster size and volume size given,
        so the "Select configuration" and size prompts never run."""
        result = self.run(["postgres", "create", "--name", name, "--org", org, "--region", region,
                           "--vm-size", vm_size, "--initial-cluster-size", str(int(cluster_size)),
                           "--volume-size", str(int(volume_gb))])
        return _connection_string(result.stdout)

    def postgres_attach(self, pg_app: str, app: str, variable: str = "DATABASE_URL") -> str | None:
        result = self.run(["postgres", "attach", pg_app, "--app", app, "--variable-name", variable, "--yes"])
        return _connection_string(result.stdout)

    def redis_create(self, name: str, org: str, region: str, plan: str | None) -> str | None:
        """internal/command/redis/create.go. Each prompt there has its flag here: name,
        region, replicas (--no-replicas), eviction (--disable-eviction), auto-upgrade
        (asked for fixed plans unless the flag is *specified*, hence `=false`) and ProdPack
        (same). Without --plan the database is pay-as-you-go; `plan` is the plan's
        display name or id as `fly redis plans` shows it."""
        result = self.run(["redis", "create", "--name", name, "--org", org, "--region", region,
                           *(["--plan", plan] if plan else []), "--no-replicas", "--disable-eviction",
                           "--enable-auto-upgrade=false", "--enable-prodpack=false"])
        return _connection_string(result.stdout)

    def redis_status(self, name: str) -> str | None:
        """The Redis URL from `fly redis status` (internal/command/redis/status.go prints it
        in the "Private URL" column; there is no --json)."""
        result = self.run(["redis", "status", name])
        return _connection_string(result.stdout)

    def check_org_token(self, org: str) -> None:
        """One cheap call that needs an org-scoped macaroon token: `mpg list --org`.

        A user token (`fly auth token`) is refused by flyctl itself, a deploy token by
        the API; either way the FlyError names the token to create. Run it before
        anything is created so a wrong token never leaves half a migration behind."""
        self.json(["mpg", "list", "--org", org])

    # -- network, certificates, deploy, scale -------------------------------------

    def ips(self, app: str) -> list[dict]:
        return self.json(["ips", "list", "--app", app]) or []

    def allocate_ipv6(self, app: str) -> None:
        self.run(["ips", "allocate-v6", "--app", app])

    def allocate_shared_ipv4(self, app: str) -> None:
        self.run(["ips", "allocate-v4", "--shared", "--app", app, "--yes"])

    def certs(self, app: str) -> list[dict]:
        return self.json(["certs", "list", "--app", app]) or []

    def add_cert(self, app: str, hostname: str) -> dict:
        return self.json(["certs", "add", hostname, "--app", app]) or {}

    def check_cert(self, app: str, hostname: str) -> dict:
        return self.json(["certs", "check", hostname, "--app", app]) or {}

    def deploy(self, app: str, config: str, workdir: str, *, timeout: float | None = None) -> FlyResult:
        return self.run(["deploy", workdir, "--app", app, "--config", config, "--remote-only", "--yes"],
                        timeout=timeout)


    @contextlib.contextmanager
    def proxy(self, app: str, remote_host: str, remote_port: int, *, wait: float = 60.0):
        """`flyctl proxy` to a Fly-private host; yields the local port, stops the proxy after."""
        if not self.token:
            raise FlyError("No Fly token is set", hint=TOKEN_HINT)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            local = probe.getsockname()[1]
        args = ["proxy", f"{local}:{remote_port}", remote_host, "--app", app, "--bind-addr", "127.0.0.1",
                "--quiet"]
        self.calls.append(list(args))
        proc = subprocess.Popen([self._binary(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=self._env(), cwd=self.cwd)
        try:
            deadline = time.monotonic() + wait
            while True:
                if proc.poll() is not None:
                    raise _classify(args, proc.stderr.read() if proc.stderr else "")
                try:
                    socket.create_connection(("127.0.0.1", local), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise FlyError(f"flyctl proxy to {remote_host} did not open within {int(wait)}s",
                                       hint="Check that WireGuard (UDP 51820) is allowed from here") from None
                    time.sleep(0.2)
            yield local
        finally:
            _stop(proc)


def _connection_string(text: str) -> str | None:
    """The URL flyctl prints once (attach/create have no --json); registered as secret."""
    match = _URL.search(text or "")
    if not match:
        return None
    url = match.group(0).rstrip(".,;")
    masking.register(url)
    return url


# -- `fly secrets import` stdin grammar -------------------------------------------

def parse_import(text: str) -> dict[str, str]:
    """What flyctl v0.4.87 reads from `secrets import` stdin (internal/command/secrets/parser.go).

    Line by line (bufio.Scanner: split on LF, one trailing CR dropped). Outside a
    multi-line value: lines starting with `#` and blank lines are skipped; the key
    is trimmed, the value loses leading spaces; then a `#` comment is cut off when
    the text before the first `#` holds an even number of `"`; only then is
    a triple quote looked at (one-line or the start of a multi-line value), else one
    pair of surrounding `"` or `'` is removed. Inside a multi-line value every
    line is kept as is until one ends in a triple quote; an unterminated value is dropped.
    """
    pairs: dict[str, str] = {}
    key, buf, multiline = None, [], False
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the scanner yields no empty token after a final newline
    for line in lines:
        line = line[:-1] if line.endswith("\r") else line
        if len(line.encode()) >= IMPORT_LINE_LIMIT:
            break  # bufio.ErrTooLong: flyctl stops reading and does not check the error
        if multiline:
            if line.endswith('"""'):
                buf.append(line[:-3])
                pairs[key] = "\n".join(buf)
                multiline = False
            else:
                buf.append(line)
            continue
        if line.startswith("#") or not line.strip():
            continue
        if "=" not in line:
            raise ValueError("line without '='")
        key, value = line.split("=", 1)
        key, value = key.strip(), value.lstrip(" ")
        before, hash_sign, _ = value.partition("#")
        if hash_sign and before.count('"') % 2 == 0:
            value = before.rstrip(" ")
        if value.startswith('"""') and value.endswith('"""') and len(value) >= 6:
            pairs[key] = value[3:-3]
        elif value.startswith('"""'):
            buf, multiline = [value[3:]], True
        else:
            for quote in ('"', "'"):
                if value.startswith(quote) and value.endswith(quote):
                    if len(value) < 2:
                        raise ValueError("a lone quote makes flyctl panic")  # value[1:0] in Go
                    value = value[1:-1]
                    break
            pairs[key] = value
    return pairs


def encode_import_line(name: str, value: str) -> str | None:
    """One `NAME=...` entry that flyctl parses back to exactly `value`, or None."""
    if "\r" in value or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return None
    if any(len(line.encode()) + 8 >= IMPORT_LINE_LIMIT for line in value.split("\n")):
        return None  # a line this long would stop flyctl's scanner (bufio.MaxScanTokenSize)
    if "\n" in value:
        candidates = [f'{name}="""{value}"""\n']
    else:
        candidates = [f'{name}="{value}"\n', f"{name}='{value}'\n", f'{name}="""{value}"""\n']
    for candidate in candidates:
        try:
            if parse_import(candidate) == {name: value}:
                return candidate
        except ValueError:
            continue
    return None


# == The database copy: the direct address and the copy on a Fly Machine ==============
# (issue 9 items 4 and 6; module-level so the client class above stays as it is)

# `fly mpg proxy` (internal/command/mpg/proxy.go -> mpg/v2/run_proxy.go GetMpgProxyParams)
# establishes the agent and a WireGuard tunnel first: agent/client.go WaitForTunnel waits up to
# 4 minutes for a new peer; proxy/connect.go then waits up to 4 more for DNS when the remote
# is a name rather than an IPv6 address, and only then binds the local port.
MPG_PROXY_OPEN_TIMEOUT = 9 * 60.0


def free_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def mpg_proxy(client: FlyClient, cluster_id: str, ready, *, wait: float | None = None,
              poll: float = 0.5):
    """`fly mpg proxy <cluster> --local-port N --bind-addr 127.0.0.1` to the cluster's direct
    address; yields N once `ready(N)` is true (a real connection, since the proxy accepts
    before its remote is reachable: proxy/server.go dials per connection). Stopped on every exit."""
    if not client.token:
        raise FlyError("No Fly token is set", hint=TOKEN_HINT)
    local = free_local_port()
    args = ["mpg", "proxy", cluster_id, "--local-port", str(local), "--bind-addr", "127.0.0.1"]
    client.calls.append(list(args))
    wait = MPG_PROXY_OPEN_TIMEOUT if wait is None else wait
    proc = subprocess.Popen([client._binary(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=client._env(), cwd=client.cwd,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + wait
        while not ready(local):
            if proc.poll() is not None:
                raise _classify(args, proc.stderr.read() if proc.stderr else "")
            if time.monotonic() > deadline:
                raise FlyError(
                    f"fly mpg proxy to cluster {cluster_id} did not connect within {int(wait)}s",
                    hint="A first WireGuard setup can take minutes; check that UDP 51820 is allowed from "
                         "here, or copy on a Fly Machine (--copy-on-fly always)")
            time.sleep(poll)
        yield local
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


def mpg_extensions(client: FlyClient, cluster_id: str, database: str) -> set[str]:
    """The extensions the cluster offers for `database`: `fly mpg databases extensions list`
    (internal/command/mpg/extensions.go, added under `databases` by mpg/databases.go); --json
    renders the list of uiex/mpg/v2/client.go Extension {name, installed, ...}."""
    rows = client.json(["mpg", "databases", "extensions", "list", cluster_id, "--database", database]) or []
    return {row["name"] for row in rows if isinstance(row, dict) and row.get("name")}


def machine_run(client: FlyClient, app: str, image: str, command: list[str], *, name: str, region: str,
                entrypoint: str, vm_size: str, env: dict[str, str] | None = None) -> None:
    """Start a one-off Machine (internal/command/machine/run.go): the command after `--` becomes
    Init.Cmd, --entrypoint replaces the image's ENTRYPOINT, --restart no lets it stop when the
    command ends, --detach skips health-check watching. Env values given here appear in argv:
    only non-secret ones; secrets reach the Machine as app secrets (MinSecretsVersion)."""
    args = ["machine", "run", image, "--app", app, "--name", name, "--region", region,
            "--entrypoint", entrypoint, "--restart", "no", "--vm-size", vm_size, "--detach"]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    client.run([*args, "--", *command])


def machines(client: FlyClient, app: str) -> list[dict]:
    """`fly machine list --json` (internal/command/machine/list.go renders []fly.Machine)."""
    return client.json(["machine", "list", "--app", app]) or []


def machine_exit_code(machine: dict) -> int | None:
    """The exit code of a stopped Machine from its newest exit event (fly-go machine_types.go
    MachineRequest.GetExitCode: MonitorEvent.exit_event first; exit_code is omitempty, so
    absent means 0). None while it has not exited."""
    exits = [e for e in machine.get("events") or [] if e.get("type") == "exit"]
    if not exits:
        return None
    request = max(exits, key=lambda e: e.get("timestamp") or 0).get("request") or {}
    event = (request.get("MonitorEvent") or {}).get("exit_event") or request.get("exit_event") or {}
    return int(event.get("exit_code") or 0)


def machine_logs(client: FlyClient, app: str, machine_id: str, *, timeout: float = 120.0) -> list[dict]:
    """`fly logs --machine ID --no-tail --json`: one page of the newest entries
    (logs/polling.go Poll: with --no-tail it returns after the first non-empty page, and waits
    while there is none, hence the timeout); internal/command/logs/logs.go prints each
    LogEntry {timestamp, message, ...} (logs/entry.go) as JSON."""
    text = client.run(["logs", "--app", app, "--machine", machine_id, "--no-tail", "--json"],
                      timeout=timeout).stdout
    decoder, entries, at = json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return entries
        try:
            entry, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            raise FlyError("flyctl logs --json printed something that is not JSON",
                           hint="Upgrade flyctl") from None
        if isinstance(entry, dict):
            entries.append(entry)


def machine_destroy(client: FlyClient, app: str, machine_id: str) -> None:
    """internal/command/machine/destroy.go: --force kills it whatever its state."""
    client.run(["machine", "destroy", machine_id, "--app", app, "--force"])
