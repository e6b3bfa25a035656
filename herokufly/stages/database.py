"""database: copy Heroku's Postgres into Fly's, inside a Heroku maintenance window.

Right before the copy Heroku goes into maintenance and (by default) its
non-web dynos are scaled to 0, so nothing writes during the copy. If the copy
or its verification fails, both are undone (unless asked to keep maintenance).
After a successful copy Heroku stays down: any write it took from then on would
be lost at cutover. `--reopen-heroku-after-copy` brings it back (rehearsals).
Once copied, re-running is a no-op: copying again would overwrite what the Fly
app wrote since, so it takes --force-copy.

Where the copy runs (pg/remote.choose_path): from here, to Managed Postgres' direct address
through `fly mpg proxy` (not PgBouncer: the copy needs a session of its own), or, for a large
database or on request, on a Fly Machine next to the target (pg/remote.copy_on_fly).
"""

from __future__ import annotations

import contextlib
import os
import time
from urllib.parse import quote, urlsplit, urlunsplit

from herokufly.talk import fly as flyctl
from herokufly.base import masking
from herokufly.base.errors import DatabaseError, FlyError
from herokufly.stages.base import (
    StageContext,
    StageResult,
    field_of,
    formation_quantities,
    heroku_database_url,
)

NAME = "database"
TARGET_URL_ENV = "HEROKUFLY_TARGET_DATABASE_URL"


def run(ctx: StageContext) -> StageResult:
    opts, state = ctx.options, ctx.state
    if opts.postgres in ("keep-heroku", "none"):
        reason = ("Fly uses the Heroku database (--postgres keep-heroku)" if opts.postgres == "keep-heroku"
                  else "no database requested (--postgres none)")
        return StageResult("skipped", f"skipped: {reason}")
    copied = state.stage(NAME).get("copied_at")
    if copied and not opts.force_copy:
        return StageResult("unchanged", f"already copied at {copied}; nothing to do "
                           "(--force-copy copies again and overwrites Fly's data)")

    source = heroku_database_url(ctx, hint="Check the Heroku Postgres add-on or use --postgres none")
    target = _target(ctx)
    path = _choose_path(ctx, source, target)
    ctx.say(f"Database copy: {'on a Fly Machine' if path.on_fly else 'from here'}, because {path.why}")

    if target.managed:
        _fly_extensions(ctx, target)  # read now, not inside the window
    # The proxy (and a first WireGuard setup) opens before Heroku goes down, not inside the window.
    with _target_from_here(ctx, target, needed=not path.on_fly) as reachable_target:
        window = _open_window(ctx)
        report = None
        try:
            report = (_copy_on_fly(ctx, source, target) if path.on_fly
                      else _copy_from_here(ctx, source, target, reachable_target))
        except BaseException:
            if not opts.keep_maintenance_on_failure:
                _close_window(ctx, window, reason="the copy failed")
            else:
                _record_window(ctx, window)
            raise
    if opts.reopen_heroku_after_copy:
        _close_window(ctx, window, reason="--reopen-heroku-after-copy")
    else:
        _record_window(ctx, window)
    seconds = round(time.monotonic() - window["_started"], 1)
    report_dict = report.to_dict() if hasattr(report, "to_dict") else dict(report or {})
    entry = state.stage(NAME)
    entry.update(copied_at=_now(), report=report_dict, copy_path=path.to_dict(),
                 window={k: v for k, v in window.items() if not k.startswith("_")} | {"seconds": seconds})
    state.save()
    heroku_note = "Heroku reopened" if opts.reopen_heroku_after_copy else "Heroku stays in maintenance until cutover"
    where = "on a Fly Machine" if path.on_fly else "from here"
    return StageResult("done", f"copied the database ({where}) in a {seconds}s maintenance window; {heroku_note}",
                       ["copied the database"], {"report": report_dict, "window_seconds": seconds,
                                                 "copy_path": path.to_dict()})


def _now() -> str:
    from herokufly.act.state import utcnow
    return utcnow()


class Target:
    """Where the rows go. A managed cluster is reached at its direct address (not PgBouncer):
    from here through `fly mpg proxy`, from a Machine in the org's network as is."""

    def __init__(self, *, url: str | None = None, cluster: dict | None = None):
        self.url, self.cluster = url, cluster

    @property
    def managed(self) -> bool:
        return self.cluster is not None

    def direct_url(self, host: str, port: int) -> str:
        """postgresql://user:password@host:port/dbname from `mpg status --json` credentials, as
        flyctl's own `mpg connect` builds it (mpg/v1/run_connect.go)."""
        creds = self.cluster["credentials"]
        netloc_host = f"[{host}]" if ":" in host else host
        url = (f"postgresql://{quote(creds['user'], safe='')}:{quote(creds['password'], safe='')}"
               f"@{netloc_host}:{port}/{quote(creds['dbname'], safe='')}")
        masking.register(url)
        return url

    def inside_fly_url(self) -> str:
        if self.managed:
            return self.direct_url(self.cluster["data"]["ip_assignments"]["direct"], 5432)
        return self.url


