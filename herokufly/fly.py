"""FlyClient: every call herokufly makes to Fly goes through flyctl here.

Rules kept in this one place:
- the token reaches flyctl only through the FLY_API_TOKEN environment
  variable, never argv (argv shows in process lists);
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

from herokufly import masking, pins
from herokufly.errors import FlyError

# The pinned release (herokufly/data/pins.json): every call here was checked against its source.
MIN_FLYCTL_VERSION = pins.flyctl_version_tuple()
TOKEN_HINT = "Set FLY_API_TOKEN to a valid token (create one with `fly tokens create deploy` or `fly auth token`)"
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
    joined = masking.redact(joined)
    return joined if len(joined) <= limit else "..." + joined[-limit:]


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def _classify(args: list[str], stderr: str) -> FlyError:
    """Turn flyctl's error text into one line with what to do."""
    what = "flyctl " + " ".join(a for a in args if not a.startswith("-"))[:80]
    detail = trimmed(stderr)
    low = (stderr or "").lower()
    if "no access token" in low or "must be authenticated" in low or "unauthorized" in low:
        return FlyError(f"Fly refused the token ({what}: {detail})", hint=TOKEN_HINT)
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
        env = dict(os.environ)
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
            masking.register(value)
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

    def mpg_create(self, name: str, org: str, region: str) -> None:
        self.run(["mpg", "create", "--name", name, "--org", org, "--region", region])

    def mpg_status(self, cluster_id: str) -> dict:
        status = self.json(["mpg", "status", cluster_id]) or {}
        creds = status.get("credentials") or {}
        for key in ("password", "pgbouncer_uri"):
            masking.register(creds.get(key))
        return status

    def mpg_attach(self, cluster_id: str, app: str, variable: str = "DATABASE_URL") -> str | None:
        result = self.run(["mpg", "attach", cluster_id, "--app", app, "--variable-name", variable])
        return _connection_string(result.stdout)

    def postgres_create(self, name: str, org: str, region: str) -> str | None:
        result = self.run(["postgres", "create", "--name", name, "--org", org, "--region", region])
        return _connection_string(result.stdout)

    def postgres_attach(self, pg_app: str, app: str, variable: str = "DATABASE_URL") -> str | None:
        result = self.run(["postgres", "attach", pg_app, "--app", app, "--variable-name", variable, "--yes"])
        return _connection_string(result.stdout)

    def redis_create(self, name: str, org: str, region: str) -> str | None:
        result = self.run(["redis", "create", "--name", name, "--org", org, "--region", region,
                           "--no-replicas", "--disable-eviction"])
        return _connection_string(result.stdout)

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
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
    """flyctl's import parser (internal/command/secrets/parser.go, per the contract notes)."""
    pairs: dict[str, str] = {}
    key, buf, multiline = None, [], False
    for line in text.split("\n"):
        line = line[:-1] if line.endswith("\r") else line
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
        if value.startswith('"""'):
            rest = value[3:]
            if len(rest) >= 3 and rest.endswith('"""'):
                pairs[key] = rest[:-3]
            else:
                buf, multiline = [rest], True
            continue
        if "#" in value and value[: value.index("#")].count('"') % 2 == 0:
            value = value[: value.index("#")].rstrip(" ")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        pairs[key] = value
    if multiline:
        pairs[key] = "\n".join(buf)
    return pairs


def encode_import_line(name: str, value: str) -> str | None:
    """One `NAME=...` entry that flyctl parses back to exactly `value`, or None."""
    if "\r" in value or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return None
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
