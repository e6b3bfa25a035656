"""secrets against the fake flyctl and the fake Heroku API."""

from __future__ import annotations

from herokufly.stages import secrets
from tests.unit.stages.conftest import FLY_APP, HEROKU_APP

AWKWARD = {
    "SECRET_KEY_BASE": 'q"u\'o=t $HOME `id` # x',
    "PHX_HOST": "  spaced  ",
    "POOL_SIZE": "ünïcødé ✓",
    "APNS_AUTH_KEY": "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBB\n-----END PRIVATE KEY-----\n",
}


def _setup(fake_fly):
    fake_fly.client().create_app(FLY_APP, "personal")


def test_copies_exact_values_excludes_database_url_and_reports_names(make_ctx, fake_fly, fake_heroku, canary):
    _setup(fake_fly)
    fake_heroku.set_config_vars(HEROKU_APP, dict(AWKWARD, SENTRY_DSN=canary))
    lines = []
    ctx = make_ctx()
    ctx.say = lines.append
    result = secrets.run(ctx)
    assert result.status == "done"
    vault = fake_fly.vault()[FLY_APP]
    for name, value in AWKWARD.items():
        assert vault[name] == value
    assert vault["SENTRY_DSN"] == canary
    assert "DATABASE_URL" not in vault and "REDIS_URL" not in vault
    assert result.details["set"] == sorted(AWKWARD) + ["SENTRY_DSN"] or set(result.details["set"]) == set(vault)
    text = "\n".join(lines) + repr(result.to_dict()) + ctx.state.path.read_text() + fake_fly.log_path.read_text()
    assert canary not in text
    for value in AWKWARD.values():
        assert value not in ctx.state.path.read_text()


def test_rerun_sets_only_what_changed(make_ctx, fake_fly, fake_heroku):
    _setup(fake_fly)
    fake_heroku.set_config_vars(HEROKU_APP, AWKWARD)
    secrets.run(make_ctx())
    imports = len(fake_fly.calls("secrets import"))
    again = secrets.run(make_ctx())
    assert again.status == "unchanged"
    assert len(fake_fly.calls("secrets import")) == imports

    fake_heroku.set_config_vars(HEROKU_APP, {"POOL_SIZE": "30"})
    changed = secrets.run(make_ctx())
    assert changed.details["set"] == ["POOL_SIZE"]
    assert fake_fly.vault()[FLY_APP]["POOL_SIZE"] == "30"

    # someone changed it on Fly by hand: Fly's digest moved, so it is set back
    fake_fly.client().run(["secrets", "set", "--app", FLY_APP, "--stage", "PHX_HOST=-"], stdin="manual")
    fixed = secrets.run(make_ctx())
    assert fixed.details["set"] == ["PHX_HOST"]
    assert fake_fly.vault()[FLY_APP]["PHX_HOST"] == AWKWARD["PHX_HOST"]


def test_never_overwrites_provisioned_urls(make_ctx, fake_fly, fake_heroku):
    _setup(fake_fly)
    ctx = make_ctx()
    ctx.plan["secrets"] = ctx.plan["secrets"] + ["REDIS_URL", "DATABASE_URL"]
    ctx.plan["excluded_config"] = []
    ctx.state.record("provisioned_secret_names", ["REDIS_URL"])
    result = secrets.run(ctx)
    assert "REDIS_URL" not in fake_fly.vault()[FLY_APP] and "DATABASE_URL" not in fake_fly.vault()[FLY_APP]
    assert set(result.details["excluded"]) == {"REDIS_URL", "DATABASE_URL"}
