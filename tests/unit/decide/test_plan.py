"""make_plan: mapping of dynos, regions and commands; config split; estimate; rendering."""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
from pathlib import Path

import pytest

from herokufly.decide import pricing
from herokufly.base.errors import ConfigError
from herokufly.base.inventory import Addon, Domain, Formation, HerokuApp, Inventory, Repo
from herokufly.decide.plan import (DYNO_TO_VM, PlanOptions, inventory_from_repo, make_plan,
                                    one_off_task)
from herokufly.talk.repo import read_repo
from herokufly.report import render_plan_markdown, render_plan_text

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "phoenix_app"

ISSUE_KEYS = {
    "heroku_app", "fly_app", "region", "framework", "processes", "release_command", "vm",
    "secrets", "excluded_config", "postgres", "redis", "domains", "manual_steps", "estimate",
    "stages",
}


@functools.cache
def _example_as_read() -> Repo:
    return read_repo(EXAMPLE)


def example_repo() -> Repo:
    """The shipped Phoenix example as `plan --repo` reads it: web, worker and release in its
    Procfile, Ecto + Oban, Elixir 1.17.3 / OTP 27.1.2 pinned, runtime.exs, a /health route."""
    return copy.deepcopy(_example_as_read())


def example_copy(tmp_path: Path, **files: str | None) -> Repo:
    """The example copied to tmp_path with `files` (relative path -> text, None deletes) changed,
    read through read_repo."""
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)
    for rel, text in files.items():
        if text is None:
            (root / rel).unlink()
        else:
            (root / rel).write_text(text)
    return read_repo(root)


