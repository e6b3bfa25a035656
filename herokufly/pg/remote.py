"""The database copy run on a Fly Machine next to the target, for large databases.

From a CI runner the rows would travel Heroku -> runner -> WireGuard -> Fly. On a Machine in
the target's region they travel Heroku -> Fly directly, and the runner only watches. The
Machine runs herokufly's own image: `herokufly db transfer --report-line`, the same copy and
verification as a local run.

Secrets never reach argv: the two database URLs become app secrets (stdin, staged), which a
Machine launched afterwards receives in its environment (flyctl internal/command/machine/run.go
launches with the MinSecretsVersion that internal/appsecrets/secrets.go recorded). They are
unset again, and the Machine destroyed, on every exit path.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from herokufly.talk import fly as flyctl
from herokufly.base import masking
from herokufly.base.errors import DatabaseError, FlyError, VerificationFailed

SOURCE_ENV, TARGET_ENV = "HEROKUFLY_DB_FROM", "HEROKUFLY_DB_TO"  # read by `herokufly db transfer`
REPORT_PREFIX = "herokufly-report: "
# Above this size the copy runs on a Fly Machine unless told otherwise. Assumption (see
# docs/stages.md): a runner's user-space WireGuard tunnel moves tens of MB/s at best, and a
# GitHub-hosted job stops after 6 hours; at 5 GB the direct path starts to save real time.
COPY_ON_FLY_BYTES = 5 * 10**9
COPY_MODES = ("auto", "always", "never")
# herokufly's own image is the release's, by digest (pins.release()); its ENTRYPOINT is the
# action's entrypoint.py, so the copy names /usr/local/bin/herokufly as its entrypoint.
ENTRYPOINT = "herokufly"
VM_SIZE = "performance-2x"  # 2 dedicated CPUs, 4 GB: parallel COPY streams and pg_dump
POLL_SECONDS = 10.0  # how often the Machine's state and logs are read
LOG_GRACE_SECONDS = 120.0  # after the Machine stops, how long its last log lines may take to show


@dataclass(frozen=True)
class CopyPath:
    on_fly: bool
    why: str

    def to_dict(self) -> dict:
        return {"path": "fly-machine" if self.on_fly else "runner", "why": self.why}


def choose_path(mode: str, database_bytes: int | None, *, threshold: int | None = None) -> CopyPath:
    """Where the copy runs: on a Fly Machine (large, or asked) or from here (the runner)."""
    threshold = COPY_ON_FLY_BYTES if threshold is None else threshold
    if mode not in COPY_MODES:
        raise DatabaseError(f"unknown copy mode {mode!r}", hint=f"Use one of {', '.join(COPY_MODES)}")
    size = "unknown size" if database_bytes is None else f"{database_bytes / 1e9:.1f} GB"
    limit = f"{threshold / 1e9:g} GB"
    if mode == "always":
        return CopyPath(True, f"asked for (--copy-on-fly always); the database is {size}")
    if mode == "never":
        return CopyPath(False, f"asked for (--copy-on-fly never); the database is {size}")
    if database_bytes is not None and database_bytes > threshold:
        return CopyPath(True, f"the database is {size}, above {limit}: Heroku streams straight to Fly "
                              "instead of through this runner")
    return CopyPath(False, f"the database is {size}, at most {limit}: copied from here through "
                           "`fly mpg proxy`")


def planned_path(mode: str = "auto", region: str | None = None) -> dict:
    """What the plan says about where the copy will run (the size is measured at the stage)."""
    where = f" in {region}" if region else ""
    if mode == "always":
        return {"path": "fly-machine", "why": f"asked for: on a Fly Machine{where}, next to the database"}
    if mode == "never":
        return {"path": "runner", "why": "asked for: from the runner through `fly mpg proxy`"}
    return {"path": "auto", "why": f"measured at the database stage: above {COPY_ON_FLY_BYTES / 1e9:g} GB on a "
                                   f"Fly Machine{where} (Heroku streams straight to Fly), otherwise from the "
                                   "runner through `fly mpg proxy`"}


def release_image() -> str | None:
    """This build's own image by digest, or None outside a release build (then --copy-image)."""
    from herokufly.base import pins

    return pins.release()["image"]


@dataclass
class MachineCopy:
    app: str
    region: str
    image: str  # herokufly's own image, by digest
    verify: str = "counts"
    jobs: int | None = None
    fly_target: bool = True  # leave out extensions Fly does not offer
    allowed_extensions: set[str] | None = None  # the cluster's own list, when read
    poll_seconds: float | None = None  # default POLL_SECONDS
    timeout_seconds: float = 24 * 3600.0

    def command(self) -> list[str]:
        cmd = ["db", "transfer", "--report-line", "--verify", self.verify]
        if self.jobs:
            cmd += ["--jobs", str(self.jobs)]
        if self.fly_target:
            cmd.append("--fly-target")
        if self.allowed_extensions is not None:
            cmd.append("--allowed-extensions=" + ",".join(sorted(self.allowed_extensions)))
        return cmd


