"""provision: the Fly app, its Postgres, Redis and public IPs, reused when they exist.

Expected names: the app is --fly-app; Postgres is `<app>-db` (managed cluster or
unmanaged Postgres app); Redis is `<app>-redis`. Anything with those names is
reused, never duplicated. Connection strings flyctl prints once are handed to
later stages in memory only.
"""

from __future__ import annotations

import math
import time

import psycopg

from herokufly.base import masking
from herokufly.base.errors import ConfigError, DatabaseError, FlyError
from herokufly.decide.names import managed_postgres_region, validate_fly_app_name
from herokufly.pg import catalog
from herokufly.pg.connect import Database
from herokufly.stages.base import StageContext, StageResult, field_of, heroku_database_url

NAME = "provision"
OWNED_SECRETS_KEY = "provisioned_secret_names"


def run(ctx: StageContext) -> StageResult:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    validate_fly_app_name(opts.fly_app)
    changes: list[str] = []
    owned: set[str] = set(state.created(OWNED_SECRETS_KEY, []))

    if opts.postgres == "managed":
        # Needs an org-scoped macaroon token; checked before anything is created.
        fly.check_org_token(opts.org)
    app = fly.app(opts.fly_app)
    if app is None:
        ctx.say(f"Creating Fly app {opts.fly_app} in {opts.org}")
        fly.create_app(opts.fly_app, opts.org)
        state.record("app", {"name": opts.fly_app, "org": opts.org, "created_by_herokufly": True})
        changes.append(f"created app {opts.fly_app}")
    else:
        org = (app.get("Organization") or {}).get("Slug")
        if state.created("app") is None:
            state.record("app", {"name": opts.fly_app, "org": org, "created_by_herokufly": False})
        ctx.say(f"Fly app {opts.fly_app} exists (org {org}); reusing it")

    secrets = fly.secrets(opts.fly_app)
    if opts.postgres == "managed":
        changes += _managed_postgres(ctx, secrets, owned)
    elif opts.postgres == "unmanaged":
        changes += _unmanaged_postgres(ctx, secrets, owned)
    elif opts.postgres == "keep-heroku":
        changes += _keep_heroku_database(ctx, secrets, owned)

    changes += _redis(ctx, secrets, owned)
    changes += _ips(ctx)
    state.record(OWNED_SECRETS_KEY, sorted(owned))
    if changes:
        return StageResult("done", "; ".join(changes), changes)
    return StageResult("unchanged", "everything already provisioned; nothing to do")


def _managed_postgres(ctx: StageContext, secrets: dict, owned: set) -> list[str]:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    name = f"{opts.fly_app}-db"
    changes = []
    cluster = next((c for c in fly.mpg_clusters(opts.org) if c.get("name") == name), None)
    if cluster is None:
        pg = ctx.plan.get("postgres") or {}
        volume_gb, major = _size_from_source(ctx, pg)
        region = pg.get("region") or managed_postgres_region(opts.region)
        plan = pg.get("plan") or "basic"
        ctx.say(f"Creating Managed Postgres cluster {name} in {region}: plan {plan}, {volume_gb} GB, "
                f"Postgres {major}")
        fly.mpg_create(name, opts.org, region, plan=plan, volume_gb=volume_gb, pg_major=major)
        cluster = next((c for c in fly.mpg_clusters(opts.org) if c.get("name") == name), None)
        if cluster is None:
            raise FlyError(f"Managed Postgres cluster {name} was created but is not listed",
                           hint="Check `fly mpg list` and re-run the same command")
        state.record("postgres_size", {"plan": plan, "volume_gb": volume_gb, "pg_major": major})
        changes.append(f"created Managed Postgres cluster {name} ({plan}, {volume_gb} GB, Postgres {major})")
    state.record("postgres", {"kind": "managed", "cluster_id": cluster["id"], "name": name})
    changes += _attach_once(ctx, secrets, owned, name, lambda: fly.mpg_attach(cluster["id"], opts.fly_app))
    return changes


def _unmanaged_postgres(ctx: StageContext, secrets: dict, owned: set) -> list[str]:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    name = f"{opts.fly_app}-db"
    changes = []
    if fly.app(name) is None:
        pg = ctx.plan.get("postgres") or {}
        volume_gb, _major = _size_from_source(ctx, pg)
        vm_size = pg.get("vm_size") or "shared-cpu-1x"
        ctx.say(f"Creating Postgres app {name} in {opts.region}: {vm_size}, one node, {volume_gb} GB")
        fly.postgres_create(name, opts.org, opts.region, vm_size=vm_size, volume_gb=volume_gb)
        changes.append(f"created Postgres app {name}")
    state.record("postgres", {"kind": "unmanaged", "app": name, "name": name})
    changes += _attach_once(ctx, secrets, owned, name, lambda: fly.postgres_attach(name, opts.fly_app))
    return changes


MAJOR_VERSIONS = (16, 17)  # `fly mpg create --pg-major-version` accepts these (mpg/create.go)