def online_inventory(**changes) -> Inventory:
    inventory = Inventory(
        heroku_app_name="acme-phoenix",
        app=HerokuApp(name="acme-phoenix", region="us", stack="heroku-24"),
        repo=example_repo(),
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
    assert plan.framework == "phoenix"
    assert plan.framework_evidence and plan.framework_evidence[0].startswith("mix.exs: depends on :phoenix")
    # runtime.exs and processes that map onto it: a Mix release (frameworks/phoenix.py).
    assert plan.build["elixir_mode"] == "release" and "runtime.exs" in plan.build["mode_reason"]
    assert plan.processes == {"app": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert plan.process_sources == {"app": "web", "worker": "worker"}
    assert plan.release_command == "/app/bin/migrate"
    assert plan.release["replaced"] == "`mix ecto.migrate` runs as `/app/bin/migrate`"
    assert {group: check["replaced"] for group, check in plan.process_checks.items()} == {
        "app": "`mix phx.server` runs as `/app/bin/server` in the Mix release",
        "worker": "`mix run --no-halt` runs as `/app/bin/acme start` in the Mix release"}
    assert plan.vm["app"] == {
        "size": "shared-cpu-2x", "cpu_kind": "shared", "cpus": 2, "memory_mb": 1024, "count": 2,
        "heroku_size": "Standard-2X", "heroku_quantity": 2,
    }
    assert plan.vm["worker"]["size"] == "performance-2x"
    assert plan.vm["worker"]["memory_mb"] >= 2560
    assert plan.http_service["internal_port"] == 4000
    assert plan.http_service["processes"] == ["app"]
    assert plan.http_service["min_machines_running"] == 2
    # The route the app serves, with the header Fly's proxy adds (force_ssl would redirect).
    assert plan.http_service["health_check_path"] == "/health"
    assert plan.http_service["health_check_headers"] == {"X-Forwarded-Proto": "https"}
    # Framework variables the example's runtime.exs reads, and only those. PHX_HOST is the
    # app's custom domain: it also decides check_origin, so LiveView keeps working after cutover.
    assert plan.env == {"PORT": "4000", "PHX_HOST": "www.acme.test", "ECTO_IPV6": "true",
                        "DNS_CLUSTER_QUERY": "acme-phoenix.internal"}
    assert plan.build["mode"] == "dockerfile" and plan.build["generated"] is True
    # The pinned versions (elixir_buildpack.config), on a base image tag that exists.
    assert (plan.build["elixir_version"], plan.build["otp_version"]) == ("1.17.3", "27.1.2")
    assert plan.build["versions_source"] == "elixir_buildpack.config"
    assert plan.build["image"]["builder"] == (
        "hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241202-slim")
    assert plan.build["image"]["evidence"] == "seen"


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


def test_buildpack_mode_for_other_frameworks(tmp_path):
    (tmp_path / "Gemfile").write_text("source 'https://rubygems.org'\ngem 'rails'\n")
    (tmp_path / "Procfile").write_text("web: bundle exec puma -C config/puma.rb\n"
                                       "release: bin/rails db:migrate\n")
    inventory = online_inventory(repo=read_repo(tmp_path),
                                 app=HerokuApp(name="shop", region="eu", stack="heroku-22",
                                               buildpacks=["heroku/ruby", "https://x/custom.tgz"]))
    plan = make_plan(inventory, PlanOptions(heroku_app="shop"))
    assert plan.framework == "rails"
    assert plan.build["mode"] == "buildpacks" and plan.build["builder"] == "heroku/builder:22"
    # The formation's command wins over the Procfile; one word, as the CNB launcher needs.
    assert plan.processes["app"] == "'mix phx.server'"
    assert plan.release_command == "'bin/rails db:migrate'"
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


def test_phoenix_without_procfile_gets_a_web_process_and_zero_dynos_are_noted(tmp_path):
    inventory = online_inventory(repo=example_copy(tmp_path, Procfile=None),
                                 formation=[Formation("worker", 0, "Standard-1X", "mix run --no-halt")])
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.processes == {"app": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert plan.vm["worker"]["count"] == 0
    assert any("0 dynos" in n for n in plan.notes)
    # The web process Heroku's Phoenix static buildpack ran (the example's last buildpack).
    assert any("No web process in the Procfile" in n and "mix phx.server" in n for n in plan.notes)
    # No release line and a database: the migration is proposed.
    assert plan.release_command == "/app/bin/migrate" and plan.release["proposed"] is True


def test_a_mix_command_the_release_cannot_run_keeps_mix():
    inventory = online_inventory(formation=[Formation("web", 1, "basic", "mix phx.server"),
                                            Formation("clock", 1, "basic", "mix run priv/clock.exs")])
    plan = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix"))
    assert plan.build["elixir_mode"] == "mix"
    assert "mix run priv/clock.exs" in plan.build["mode_reason"]
    assert any(n.startswith("Build: Mix, as on Heroku") and "clock" in n for n in plan.notes)
    assert plan.processes["clock"] == "mix run priv/clock.exs"
    assert plan.process_checks["clock"]["runs_heroku_line"] is True
    assert plan.release_command == "mix ecto.migrate"


def test_offline_plan_of_the_rails_example_uses_buildpacks():
    repo = read_repo(EXAMPLE.parent / "rails_app")
    plan = make_plan(inventory_from_repo(repo, "shop-rails"), PlanOptions(heroku_app="shop-rails"))
    assert plan.framework == "rails"
    assert plan.build == {"mode": "buildpacks", "builder": "heroku/builder:24", "stack": "heroku-24",
                          "heroku_buildpacks": [], "runtime": {
                              "language": "ruby", "version": "3.3.5", "source": "Gemfile",
                              "supported": True}}
    assert plan.processes == {"app": "'bundle exec puma -C config/puma.rb'",
                              "worker": "'bundle exec sidekiq -C config/sidekiq.yml'"}
    assert plan.release_command == "'bin/rails db:migrate'"
    assert {"SENDGRID_USERNAME", "SENDGRID_PASSWORD", "SENDGRID_API_KEY"} <= {e["name"] for e in plan.excluded_config}
    assert any(s["item"] == "Mail add-on sendgrid" for s in plan.manual_steps)


# Mix projects that repo.py reads as Phoenix while frameworks/_mix.py finds no Phoenix app.
MIX_READ_TWO_WAYS = {
    "umbrella-phoenix-in-root-deps": {
        "mix.exs": "defmodule U.MixProject do\n  use Mix.Project\n"
                   "  def project, do: [apps_path: \"apps\", deps: [{:phoenix, \"~> 1.7\"}]]\nend\n",
        "apps/web/mix.exs": "defmodule Web.MixProject do\n  def project, do: [app: :web]\nend\n",
        "Procfile": "web: mix phx.server\n"},
    "umbrella-apps-path-attribute": {
        "mix.exs": "defmodule U.MixProject do\n  @apps \"apps\"\n"
                   "  def project, do: [apps_path: @apps]\nend\n",
        "apps/web/mix.exs": "defmodule Web.MixProject do\n"
                            "  def project, do: [app: :web, deps: [{:phoenix, \"~> 1.7\"}]]\nend\n",
        "Procfile": "web: mix phx.server\n"},
}

ODD_REPOS = {
    "empty": {},
    "procfile-comments-only": {"Procfile": "# nothing\n\n"},
    "procfile-types-odd": {"Procfile": "Web_1: a\nworker-2: ./b $PORT\nrelease: x && y\n"},
    "app-json-odd-shapes": {"app.json": json.dumps({
        "formation": {"web": {"quantity": "2", "size": 5}, "worker": "x"}, "env": ["A"],
        "buildpacks": "heroku/ruby", "stack": 24, "addons": [], "scripts": []})},
    "app-json-formation-list": {"app.json": json.dumps({"formation": [{"process": "web"}]})},
    "legacy-addons": {"app.json": json.dumps({"addons": [
        "heroku-postgresql:hobby-dev", {"plan": "heroku-redis:hobby-dev", "as": "CACHE"},
        "scheduler", {"plan": "papertrail:choklad", "options": {"x": 1}}]})},
    "package-json-odd": {"package.json": json.dumps({"engines": {"node": 18}, "scripts": ["start"],
                                                     "dependencies": ["express"]})},
    "composer-odd": {"composer.json": json.dumps({"require": ["php"]})},
    "requirements-cycle": {"requirements.txt": "-r a.txt\n", "a.txt": "-r requirements.txt\ndjango\n"},
    "dockerfile-odd": {"Dockerfile": "ARG X\nFROM --platform=$P base AS 0\nCMD [not json\n"
                                     "EXPOSE $PORT\nENTRYPOINT []\n", "Procfile": "web: run\n"},
    "dockerfile-empty": {"Dockerfile": "", "Procfile": "web: run --port $PORT\n"},
    "umbrella-without-apps": {"mix.exs": "defmodule U.MixProject do\n  def project, do: [apps_path: \"apps\"]\nend\n"},
    **MIX_READ_TWO_WAYS,
    "gemfile-odd": {"Gemfile": "ruby file: '.ruby-version'\ngem \"rails\"\n", ".ruby-version": "\n",
                    "Gemfile.lock": "RUBY VERSION\n   ruby 9.9.9\n"},
    "java-properties-only": {"system.properties": "java.runtime.version=1.8\n"},
}


@pytest.mark.parametrize("name", sorted(ODD_REPOS))
def test_odd_real_repo_shapes_plan_and_scaffold_without_internal_errors(tmp_path, name):
    for rel, text in ODD_REPOS[name].items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    from herokufly.act.scaffold import scaffold

    try:
        plan = make_plan(inventory_from_repo(read_repo(tmp_path), "odd"), PlanOptions(heroku_app="odd"))
    except ConfigError as exc:  # exit 1, naming a file
        assert re.match(r"^[\w./-]+(:\d+)*:? ", exc.message), exc.message
        return
    scaffold(plan.to_dict(), tmp_path)
    assert (tmp_path / "fly.toml").is_file()
    for check in plan.process_checks.values():
        if check.get("heroku") and not check.get("replaced"):
            assert check["runs_heroku_line"], check


@pytest.mark.parametrize("name", sorted(MIX_READ_TWO_WAYS))
def test_mix_projects_read_two_ways_still_build_from_the_framework_module(tmp_path, name):
    """repo.py names these Phoenix while frameworks/_mix.py sees a plain Mix project: the plan
    still comes from the Mix project's facts and scaffold writes frameworks/phoenix.py's
    Dockerfile, which runs the Procfile line with Mix."""
    for rel, text in MIX_READ_TWO_WAYS[name].items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    repo = read_repo(tmp_path)
    assert repo.framework == "phoenix" and [d.name for d in repo.detections] == ["elixir"]
    plan = make_plan(inventory_from_repo(repo, "odd"), PlanOptions(heroku_app="odd")).to_dict()
    assert plan["framework_evidence"] == repo.detections[0].evidence
    assert plan["build"]["elixir_mode"] == "mix" and plan["build"]["generated"] is True
    assert plan["processes"] == {"app": "mix phx.server"}
    assert plan["process_checks"]["app"]["runs_heroku_line"] is True
    from herokufly.act.scaffold import scaffold

    scaffold(plan, tmp_path)
    dockerfile = (tmp_path / "Dockerfile").read_text()
    assert re.search(r"^# Written by herokufly: runs \w+ with Mix", dockerfile, re.M)
    assert plan["build"]["image"]["builder"] in dockerfile


@pytest.mark.parametrize("framework", ["phoenix", "elixir"])
def test_a_mix_repo_that_was_not_read_is_a_user_error_naming_mix_exs(framework):
    """Only a Repo built by hand has no detection; it gets no hard-coded Dockerfile."""
    repo = Repo(path="/x", framework=framework, procfile={"web": "mix phx.server"})
    with pytest.raises(ConfigError) as exc:
        make_plan(online_inventory(repo=repo), PlanOptions(heroku_app="acme-phoenix"))
    assert exc.value.message.startswith("mix.exs: ") and "\n" not in exc.value.message


@pytest.mark.parametrize("files, names_file", [
    ({"Gemfile": b"gem 'rails'\n\xff\xfe"}, "Gemfile"),
    ({"package.json": b"{nope"}, "package.json"),
    ({"package.json": b"[1]"}, "package.json"),
    ({"Procfile": b"web: caf\xe9\n"}, "Procfile"),
])
def test_unreadable_files_are_one_line_errors_naming_the_file(tmp_path, files, names_file):
    for rel, data in files.items():
        (tmp_path / rel).write_bytes(data)
    with pytest.raises(ConfigError) as exc:
        read_repo(tmp_path)
    assert exc.value.message.startswith(names_file + ":") and "\n" not in exc.value.message


def test_renderings_say_what_runs_the_health_check_and_what_to_review(tmp_path):
    (tmp_path / "Gemfile").write_text("gem 'rails', '7.1.2'\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "rails").write_text("")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "routes.rb").write_text('get "up" => "rails/health#show"\n')
    (tmp_path / "Procfile").write_text("web: bundle exec puma\n")
    (tmp_path / "app.json").write_text(json.dumps({
        "addons": ["heroku-postgresql"], "env": {"HOST": {"value": "shop.herokuapp.com"}}}))
    plan = make_plan(inventory_from_repo(read_repo(tmp_path), "shop"),
                     PlanOptions(heroku_app="shop")).to_dict()
    text, markdown = render_plan_text(plan), render_plan_markdown(plan)
    for out in (text, markdown):
        assert "GET /up with X-Forwarded-Proto: https" in out
        assert "bin/rails db:migrate" in out and "proposed:" in out
        assert "heroku-host" in out and "shop.fly.dev" in out
        assert "yes: bash -c" in out
        assert "shop.herokuapp.com" not in out  # the value itself is never shown
    assert "| Runs what Heroku ran |" in markdown


@pytest.mark.parametrize("kind,line,one_off", [
    ("seed-refresh", "php artisan migrate:fresh --seed", True),   # jerkin61/bayudo-mockexam-api
    ("cache", "bin/rails cache:clear", True),                      # spree/spree_starter
    ("console", "bin/rails console", True),
    ("migrate", "python manage.py migrate", True),
    ("worker", "bundle exec sidekiq", False),
    ("worker", "python manage.py migrate && celery -A app worker", False),
    ("web", "bin/rails db:migrate && bin/rails server", False),
    ("clock", "bundle exec clockwork clock.rb", False),
])
def test_one_off_task(kind, line, one_off):
    assert one_off_task(kind, line) is one_off


def test_a_one_off_type_heroku_ran_no_dyno_for_gets_no_process_group(tmp_path):
    (tmp_path / "composer.json").write_text("{}")
    (tmp_path / "Procfile").write_text("web: heroku-php-apache2 public/\n"
                                       "seed-refresh: php artisan migrate:fresh --seed\n"
                                       "worker: php artisan queue:work\n")
    plan = make_plan(inventory_from_repo(read_repo(tmp_path), "acme"), PlanOptions(heroku_app="acme"))
    assert "seed-refresh" not in plan.process_sources.values()
    assert "one-off task" in plan.not_run["seed-refresh"]
    assert "worker" in plan.process_sources.values()