def _target(ctx: StageContext) -> Target:
    """Fly's database: the managed cluster (by ID from provision), or a URL from this run or
    from the environment (unmanaged Postgres, or a database reached another way)."""
    postgres = ctx.state.created("postgres") or {}
    url = os.environ.get(TARGET_URL_ENV)
    if not url and postgres.get("kind") == "managed" and postgres.get("cluster_id"):
        status = ctx.fly.mpg_status(postgres["cluster_id"])
        creds = status.get("credentials") or {}
        if not (creds.get("user") and creds.get("password") and creds.get("dbname")):
            raise FlyError(f"Managed Postgres cluster {postgres['cluster_id']} shows no credentials yet "
                           f"(status {creds.get('status') or 'unknown'})",
                           hint="Wait until `fly mpg status` shows it ready, then re-run --from database")
        if not ((status.get("data") or {}).get("ip_assignments") or {}).get("direct"):
            raise FlyError(f"Managed Postgres cluster {postgres['cluster_id']} has no direct address yet",
                           hint="Wait until `fly mpg status` shows it ready, then re-run --from database")
        return Target(cluster=status | {"id": postgres["cluster_id"]})
    url = url or ctx.runtime.get("fly_database_url")
    if not url:
        raise FlyError("cannot reach Fly's database from here: flyctl printed its URL only once",
                       hint=f"Open `fly proxy` to it and set {TARGET_URL_ENV}, then re-run --from database")
    masking.register(url)
    return Target(url=url)


def _choose_path(ctx: StageContext, source: str, target: Target):
    from herokufly.pg import remote
    from herokufly.pg.connect import Database

    mode = ctx.options.copy_on_fly
    size = None
    if mode == "auto":
        try:
            with Database.parse("source", source).connect() as conn:
                size = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        except DatabaseError:
            size = None  # preflight reports it with everything else
    path = remote.choose_path(mode, size)
    if path.on_fly and not _copy_image(ctx):
        if mode == "always":
            raise DatabaseError("--copy-on-fly always needs herokufly's image, and this is not a release "
                                "build that names one",
                                hint="Pass --copy-image with a herokufly image by digest (ghcr.io/...@sha256:...)")
        return remote.CopyPath(False, path.why + "; but no herokufly image is known outside a release "
                                                 "build (--copy-image), so from here")
    if path.on_fly and not (target.managed or is_fly_private(target.url)):
        if mode == "always":
            raise DatabaseError("--copy-on-fly always needs a target inside Fly's network (a Managed "
                                "Postgres cluster or a Fly-private address); this target is not")
        return remote.CopyPath(False, path.why + "; but the target is outside Fly's network, so from here")
    return path


def _transfer_options(ctx: StageContext, target: Target):
    from herokufly.pg import extensions
    from herokufly.pg.transfer import TransferOptions

    opts = ctx.options
    options = TransferOptions(jobs=opts.transfer_jobs, verify=opts.verify, force=opts.force_copy)
    if target.managed:
        options.allowed_extensions = _fly_extensions(ctx, target)
        options.allowed_source = "Fly Managed Postgres"
    return options


def _fly_extensions(ctx: StageContext, target: Target) -> set[str]:
    """The cluster's own list (`fly mpg databases extensions list`), else Fly's documented one."""
    from herokufly.pg import extensions

    if "fly_extensions" not in ctx.runtime:
        try:
            offered = flyctl.mpg_extensions(ctx.fly, target.cluster["id"], target.cluster["credentials"]["dbname"])
        except FlyError as exc:
            ctx.say(f"note: could not read the cluster's extension list ({exc.message}); using Fly's "
                    f"documented list of {extensions.fly_allow_list()['read_on']}")
            offered = set()
        ctx.runtime["fly_extensions"] = offered or extensions.fly_creatable()
    return ctx.runtime["fly_extensions"]


@contextlib.contextmanager
def _target_from_here(ctx: StageContext, target: Target, *, needed: bool):
    """The target's URL as this machine reaches it (None when the copy runs elsewhere): a managed
    cluster's direct address through `fly mpg proxy`, a Fly-private URL through `fly proxy`."""
    if not needed:
        yield None
    elif target.managed:
        cluster_id = target.cluster["id"]
        ctx.say(f"Opening `fly mpg proxy` to cluster {cluster_id}'s direct address (a first "
                f"WireGuard setup can take a few minutes)")
        with flyctl.mpg_proxy(ctx.fly, cluster_id,
                              ready=lambda port: _accepts(target.direct_url("127.0.0.1", port))) as port:
            yield target.direct_url("127.0.0.1", port)
    else:
        with _reachable(ctx, target.url) as reachable:
            yield reachable


