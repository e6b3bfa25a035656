"""make_plan: mapping of dynos, regions and commands; config split; estimate; rendering."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from herokufly import pricing
from herokufly.errors import ConfigError
from herokufly.inventory import Addon, Domain, Formation, HerokuApp, Inventory, Repo
from herokufly.plan import DYNO_TO_VM, PlanOptions, inventory_from_repo, make_plan
from herokufly.repo import read_repo
from herokufly.report import render_plan_markdown, render_plan_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "phoenix_app"

ISSUE_KEYS = {
    "heroku_app", "fly_app", "region", "framework", "processes", "release_command", "vm",
    "secrets", "excluded_config", "postgres", "redis", "domains", "manual_steps", "estimate",
    "stages",
}


def phoenix_repo(**changes) -> Repo:
    repo = Repo(
        path="/x", framework="phoenix",
        procfile={"web": "mix phx.server", "worker": "mix run --no-halt", "release": "mix ecto.migrate"},
        mix_app="acme", mix_module="Acme", has_oban=True, has_ecto=True,
        elixir_version="1.17.3", otp_version="27.1.2", versions_source=".tool-versions",
    )
    for key, value in changes.items():
        setattr(repo, key, value)
    return repo


def online_inventory(**changes) -> Inventory:
    inventory = Inventory(
        heroku_app_name="acme-phoenix",
        app=HerokuApp(name="acme-phoenix", region="us", stack="heroku-24"),
        repo=phoenix_repo(),
        config_var_names=[
            "DATABASE_URL", "HEROKU_POSTGRESQL_GOLD_URL", "REDIS_URL", "REDIS_TLS_URL",
            "SECRET_KEY_BASE", "PORT", "HEROKU_APP_NAME", "HEROKU_RELEASE_VERSION",
            "HEROKU_SLUG_COMMIT", "HEROKU_DYNO_ID", "PAPERTRAIL_API_TOKEN", "STRIPE_KEY",
        ],
        addons=[
            Addon("postgresql-curved-1", "heroku-postgresql", "heroku-postgresql:standard-0",
                  ["DATABASE_URL", "HEROKU_POSTGRESQL_GOLD_URL"], 5000),
            Addon("redis-rigid-2", "heroku-redis", "heroku-redis:premium-0",
                  ["REDIS_URL", "REDIS_TLS_URL"], 1500),
            Addon("papertrail-3", "papertrail", "papertrail:fixa", ["PAPERTRAIL_API_TOKEN"], 700),
            Addon("scheduler-4", "scheduler", "scheduler:standard", [], 0),
            Addon("weird-5", "acme-widgets", "acme-widgets:pro", [], None),
        ],
        formation=[
            Formation("web", 2, "Standard-2X", "mix phx.server"),
            Formation("worker", 1, "Performance-M", "mix run --no-halt"),
        ],
        domains=[
            Domain("acme-phoenix.herokuapp.com", "heroku"),
            Domain("www.acme.test", "custom", "x.herokudns.com"),
        ],
    )
    for key, value in changes.items():
        setattr(inventory, key, value)
    return inventory


def test_plan_has_the_issue_keys_and_is_json():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix")).to_dict()
    assert ISSUE_KEYS <= set(plan)
    assert json.loads(json.dumps(plan)) == plan
    assert {"heroku_monthly_usd", "fly_monthly_usd", "items", "prices_date", "source"} <= set(plan["estimate"])


def test_phoenix_processes_release_and_vms():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix"))
    assert plan.processes == {"app": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert plan.process_sources == {"app": "web", "worker": "worker"}
    assert plan.release_command == "/app/bin/migrate"
    assert plan.vm["app"] == {
        "size": "shared-cpu-2x", "cpu_kind": "shared", "cpus": 2, "memory_mb": 1024, "count": 2,
        "heroku_size": "Standard-2X", "heroku_quantity": 2,
    }
    assert plan.vm["worker"]["size"] == "performance-2x"
    assert plan.vm["worker"]["memory_mb"] >= 2560
    assert plan.http_service["internal_port"] == 4000
    assert plan.http_service["processes"] == ["app"]
    assert plan.http_service["min_machines_running"] == 2
    assert plan.env == {"PORT": "4000", "PHX_HOST": "acme-phoenix.fly.dev"}
    assert plan.build["mode"] == "dockerfile"
    assert plan.build["image"] == "hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20250113-slim"


@pytest.mark.parametrize("dyno", sorted(pricing.prices()["heroku"]["dynos"]))
def test_no_vm_gets_less_memory_than_its_dyno(dyno):
    inventory = online_inventory(formation=[Formation("web", 1, dyno, "mix phx.server")])
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.vm["app"]["memory_mb"] >= pricing.heroku_dyno(dyno)["memory_mb"]
    assert dyno in DYNO_TO_VM
    # Fly's limits: memory a multiple of 256 MB and within the preset's range.
    vm = plan.vm["app"]
    assert vm["memory_mb"] % 256 == 0
    per_cpu_max = 2048 if vm["cpu_kind"] == "shared" else 8192
    assert vm["memory_mb"] <= per_cpu_max * vm["cpus"]


def test_unknown_dyno_size_is_noted_not_fatal():
    inventory = online_inventory(formation=[Formation("web", 1, "Mega-9X", "mix phx.server")])
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.vm["app"]["memory_mb"] == 1024
    assert any("Mega-9X" in note or "mega-9x" in note for note in plan.notes)


@pytest.mark.parametrize(
    "region, space, expected",
    [("us", None, "iad"), ("eu", None, "lhr"), ("tokyo", "acme-space", "nrt"), ("oregon", "s", "sjc")],
)
def test_region_mapping(region, space, expected):
    inventory = online_inventory(app=HerokuApp(name="acme-phoenix", region=region, space=space))
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.region == expected
    if space:
        assert any(step["item"].startswith("Private Space") for step in plan.manual_steps)


def test_region_option_wins_and_is_validated():
    inventory = online_inventory(app=HerokuApp(name="acme-phoenix", region="eu"))
    assert make_plan(inventory, PlanOptions(heroku_app="acme-phoenix", region="fra")).region == "fra"
    with pytest.raises(ConfigError, match="not a Fly region"):
        make_plan(inventory, PlanOptions(heroku_app="acme-phoenix", region="nowhere"))


def test_fly_app_name_defaults_and_validation():
    assert make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix")).fly_app == "acme-phoenix"
    assert make_plan(online_inventory(), PlanOptions(heroku_app="x", fly_app="shop-1")).fly_app == "shop-1"
    with pytest.raises(ConfigError, match="not a valid Fly app name"):
        make_plan(online_inventory(), PlanOptions(heroku_app="x", fly_app="Shop_1"))


def test_config_split_into_secrets_and_excluded():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix"))
    assert plan.secrets == ["SECRET_KEY_BASE", "STRIPE_KEY"]
    excluded = {e["name"]: e["reason"] for e in plan.excluded_config}
    assert set(excluded) == {
        "DATABASE_URL", "HEROKU_POSTGRESQL_GOLD_URL", "REDIS_URL", "REDIS_TLS_URL", "PORT",
        "HEROKU_APP_NAME", "HEROKU_RELEASE_VERSION", "HEROKU_SLUG_COMMIT", "HEROKU_DYNO_ID",
        "PAPERTRAIL_API_TOKEN",
    }
    assert "papertrail" in excluded["PAPERTRAIL_API_TOKEN"]
    assert all(reason for reason in excluded.values())


def test_keep_heroku_copies_database_url_and_skips_database_stage():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix", postgres="keep-heroku"))
    assert "DATABASE_URL" in plan.secrets
    assert plan.postgres["target"] == "keep-heroku"
    assert "database" not in plan.stages
    assert any(i["item"].startswith("Heroku Postgres kept") for i in plan.estimate["items"])


def test_postgres_none_and_managed_and_unmanaged():
    none = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix", postgres="none"))
    assert none.postgres is None and "database" not in none.stages
    assert "DATABASE_URL" in {e["name"] for e in none.excluded_config}
    managed = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix"))
    assert managed.postgres.items() >= {
        "source_addon": "postgresql-curved-1", "source_plan": "heroku-postgresql:standard-0",
        "target": "managed", "config_var": "DATABASE_URL", "name": "acme-phoenix-db",
        "plan": "launch", "region": "iad", "pg_major": 17,
    }.items()
    assert managed.stages == ["provision", "secrets", "database", "deploy", "domains"]
    unmanaged = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix", postgres="unmanaged"))
    assert unmanaged.postgres["target"] == "unmanaged" and "database" in unmanaged.stages
    with pytest.raises(ConfigError, match="--postgres"):
        make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix", postgres="mysql"))


def test_managed_postgres_moves_to_an_mpg_region():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix", region="ewr"))
    assert plan.region == "ewr" and plan.postgres["region"] == "iad"


def test_redis_domains_and_manual_steps():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix"))
    assert plan.redis["target"] == "upstash"
    assert plan.redis["config_vars"] == ["REDIS_TLS_URL", "REDIS_URL"]
    assert plan.redis["source_plan"] == "heroku-redis:premium-0"
    assert plan.domains == ["www.acme.test"]
    items = [s["item"] for s in plan.manual_steps]
    assert "Heroku Scheduler jobs" in items
    assert any("papertrail" in i for i in items)
    assert any("acme-widgets" in i for i in items)
    assert all(set(s) == {"item", "why", "how"} for s in plan.manual_steps)


def test_estimate_totals_and_date():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix"))
    estimate = plan.estimate
    # 2 x Standard-2X + 1 x Performance-M + billed add-ons (50 + 15 + 7 + 0); widgets unpriced.
    assert estimate["heroku_monthly_usd"] == 100 + 250 + 50 + 15 + 7
    assert estimate["complete"] is False
    fly_items = [i for i in estimate["items"] if i["side"] == "fly"]
    assert round(sum(i["monthly_usd"] for i in fly_items), 2) == estimate["fly_monthly_usd"]
    assert estimate["prices_date"] == pricing.taken()
    assert estimate["source"]["fly_machines"].startswith("https://fly.io/")


def test_buildpack_mode_for_other_frameworks():
    repo = Repo(path="/x", framework="rails", procfile={"web": "bundle exec puma -C config/puma.rb",
                                                         "release": "bin/rails db:migrate"})
    inventory = online_inventory(repo=repo, app=HerokuApp(name="shop", region="eu", stack="heroku-22",
                                                          buildpacks=["heroku/ruby", "https://x/custom.tgz"]))
    plan = make_plan(inventory, PlanOptions(heroku_app="shop"))
    assert plan.build["mode"] == "buildpacks" and plan.build["builder"] == "heroku/builder:22"
    assert plan.processes["app"] == "mix phx.server"  # formation's command wins over the Procfile
    assert plan.release_command == "bin/rails db:migrate"
    assert plan.http_service["internal_port"] == 8080
    assert any("Cloud Native Buildpacks" in n for n in plan.notes)
    assert any(s["item"] == "Custom buildpacks" for s in plan.manual_steps)


def test_offline_plan_from_example_repo():
    inventory = inventory_from_repo(read_repo(EXAMPLE), "acme-phoenix")
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.offline and plan.offline_unknowns
    assert plan.region == "iad"
    assert plan.vm["app"]["count"] == 2 and plan.vm["app"]["heroku_size"] == "standard-2x"
    assert plan.postgres["source_plan"] == "heroku-postgresql:essential-1"
    assert plan.postgres["plan"] == "basic"
    assert plan.redis["config_vars"] == ["REDIS_URL"]
    assert "SECRET_KEY_BASE" in plan.secrets and "DATABASE_URL" not in plan.secrets
    assert any(s["item"] == "Review apps and pipelines" for s in plan.manual_steps)


def test_no_secret_value_in_plan_or_renderings(canary):
    """Values (here app.json `value`s) never enter a plan; only names do."""
    repo = read_repo(EXAMPLE)
    repo.app_json = json.loads(json.dumps(repo.app_json))
    repo.app_json["env"]["STRIPE_API_KEY"] = {"value": canary}
    repo.app_json["env"]["CANARY_URL"] = {"value": f"postgres://u:{canary}@h/db"}
    plan = make_plan(inventory_from_repo(repo, "acme-phoenix"), PlanOptions(heroku_app="acme-phoenix"))
    outputs = [json.dumps(plan.to_dict()), render_plan_text(plan.to_dict()),
               render_plan_markdown(plan.to_dict())]
    assert "CANARY_URL" in plan.secrets
    for out in outputs:
        assert canary not in out


def test_renderings_show_the_plan():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix")).to_dict()
    text = render_plan_text(plan)
    markdown = render_plan_markdown(plan)
    for out in (text, markdown):
        assert "acme-phoenix" in out and "/app/bin/server" in out and "SECRET_KEY_BASE" in out
        assert pricing.taken() in out
        assert "Heroku Scheduler jobs" in out
    assert markdown.startswith("## herokufly plan")
    assert "| `app` | `web` | `/app/bin/server` |" in markdown
    for out in (text, markdown):
        assert not re.search(r"\$\{?[a-z_]+", out)  # every template slot was filled
    assert "Offline plan" not in markdown


def test_markdown_escapes_table_cells():
    plan = make_plan(online_inventory(formation=[Formation("web", 1, "basic", "bin/web | tee log")]),
                     PlanOptions(heroku_app="acme-phoenix", postgres="none")).to_dict()
    plan["processes"]["app"] = "bin/web | tee log"
    assert "bin/web \\| tee log" in render_plan_markdown(plan)


def test_phoenix_without_procfile_gets_a_web_process_and_zero_dynos_are_noted():
    inventory = online_inventory(repo=phoenix_repo(procfile={}),
                                 formation=[Formation("worker", 0, "Standard-1X", "mix run --no-halt")])
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.processes == {"app": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert plan.vm["worker"]["count"] == 0
    assert any("0 dynos" in n for n in plan.notes)
    assert any("mix phx.server" in n for n in plan.notes)


def test_unknown_mix_command_is_flagged():
    inventory = online_inventory(formation=[Formation("web", 1, "basic", "mix phx.server"),
                                            Formation("clock", 1, "basic", "mix run priv/clock.exs")])
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.processes["clock"] == "/app/bin/acme start"
    assert any("clock" in n and "needs Mix" in n for n in plan.notes)


def test_offline_plan_of_the_rails_example_uses_buildpacks():
    repo = read_repo(EXAMPLE.parent / "rails_app")
    plan = make_plan(inventory_from_repo(repo, "shop-rails"), PlanOptions(heroku_app="shop-rails"))
    assert plan.framework == "rails"
    assert plan.build == {"mode": "buildpacks", "builder": "heroku/builder:24", "stack": "heroku-24",
                          "heroku_buildpacks": []}
    assert plan.processes == {"app": "bundle exec puma -C config/puma.rb",
                              "worker": "bundle exec sidekiq -C config/sidekiq.yml"}
    assert plan.release_command == "bin/rails db:migrate"
    assert {"SENDGRID_USERNAME", "SENDGRID_PASSWORD", "SENDGRID_API_KEY"} <= {e["name"] for e in plan.excluded_config}
    assert any(s["item"] == "Mail add-on sendgrid" for s in plan.manual_steps)
