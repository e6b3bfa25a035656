"""database: the real transfer inside the Heroku maintenance window (pg15, fake flyctl)."""

from __future__ import annotations


import psycopg
import pytest

from herokufly.base.errors import HerokuflyError
from herokufly.stages import database, provision
from tests.unit.stages.conftest import FLY_APP, HEROKU_APP, base_plan, jobs_source


@pytest.fixture
def source(pg15, fake_heroku, monkeypatch):
    with jobs_source(pg15, fake_heroku, monkeypatch, rows=500) as url:
        yield url


def _heroku(fake_heroku):
    app = fake_heroku.apps[HEROKU_APP]
    return app["app"]["maintenance"], {f["type"]: f["quantity"] for f in app["formation"]}


def test_copies_inside_window_and_keeps_heroku_down(make_ctx, fake_fly, fake_heroku, source):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    result = database.run(make_ctx(plan))  # a later job: the URL comes from `mpg status`
    assert result.status == "done"
    target = fake_fly.vault()[FLY_APP]["DATABASE_URL"]
    with psycopg.connect(target) as conn:
        assert conn.execute("select count(*) from jobs").fetchone() == (500,)
    maintenance, formation = _heroku(fake_heroku)
    assert maintenance is True and formation == {"web": 2, "worker": 0}
    ctx = make_ctx(plan)
    assert ctx.state.heroku["window"]["scaled_down"] == {"worker": 1}
    assert database.run(ctx).status == "unchanged"


def test_failed_copy_reopens_heroku_and_restores_workers(make_ctx, fake_fly, fake_heroku, source, monkeypatch):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    monkeypatch.setenv(database.TARGET_URL_ENV, "postgres://nobody:wrong@127.0.0.1:1/none")
    with pytest.raises(HerokuflyError):
        database.run(make_ctx(plan))
    assert _heroku(fake_heroku) == (False, {"web": 2, "worker": 1})
    monkeypatch.delenv(database.TARGET_URL_ENV)
    assert database.run(make_ctx(plan)).status == "done"


def test_skipped_when_fly_keeps_the_heroku_database(make_ctx):
    result = database.run(make_ctx(postgres="keep-heroku"))
    assert result.status == "skipped" and "keep-heroku" in result.summary


def test_managed_cluster_is_copied_to_its_direct_address_through_mpg_proxy(
        make_ctx, fake_fly, fake_heroku, source, monkeypatch):
    """Not PgBouncer: `fly mpg proxy <cluster>` (the direct address), with credentials from
    `mpg status --json`; the proxy is stopped once the copy is done."""
    monkeypatch.setenv("FAKE_FLYCTL_PRIVATE_HOSTS", "1")
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    pooled = fake_fly.vault()[FLY_APP]["DATABASE_URL"]
    assert database.is_fly_private(pooled)
    result = database.run(make_ctx(plan))
    assert result.status == "done" and result.details["copy_path"]["path"] == "runner"
    [proxy] = [e for e in fake_fly.log() if e["command"] == "mpg proxy"]
    cluster_id = make_ctx(plan).state.created("postgres")["cluster_id"]
    assert proxy["argv"][:3] == ["mpg", "proxy", cluster_id]
    assert "--local-port" in proxy["argv"] and proxy["argv"][-2:] == ["--bind-addr", "127.0.0.1"]
    assert proxy["exit"] == 143  # stopped by herokufly once the copy was done
    assert not [e for e in fake_fly.log() if e["command"] == "proxy"]  # not `fly proxy` to PgBouncer
    assert len(fake_fly.calls("mpg databases extensions list")) == 1
    direct = pooled.replace(pooled.split("@")[1].split(":")[0], "127.0.0.1")
    with psycopg.connect(direct) as conn:
        assert conn.execute("select count(*) from jobs").fetchone() == (500,)


def test_proxy_is_stopped_when_the_copy_fails(make_ctx, fake_fly, fake_heroku, source, monkeypatch, pg15):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    # The target already holds an application table: preflight refuses, after the proxy opened.
    pooled = fake_fly.vault()[FLY_APP]["DATABASE_URL"]
    with psycopg.connect(pooled, autocommit=True) as conn:
        conn.execute("create table in_the_way (id int)")
    with pytest.raises(HerokuflyError, match="not empty"):
        database.run(make_ctx(plan))
    [proxy] = [e for e in fake_fly.log() if e["command"] == "mpg proxy"]
    assert proxy["exit"] == 143
    assert _heroku(fake_heroku) == (False, {"web": 2, "worker": 1})


def test_proxy_that_never_connects_fails_before_heroku_goes_down(
        make_ctx, fake_fly, fake_heroku, source, monkeypatch):
    from herokufly.talk import fly as flyctl

    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    monkeypatch.setenv("FAKE_FLYCTL_TUNNEL_DELAY", "30")
    monkeypatch.setattr(flyctl, "MPG_PROXY_OPEN_TIMEOUT", 1.0)
    ctx = make_ctx(plan)
    with pytest.raises(HerokuflyError, match="did not connect within 1s"):
        database.run(ctx)
    assert ctx.state.heroku.get("window") is None  # the maintenance window never opened
    assert _heroku(fake_heroku) == (False, {"web": 2, "worker": 1})


def test_unreadable_extension_list_falls_back_to_fly_documented_one(
        make_ctx, fake_fly, fake_heroku, source, monkeypatch):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    monkeypatch.setenv("FAKE_FLYCTL_FAIL", "mpg databases extensions list")
    lines: list[str] = []
    ctx = make_ctx(plan)
    ctx.say = lines.append
    assert database.run(ctx).status == "done"
    assert any("could not read the cluster's extension list" in ln and "documented list" in ln for ln in lines)


def test_a_fly_private_url_from_the_environment_goes_through_fly_proxy(
        make_ctx, fake_fly, fake_heroku, source, monkeypatch):
    """Unmanaged Postgres (or any Fly-private address given by hand): `fly proxy` to it."""
    monkeypatch.setenv("FAKE_FLYCTL_PRIVATE_HOSTS", "1")
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    private = fake_fly.vault()[FLY_APP]["DATABASE_URL"]
    monkeypatch.setenv(database.TARGET_URL_ENV, private)
    assert database.run(make_ctx(plan)).status == "done"
    [proxy] = [e for e in fake_fly.log() if e["command"] == "proxy"]
    assert proxy["exit"] == 143
    assert not [e for e in fake_fly.log() if e["command"] == "mpg proxy"]
