"""provision against the fake flyctl (real databases on the pg15 server)."""

from __future__ import annotations

import psycopg
import pytest

from herokufly.base.errors import ConfigError, FlyError
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


def _mpg_plan(**extra):
    pg = {"target": "managed", "config_var": "DATABASE_URL", "name": f"{FLY_APP}-db", "plan": "launch",
          "region": "iad", "volume_gb": 10, "volume_headroom": 1.5, "source_storage_limit_gb": 64,
          "pg_major": 17}
    pg.update(extra)
    return base_plan(postgres=pg, redis=None)


def test_managed_cluster_gets_plan_volume_and_version_from_the_source(make_ctx, fake_fly, pg_admin):
    lines = []
    ctx = make_ctx(_mpg_plan())
    ctx.say = lines.append
    provision.run(ctx)
    argv = fake_fly.calls("mpg create")[0]
    flags = dict(zip(argv[2::2], argv[3::2]))
    assert flags["--plan"] == "launch" and flags["--region"] == "iad"
    assert flags["--pg-major-version"] == "16"  # the pg15 source, raised to the lowest Fly offers
    assert int(flags["--volume-size"]) == 10  # a tiny source: the minimum
    assert any("Heroku database:" in line and "Postgres 15" in line for line in lines)
    assert ctx.state.created("postgres_size") == {"plan": "launch", "volume_gb": 10, "pg_major": 16}


def test_unreachable_source_is_sized_from_the_heroku_plan(make_ctx, fake_fly, pg_admin, fake_heroku):
    fake_heroku.apps["acme-phoenix"]["config_vars"]["DATABASE_URL"] = "postgres://u:pw@127.0.0.1:1/db"
    lines = []
    ctx = make_ctx(_mpg_plan())
    ctx.say = lines.append
    provision.run(ctx)
    argv = fake_fly.calls("mpg create")[0]
    assert argv[argv.index("--volume-size") + 1] == "64" and argv[argv.index("--pg-major-version") + 1] == "17"
    assert any("Could not measure the Heroku database" in line for line in lines)
    assert not any("pw@" in line for line in lines)


@pytest.mark.parametrize("kind", ["deploy", "user"])
def test_wrong_token_stops_provision_before_anything_is_created(make_ctx, fake_fly, kind):
    from tests.fakes.flyctl.harness import USER_TOKEN, deploy_token

    ctx = make_ctx()
    ctx.fly = fake_fly.client(token=deploy_token(FLY_APP) if kind == "deploy" else USER_TOKEN)
    with pytest.raises(FlyError) as info:
        provision.run(ctx)
    assert "fly tokens create org" in info.value.one_line()
    assert fake_fly.state()["apps"] == {} and fake_fly.state().get("mpg", {}) == {}
    assert [c[:2] for c in fake_fly.calls()] == [["mpg", "list"]]


def test_existing_redis_url_is_read_back_not_refused(make_ctx, fake_fly, pg_admin):
    ctx = make_ctx(base_plan(postgres=None, redis={"name": f"{FLY_APP}-redis", "config_vars": ["REDIS_URL"],
                                                    "flyctl_plan": "Fixed 250MB"}), postgres="none")
    fake_fly.client().create_app(FLY_APP, "personal")
    url = fake_fly.client().redis_create(f"{FLY_APP}-redis", "personal", "iad", "Fixed 250MB")
    ctx.state.record("redis", {"name": f"{FLY_APP}-redis"})  # an earlier run created it, then stopped
    assert provision.run(ctx).status == "done"
    assert fake_fly.vault()[FLY_APP]["REDIS_URL"] == url
    assert len(fake_fly.calls("redis create")) == 1 and fake_fly.calls("redis status")