def _copy_from_here(ctx: StageContext, source: str, target: Target, reachable_target: str) -> dict:
    from herokufly.pg.progress import ConsoleProgress
    from herokufly.pg.transfer import transfer

    options = _transfer_options(ctx, target)
    return transfer(source, reachable_target, options, progress=ConsoleProgress()).to_dict()


def _accepts(url: str) -> bool:
    """A real login through the proxy: its port accepts before the tunnel works."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
        return True
    except psycopg.Error:
        return False


def _copy_on_fly(ctx: StageContext, source: str, target: Target) -> dict:
    from herokufly.pg import remote

    opts = ctx.options
    region = (target.cluster or {}).get("data", {}).get("region") or opts.region
    job = remote.MachineCopy(app=opts.fly_app, region=region, image=_copy_image(ctx),
                             verify=opts.verify, jobs=opts.transfer_jobs, fly_target=target.managed,
                             allowed_extensions=_fly_extensions(ctx, target) if target.managed else None)
    return remote.copy_on_fly(ctx.fly, job, source, target.inside_fly_url(), say=ctx.say)


def _copy_image(ctx: StageContext) -> str | None:
    from herokufly.pg import remote

    return ctx.options.copy_image or remote.release_image()


PRIVATE_SUFFIXES = (".flympg.net", ".flycast", ".internal")


def is_fly_private(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(PRIVATE_SUFFIXES) or host.startswith("fdaa:")


@contextlib.contextmanager
def _reachable(ctx: StageContext, url: str):
    """The target URL as this machine can reach it: through `flyctl proxy` when Fly-private."""
    if not is_fly_private(url):
        yield url
        return
    parts = urlsplit(url)
    ctx.say(f"Opening a flyctl proxy to {parts.hostname}:{parts.port or 5432}")
    # `fly proxy` sets up the same WireGuard tunnel as `mpg proxy` (agent/client.go waits).
    with ctx.fly.proxy(ctx.options.fly_app, parts.hostname, parts.port or 5432,
                       wait=flyctl.MPG_PROXY_OPEN_TIMEOUT) as local_port:
        credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        yield urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{local_port}"))


def _open_window(ctx: StageContext) -> dict:
    opts, heroku, state = ctx.options, ctx.heroku, ctx.state
    app = heroku.app(opts.heroku_app)
    before = bool(field_of(app, "maintenance", False))
    window = {"maintenance_before": before, "opened_at": _now(), "scaled_down": {}, "_started": time.monotonic()}
    state.heroku["window"] = {k: v for k, v in window.items() if not k.startswith("_")}
    state.save()
    if not before:
        heroku.set_maintenance(opts.heroku_app, True)
        ctx.say(f"Heroku {opts.heroku_app}: maintenance on")
    if opts.scale_workers_during_copy:
        quantities = formation_quantities(heroku.formation(opts.heroku_app))
        down = {t: q for t, q in quantities.items() if t != "web" and q > 0}
        if down:
            # Record first, so an interrupted run still knows what to restore.
            window["scaled_down"] = down
            state.heroku["window"]["scaled_down"] = down
            state.save()
            heroku.update_formation(opts.heroku_app, [{"type": t, "quantity": 0} for t in down])
            ctx.say(f"Heroku {opts.heroku_app}: scaled {', '.join(down)} to 0 for the copy")
    return window


def _record_window(ctx: StageContext, window: dict) -> None:
    ctx.state.heroku["window"] = {k: v for k, v in window.items() if not k.startswith("_")}
    ctx.state.save()


def _close_window(ctx: StageContext, window: dict, *, reason: str) -> None:
    opts, heroku = ctx.options, ctx.heroku
    if window.get("scaled_down"):
        heroku.update_formation(opts.heroku_app,
                                [{"type": t, "quantity": q} for t, q in window["scaled_down"].items()])
        ctx.say(f"Heroku {opts.heroku_app}: restored {', '.join(window['scaled_down'])} ({reason})")
    if not window.get("maintenance_before"):
        heroku.set_maintenance(opts.heroku_app, False)
        ctx.say(f"Heroku {opts.heroku_app}: maintenance off ({reason})")
    window["closed_at"] = _now()
    window["scaled_down"] = {}
    _record_window(ctx, window)