def copy_on_fly(client: flyctl.FlyClient, job: MachineCopy, source_url: str, target_url: str,
                say=print) -> dict:
    """Run the copy on a Machine; returns its transfer report (a dict). `target_url` is the
    address as seen inside Fly's network (the cluster's direct address)."""
    for url in (source_url, target_url):
        masking.register(url)
    name = f"herokufly-db-copy-{int(time.time())}"
    machine_id = None
    client.import_secrets(job.app, {SOURCE_ENV: source_url, TARGET_ENV: target_url}, stage=True)
    try:
        say(f"Starting Fly Machine {name} in {job.region} ({job.image}) to copy the database")
        flyctl.machine_run(client, job.app, job.image, job.command(), name=name, region=job.region,
                           entrypoint=ENTRYPOINT, vm_size=VM_SIZE)
        machine = next((m for m in flyctl.machines(client, job.app) if m.get("name") == name), None)
        if machine is None:
            raise FlyError(f"the Machine {name} was started but `fly machine list` does not show it",
                           hint="Check `fly machine list`, then re-run the database stage")
        machine_id = machine["id"]
        code, lines = _watch(client, job, machine_id, say)
    finally:
        _clean_up(client, job.app, machine_id, name, say)
    report = _report_from(lines)
    if code == 0 and report is not None:
        return report
    if code == 3:
        exc = VerificationFailed(
            f"verification on Fly Machine {machine_id} failed: the target differs from the source: "
            + "; ".join(((report or {}).get("verification") or {}).get("mismatches", [])[:5]),
            hint="Run the database stage again to redo the copy")
        exc.report = report
        raise exc
    last = next((ln for ln in reversed(lines) if ln.strip() and not ln.startswith(REPORT_PREFIX)), "")
    raise DatabaseError(f"the copy on Fly Machine {machine_id} failed (exit {code}): {masking.redact(last)}",
                        hint="Fix the cause and run the database stage again; the target is cleaned "
                             "and filled again")


def _watch(client, job: MachineCopy, machine_id: str, say) -> tuple[int | None, list[str]]:
    """Follow the Machine's logs until it stops; (exit code, every log line seen).

    Each read is one page of the newest entries, so lines are told apart by their timestamp
    and text, not by position."""
    deadline = time.monotonic() + job.timeout_seconds
    seen: set[tuple] = set()
    lines: list[str] = []
    stopped_at = None
    while True:
        machine = next((m for m in flyctl.machines(client, job.app) if m.get("id") == machine_id), None)
        code = None if machine is None else flyctl.machine_exit_code(machine)
        stopped = machine is None or machine.get("state") in ("stopped", "destroyed", "failed")
        try:
            entries = flyctl.machine_logs(client, job.app, machine_id)
        except FlyError:
            entries = []  # no entry yet, or the log service is slow: progress can wait
        for entry in entries:
            key = (entry.get("timestamp"), entry.get("message"))
            if key in seen:
                continue
            seen.add(key)
            line = str(entry.get("message", ""))
            lines.append(line)
            if not line.startswith(REPORT_PREFIX):
                say(f"[fly machine] {masking.redact(line)}")
        if stopped and (code is not None or machine is None):
            stopped_at = stopped_at or time.monotonic()
            if code != 0 or _report_from(lines) is not None or \
                    time.monotonic() - stopped_at > LOG_GRACE_SECONDS:
                return code, lines
        if time.monotonic() > deadline:
            raise DatabaseError(f"the copy on Fly Machine {machine_id} did not finish within "
                                f"{job.timeout_seconds / 3600:g} hours; it was stopped")
        time.sleep(job.poll_seconds or POLL_SECONDS)


def _report_from(lines: list[str]) -> dict | None:
    for line in reversed(lines):
        if line.startswith(REPORT_PREFIX):
            try:
                return json.loads(line[len(REPORT_PREFIX):])
            except json.JSONDecodeError:
                return None
    return None


def _clean_up(client, app: str, machine_id: str | None, name: str, say) -> None:
    """Destroy the Machine and unset the two secrets; a failure here is reported, not raised
    over the copy's own outcome. A Machine whose start failed half-way is found by its name."""
    if machine_id is None:
        try:
            machine_id = next((m["id"] for m in flyctl.machines(client, app) if m.get("name") == name), None)
        except FlyError:
            machine_id = None
    if machine_id:
        try:
            flyctl.machine_destroy(client, app, machine_id)
        except FlyError as exc:
            say(f"warning: could not destroy Fly Machine {machine_id}: {exc.message}")
    try:
        client.unset_secrets(app, [SOURCE_ENV, TARGET_ENV], stage=True)
    except FlyError as exc:
        say(f"warning: could not unset {SOURCE_ENV}/{TARGET_ENV} on {app}: {exc.message} "
            f"(run `fly secrets unset {SOURCE_ENV} {TARGET_ENV} --app {app} --stage`)")
