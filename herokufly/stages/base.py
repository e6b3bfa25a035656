"""What every stage gets and returns; stages never import each other.

A stage module exposes `NAME` and `run(ctx) -> StageResult`. `run` looks at
what already exists (on Fly, on Heroku, in the state), applies only what is
missing, records it in the state, and returns what it changed. Running it
again after success changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from herokufly.base import console, masking
from herokufly.base.errors import HerokuError


@dataclass
class MigrateOptions:
    heroku_app: str
    fly_app: str
    org: str = "personal"
    region: str = "iad"
    postgres: str = "managed"  # managed | unmanaged | keep-heroku | none
    repo: str = "."
    fly_toml: str | None = None  # default <repo>/fly.toml
    smoke_url: str | None = None
    smoke_check: bool = True
    smoke_attempts: int = 10
    smoke_delay: float = 3.0
    scale_workers_during_copy: bool = True
    keep_maintenance_on_failure: bool = False
    reopen_heroku_after_copy: bool = False
    transfer_jobs: int | None = None
    verify: str = "counts"
    force_copy: bool = False
    copy_on_fly: str = "auto"  # auto | always | never: copy on a Fly Machine (pg/remote.py)
    copy_image: str | None = None  # herokufly's image for that Machine (default pg/remote.py)
    deploy_timeout: float = 1800.0


@dataclass
class StageResult:
    status: str  # "done" | "unchanged" | "skipped"
    summary: str  # one line, no secret values
    changes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"status": self.status, "summary": self.summary, "changes": self.changes,
                "details": self.details}


@dataclass
class StageContext:
    options: MigrateOptions
    plan: dict
    state: "object"  # herokufly.act.state.MigrationState
    fly: "object"  # herokufly.talk.fly.FlyClient
    heroku_factory: Callable[[], object]
    # In-memory hand-over between stages of one run (e.g. a connection string
    # flyctl printed once). Never written anywhere.
    runtime: dict = field(default_factory=dict)
    say: Callable[[str], None] = console.err
    _heroku: object | None = None

    @property
    def heroku(self):
        if self._heroku is None:
            self._heroku = self.heroku_factory()
        return self._heroku


def field_of(obj, name: str, default=None):
    """Read `name` from a dataclass or a dict (Heroku client results come as either)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def formation_quantities(formation) -> dict[str, int]:
    """{process type: quantity} from the Heroku client's formation list."""
    return {field_of(f, "type"): int(field_of(f, "quantity", 0) or 0) for f in formation or []}


def heroku_database_url(ctx: "StageContext", hint: str) -> str:
    """The Heroku app's database URL (the plan's config var), registered with masking."""
    var = ((ctx.plan.get("postgres") or {}).get("config_var")) or "DATABASE_URL"
    url = ctx.heroku.config_vars(ctx.options.heroku_app, [var]).get(var)
    if not url:
        raise HerokuError(f"Heroku app {ctx.options.heroku_app} has no {var}", hint=hint)
    masking.register(url)
    return url