def _size_from_source(ctx: StageContext, pg: dict) -> tuple[int, int]:
    """(volume GB, Postgres major) from the Heroku database itself: its pg_database_size with
    the plan's headroom, and at least its server major. When it cannot be reached, the Heroku
    plan's storage limit and the plan's major are used (and said)."""
    minimum = int(pg.get("volume_gb") or 10)
    headroom = float(pg.get("volume_headroom") or 1.5)
    major = int(pg.get("pg_major") or MAJOR_VERSIONS[-1])
    try:
        source = Database.parse("source", heroku_database_url(ctx, hint="Use --postgres none"))
        with source.connect() as conn:
            size = catalog.database_size(conn)
            source_major = catalog.server_major(conn)
    except (DatabaseError, psycopg.Error) as exc:
        reason = exc.one_line() if isinstance(exc, DatabaseError) else masking.redact(str(exc)).splitlines()[0]
        limit = int(pg.get("source_storage_limit_gb") or minimum)
        ctx.say(f"Could not measure the Heroku database ({reason}); sizing from the Heroku plan: "
                f"{max(minimum, limit)} GB, Postgres {major}")
        return max(minimum, limit), major
    if source_major > MAJOR_VERSIONS[-1]:
        raise ConfigError(f"the Heroku database runs Postgres {source_major}; Fly Managed Postgres offers "
                          f"{' and '.join(map(str, MAJOR_VERSIONS))} and a copy may not go to an older major",
                          hint="Use --postgres unmanaged or keep-heroku")
    volume = max(minimum, math.ceil(size / 1024 ** 3 * headroom))
    major = max(source_major, MAJOR_VERSIONS[0])
    ctx.say(f"Heroku database: {size / 1024 ** 3:.2f} GB, Postgres {source_major} -> volume {volume} GB, "
            f"Postgres {major}")
    return volume, major


def _attach_once(ctx: StageContext, secrets: dict, owned: set, name: str, attach) -> list[str]:
    """Attach the database unless Fly's DATABASE_URL is already set; flyctl prints the URL
    only at attach time, so keep it for the database stage of this run."""
    owned.add("DATABASE_URL")
    if "DATABASE_URL" in secrets:
        return []
    url = attach()
    if url:
        ctx.runtime["fly_database_url"] = url
    return [f"attached {name} (DATABASE_URL set)"]


def _keep_heroku_database(ctx: StageContext, secrets: dict, owned: set) -> list[str]:
    """Point Fly's DATABASE_URL at Heroku's database, as Fly's guide describes."""
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    url = heroku_database_url(ctx, hint="Use --postgres managed or none")
    owned.add("DATABASE_URL")
    fingerprint = state.fingerprint("DATABASE_URL", url)
    record = state.secret_record("DATABASE_URL")
    current = secrets.get("DATABASE_URL")
    if current and record and record["fingerprint"] == fingerprint and record["fly_digest"] == current.get("digest"):
        return []
    fly.import_secrets(opts.fly_app, {"DATABASE_URL": url}, stage=True)
    digest = fly.secrets(opts.fly_app).get("DATABASE_URL", {}).get("digest")
    state.record_secret("DATABASE_URL", fly_digest=digest, fingerprint=fingerprint)
    state.record("postgres", {"kind": "keep-heroku"})
    return ["DATABASE_URL points at the Heroku database"]


def _redis_vars(ctx: StageContext) -> list[str]:
    """Config vars of the Heroku Redis add-on, from the plan (or the add-on list)."""
    redis = ctx.plan.get("redis")
    if not redis:
        return []
    names: list[str] = []
    if isinstance(redis, dict):
        names = list(redis.get("config_vars") or [])
    elif isinstance(redis, list):
        for item in redis:
            names += list(field_of(item, "config_vars", []) or [])
    names = [n for n in names if n in ("REDIS_URL", "REDIS_TLS_URL")] or ["REDIS_URL"]
    return sorted(set(names))


def _redis(ctx: StageContext, secrets: dict, owned: set) -> list[str]:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    variables = _redis_vars(ctx)
    if not variables:
        return []
    owned.update(variables)
    missing = [v for v in variables if v not in secrets]
    if not missing:
        return []
    name = f"{opts.fly_app}-redis"
    url = ctx.runtime.get("redis_url")
    if not url and state.created("redis"):
        url = fly.redis_status(name)  # internal/command/redis/status.go shows the URL
        if not url:
            raise FlyError(f"Redis {name} exists but `fly redis status {name}` shows no URL",
                           hint="Set it with `fly secrets set` and re-run")
        ctx.runtime["redis_url"] = url
    if not url:
        flyctl_plan = (ctx.plan.get("redis") or {}).get("flyctl_plan") if isinstance(ctx.plan.get("redis"), dict) \
            else None
        ctx.say(f"Creating Upstash Redis {name} ({flyctl_plan or 'pay-as-you-go'})")
        url = fly.redis_create(name, opts.org, opts.region, flyctl_plan)
        state.record("redis", {"name": name, "plan": flyctl_plan})
        if not url:
            raise FlyError(f"flyctl created Redis {name} but printed no URL",
                           hint=f"Re-run: the URL is read back with `fly redis status {name}`")
        ctx.runtime["redis_url"] = url
    # The URL exists only in this process now: retry a failed set before giving up.
    for attempt in range(3):
        try:
            fly.import_secrets(opts.fly_app, {v: url for v in missing}, stage=True)
            break
        except FlyError:
            if attempt == 2:
                raise
            time.sleep(2 * (attempt + 1))
    return [f"created Redis {name}; set {', '.join(missing)}"]


def _ips(ctx: StageContext) -> list[str]:
    opts, fly = ctx.options, ctx.fly
    if "http_service" in ctx.plan and not ctx.plan["http_service"]:
        return []  # nothing listens publicly (e.g. a worker-only app)
    kinds = {ip.get("Type") for ip in fly.ips(opts.fly_app)}
    changes = []
    if "v6" not in kinds:
        fly.allocate_ipv6(opts.fly_app)
        changes.append("allocated an IPv6 address")
    if not kinds & {"v4", "shared_v4"}:
        fly.allocate_shared_ipv4(opts.fly_app)
        changes.append("allocated a shared IPv4 address")
    return changes
