"""Fixtures for stage tests: the fake flyctl, the fake Heroku API over HTTP, a context."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import psycopg

import pytest

from herokufly.talk.heroku import HerokuClient
from herokufly.stages.base import MigrateOptions, StageContext
from herokufly.act.state import MigrationState
from tests.fakes.flyctl.harness import FakeFly
from tests.fakes.heroku_api import FakeHeroku

SEED = Path(__file__).parents[2] / "fakes" / "heroku_seed_phoenix.json"
HEROKU_APP = "acme-phoenix"
FLY_APP = "acme-phoenix-fly"


@pytest.fixture
def fake_fly(tmp_path, monkeypatch) -> FakeFly:
    fly = FakeFly(tmp_path / "fly")
    fly.dir.mkdir()
    fly.install(monkeypatch)
    return fly


@pytest.fixture
def fake_heroku():
    with FakeHeroku(token="heroku-test-key") as heroku:
        heroku.load_seed(SEED)
        yield heroku


@pytest.fixture
def heroku_client(fake_heroku):
    with HerokuClient(fake_heroku.url, "heroku-test-key") as client:
        yield client


def base_plan(**overrides) -> dict:
    plan = {
        "heroku_app": HEROKU_APP, "fly_app": FLY_APP, "org": "personal", "region": "iad",
        "processes": {"app": "/app/bin/server", "worker": "/app/bin/worker"},
        "http_service": {"internal_port": 4000, "processes": ["app"]},
        "secrets": ["SECRET_KEY_BASE", "PHX_HOST", "POOL_SIZE", "APNS_AUTH_KEY", "SENTRY_DSN"],
        "excluded_config": [{"name": "DATABASE_URL", "reason": "set by Fly"},
                            {"name": "REDIS_URL", "reason": "provision"},
                            {"name": "REDIS_TLS_URL", "reason": "provision"}],
        "postgres": {"target": "managed", "config_var": "DATABASE_URL", "name": f"{FLY_APP}-db"},
        "redis": {"name": f"{FLY_APP}-redis", "config_vars": ["REDIS_TLS_URL", "REDIS_URL"]},
        "domains": ["acme.test", "www.acme.test"],
    }
    plan.update(overrides)
    return plan


@pytest.fixture
def make_ctx(tmp_path, fake_fly, heroku_client):
    def make(plan: dict | None = None, **options) -> StageContext:
        opts = MigrateOptions(heroku_app=HEROKU_APP, fly_app=FLY_APP, **options)
        state = MigrationState.load(tmp_path / "state.json", heroku_app=HEROKU_APP, fly_app=FLY_APP)
        return StageContext(options=opts, plan=plan or base_plan(), state=state,
                            fly=fake_fly.client(), heroku_factory=lambda: heroku_client,
                            say=lambda line: None)
    return make


@contextlib.contextmanager
def jobs_source(pg15, fake_heroku, monkeypatch, rows: int):
    """A source database with `rows` Oban-like jobs, named by Heroku's DATABASE_URL."""
    monkeypatch.setenv("FAKE_FLYCTL_PG_ADMIN_URL", pg15.url())
    name = "src_" + uuid.uuid4().hex[:8]
    url = pg15.create_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table jobs (id serial primary key, state text, args jsonb)")
        conn.execute("insert into jobs (state, args) select 'available', jsonb_build_object('n', g) "
                     "from generate_series(1, %s) g", (rows,))
    fake_heroku.set_config_vars(HEROKU_APP, {"DATABASE_URL": url})
    try:
        yield url
    finally:
        pg15.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
