"""provision against the fake flyctl (real databases on the pg15 server)."""

from __future__ import annotations

import psycopg
import pytest

from herokufly.errors import ConfigError, FlyError
from herokufly.stages import provision
from tests.fakes.flyctl.harness import fail_once
from tests.unit.stages.conftest import FLY_APP, base_plan


@pytest.fixture
def pg_admin(pg15, monkeypatch, fake_heroku):
    monkeypatch.setenv("FAKE_FLYCTL_PG_ADMIN_URL", pg15.url())
    # the Heroku database provision measures (size, server version): a real one
    fake_heroku.apps["acme-phoenix"]["config_vars"]["DATABASE_URL"] = pg15.url()
    return pg15


def test_managed_provisioning_creates_app_db_redis_ips_once(make_ctx, fake_fly, pg_admin):
    ctx = make_ctx()
    result = provision.run(ctx)
    assert result.status == "done"
    fly = fake_fly.state()
    assert list(fly["apps"]) == [FLY_APP]
    assert [c["name"] for c in fly["mpg"].values()] == [f"{FLY_APP}-db"]
    vault = fake_fly.vault()[FLY_APP]
    # DATABASE_URL is attached and points at a real, reachable database
    with psycopg.connect(vault["DATABASE_URL"]) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert vault["REDIS_URL"] == vault["REDIS_TLS_URL"] and vault["REDIS_URL"].startswith("redis://")
    assert {ip["Type"] for ip in fly["apps"][FLY_APP]["ips"]} == {"v6", "shared_v4"}
    assert ctx.runtime["fly_database_url"] == vault["DATABASE_URL"]
    assert ctx.state.created("postgres")["kind"] == "managed"
    assert set(ctx.state.created(provision.OWNED_SECRETS_KEY)) == {"DATABASE_URL", "REDIS_URL", "REDIS_TLS_URL"}

    again = provision.run(make_ctx())
    assert again.status == "unchanged"
    after = fake_fly.state()
    assert len(after["mpg"]) == 1 and len(after["apps"]) == 1 and len(after["redis"]) == 1
    assert len(after["apps"][FLY_APP]["ips"]) == 2
    assert len(fake_fly.calls("apps create")) == 1 and len(fake_fly.calls("mpg create")) == 1


def test_failed_attach_resumes_without_a_second_cluster(make_ctx, fake_fly, pg_admin, monkeypatch):
    fail_once(monkeypatch, "mpg attach")
    with pytest.raises(FlyError, match="injected failure"):
        provision.run(make_ctx())
    assert "DATABASE_URL" not in fake_fly.state()["apps"][FLY_APP]["secrets"]
    assert provision.run(make_ctx()).status == "done"
    assert len(fake_fly.state()["mpg"]) == 1
    assert "DATABASE_URL" in fake_fly.state()["apps"][FLY_APP]["secrets"]


def test_unmanaged_postgres_app_is_created_and_attached(make_ctx, fake_fly, pg_admin):
    provision.run(make_ctx(base_plan(redis=None), postgres="unmanaged"))
    apps = fake_fly.state()["apps"]
    assert apps[f"{FLY_APP}-db"]["kind"] == "postgres"
    with psycopg.connect(fake_fly.vault()[FLY_APP]["DATABASE_URL"]) as conn:
        assert conn.execute("select current_user").fetchone()[0].startswith("acme_phoenix_fly_db")
    assert provision.run(make_ctx(base_plan(redis=None), postgres="unmanaged")).status == "unchanged"
    assert len(fake_fly.calls("postgres create")) == 1


def test_keep_heroku_points_fly_at_the_heroku_database(make_ctx, fake_fly, fake_heroku):
    provision.run(make_ctx(base_plan(redis=None), postgres="keep-heroku"))
    heroku_url = fake_heroku.apps["acme-phoenix"]["config_vars"]["DATABASE_URL"]
    assert fake_fly.vault()[FLY_APP]["DATABASE_URL"] == heroku_url
    assert not fake_fly.state()["mpg"]
    assert provision.run(make_ctx(base_plan(redis=None), postgres="keep-heroku")).status == "unchanged"


def test_invalid_app_name_fails_before_any_flyctl_call(make_ctx, fake_fly):
    ctx = make_ctx()
    ctx.options.fly_app = "Bad_Name"
    with pytest.raises(ConfigError, match="not a valid Fly app name"):
        provision.run(ctx)
    assert fake_fly.log() == []


def test_name_taken_by_another_org_is_one_clear_error(make_ctx, fake_fly, monkeypatch):
    monkeypatch.setenv("FAKE_FLYCTL_TAKEN_NAMES", FLY_APP)
    with pytest.raises(FlyError) as info:
        provision.run(make_ctx(postgres="none"))
    assert "already taken" in info.value.one_line() and "--fly-app" in info.value.one_line()


def test_fake_creates_real_databases_without_psql(make_ctx, fake_fly, pg_admin, monkeypatch):
    """The built-in protocol client (SCRAM auth) stands in where an image has no psql."""
    monkeypatch.setenv("FAKE_FLYCTL_PG_CLIENT", "wire")
    provision.run(make_ctx(base_plan(redis=None)))
    with psycopg.connect(fake_fly.vault()[FLY_APP]["DATABASE_URL"]) as conn:
        assert conn.execute("select current_database()").fetchone()[0].startswith("acme_phoenix_fly_db")
