"""database: copy Heroku's Postgres into Fly's, inside a Heroku maintenance window.

Right before the copy Heroku goes into maintenance and (by default) its
non-web dynos are scaled to 0, so nothing writes during the copy. If the copy
or its verification fails, both are undone (unless asked to keep maintenance).
After a successful copy Heroku stays down: any write it took from then on would
be lost at cutover. `--reopen-heroku-after-copy` brings it back (rehearsals).
Once copied, re-running is a no-op: copying again would overwrite what the Fly
app wrote since, so it takes --force-copy.
"""

from __future__ import annotations

import contextlib
import os
import time
from urllib.parse import urlsplit, urlunsplit

from herokufly import masking
from herokufly.errors import FlyError
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
    target = _target_url(ctx)

    from herokufly.pg.progress import ConsoleProgress
    from herokufly.pg.transfer import TransferOptions, transfer  # the database issue's module

    window = _open_window(ctx)
    report = None
    try:
        with _reachable(ctx, target) as reachable_target:
            report = transfer(source, reachable_target,
                              TransferOptions(jobs=opts.transfer_jobs, verify=opts.verify, force=opts.force_copy),
                              progress=ConsoleProgress())
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
    entry.update(copied_at=_now(), report=report_dict,
                 window={k: v for k, v in window.items() if not k.startswith("_")} | {"seconds": seconds})
    state.save()
    heroku_note = "Heroku reopened" if opts.reopen_heroku_after_copy else "Heroku stays in maintenance until cutover"
    return StageResult("done", f"copied the database in a {seconds}s maintenance window; {heroku_note}",
                       ["copied the database"], {"report": report_dict, "window_seconds": seconds})


def _now() -> str:
    from herokufly.state import utcnow
    return utcnow()


def _target_url(ctx: StageContext) -> str:
    """Fly's DATABASE_URL: from this run, from the managed cluster, or from the environment."""
    url = ctx.runtime.get("fly_database_url") or os.environ.get(TARGET_URL_ENV)
    postgres = ctx.state.created("postgres") or {}
    if not url and postgres.get("kind") == "managed" and postgres.get("cluster_id"):
        creds = ctx.fly.mpg_status(postgres["cluster_id"]).get("credentials") or {}
        url = creds.get("pgbouncer_uri")
    if not url:
        raise FlyError("cannot reach Fly's database from here: flyctl printed its URL only once",
                       hint=f"Open `fly proxy` to it and set {TARGET_URL_ENV}, then re-run --from database")
    masking.register(url)
    return url


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
    with ctx.fly.proxy(ctx.options.fly_app, parts.hostname, parts.port or 5432) as local_port:
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
