"""scaffold: the files written, schema-valid fly.toml, conflicts, --force, merge, idempotency."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

from herokufly.decide.plan import PlanOptions, inventory_from_repo, make_plan
from herokufly.talk.repo import read_repo
from herokufly.act.scaffold import merge_fly_toml, scaffold
from tests.contracts import contract_path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "phoenix_app"
SCHEMA = contract_path("fly-toml-schema.json")
PHOENIX_FILES = {
    "fly.toml", "Dockerfile", ".dockerignore", "rel/env.sh.eex", "rel/overlays/bin/migrate",
    "rel/overlays/bin/server",
}
# Keys flyctl accepts that SchemaStore's fly.json does not list yet (see contracts README).
SCHEMA_LAG = {("http_service", "processes")}


@pytest.fixture
def repo_dir(tmp_path):
    target = tmp_path / "app"
    shutil.copytree(EXAMPLE, target)
    return target


def plan_for(path, **options) -> dict:
    inventory = inventory_from_repo(read_repo(path), "acme-phoenix")
    return make_plan(inventory, PlanOptions(heroku_app="acme-phoenix", **options)).to_dict()


def snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def check_against_schema(fly_toml: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    errors = []
    for error in jsonschema.Draft7Validator(schema).iter_errors(fly_toml):
        errors.append(f"{list(error.path)}: {error.message}")
    return errors


def test_phoenix_scaffold_writes_every_file(repo_dir):
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert result.written and not result.conflicts
    assert {c.path for c in result.changes if c.action == "create"} == PHOENIX_FILES
    for script in ("rel/overlays/bin/migrate", "rel/overlays/bin/server"):
        assert os.access(repo_dir / script, os.X_OK)
    migrate = (repo_dir / "rel/overlays/bin/migrate").read_text()
    assert "exec ./acme eval 'Application.ensure_all_started(:ssl); Application.load(:acme)" in migrate
    server = (repo_dir / "rel/overlays/bin/server").read_text()
    assert "PHX_SERVER=true" in server and "exec ./acme start" in server
    env_sh = (repo_dir / "rel/env.sh.eex").read_text()
    for line in ('RELEASE_DISTRIBUTION="name"', '-proto_dist inet6_tcp',
                 "FLY_APP_NAME", "FLY_IMAGE_REF", "FLY_PRIVATE_IP"):
        assert line in env_sh
    dockerfile = (repo_dir / "Dockerfile").read_text()
    assert 'BUILDER_IMAGE="hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-' in dockerfile
    assert "/app/_build/${MIX_ENV}/rel/acme" in dockerfile and "%%" not in dockerfile
    assert not (repo_dir / "lib/acme/release.ex").exists()  # no module written into lib/
    assert not list(repo_dir.rglob("*.herokufly"))  # no temp files left


def test_generated_fly_toml_matches_plan_and_schema(repo_dir):
    scaffold(plan_for(repo_dir), repo_dir)
    fly = tomllib.loads((repo_dir / "fly.toml").read_text())
    assert fly["app"] == "acme-phoenix" and fly["primary_region"] == "iad"
    assert fly["processes"] == {"app": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert fly["deploy"]["release_command"] == "/app/bin/migrate"
    # Framework variables the example's runtime.exs reads (and only those).
    assert fly["env"] == {"PORT": "4000", "PHX_HOST": "acme-phoenix.fly.dev", "ECTO_IPV6": "true",
                          "DNS_CLUSTER_QUERY": "acme-phoenix.internal"}
    http = fly["http_service"]
    assert http["internal_port"] == 4000 and http["force_https"] is True
    assert http["processes"] == ["app"] and http["checks"][0]["path"] == "/health"
    assert [(vm["processes"], vm["memory"], vm["size"]) for vm in fly["vm"]] == [
        (["app"], "1024mb", "shared-cpu-2x"), (["worker"], "512mb", "shared-cpu-1x")]
    errors = check_against_schema(fly)
    lagging = [e for e in errors if "processes" in e and "http_service" in e]
    assert errors == lagging  # only the documented schema lag, if the schema ever checks it


def test_rerun_changes_nothing(repo_dir):
    scaffold(plan_for(repo_dir), repo_dir)
    before = snapshot(repo_dir)
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert not result.written and {c.action for c in result.changes} == {"unchanged"}
    assert snapshot(repo_dir) == before


def test_conflicting_files_are_left_alone_and_the_rest_is_written(repo_dir):
    (repo_dir / ".dockerignore").write_text("node_modules\n")
    (repo_dir / "rel" / "overlays" / "bin").mkdir(parents=True)
    (repo_dir / "rel" / "overlays" / "bin" / "server").write_text("#!/bin/sh\nmine\n")
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert result.written
    assert {c.path for c in result.conflicts} == {".dockerignore", "rel/overlays/bin/server"}
    assert {c.action for c in result.conflicts} == {"kept"}
    assert (repo_dir / ".dockerignore").read_text() == "node_modules\n"
    assert (repo_dir / "rel/overlays/bin/server").read_text() == "#!/bin/sh\nmine\n"
    assert (repo_dir / "fly.toml").is_file()  # a fly.toml never needs --force


def test_own_dockerfile_is_used_and_never_replaced(repo_dir):
    (repo_dir / "Dockerfile").write_text("FROM elixir:1.17\nEXPOSE 4001\n"
                                         "CMD [\"mix\", \"phx.server\"]\n")
    before = (repo_dir / "Dockerfile").read_text()
    plan = plan_for(repo_dir)
    assert plan["build"] == {"mode": "dockerfile", "dockerfile": "Dockerfile", "generated": False}
    result = scaffold(plan, repo_dir, force=True)
    assert [c.path for c in result.changes] == ["fly.toml"]
    assert (repo_dir / "Dockerfile").read_text() == before
    fly = tomllib.loads((repo_dir / "fly.toml").read_text())
    assert fly["http_service"]["internal_port"] == 4001 and fly["env"]["PORT"] == "4001"
    assert fly["build"] == {"dockerfile": "Dockerfile"}
    # The web group runs the image's own CMD; the other Procfile lines run in the user's
    # image, not the generated release's scripts.
    assert fly["processes"] == {"app": "", "worker": "mix run --no-halt"}
    assert fly["deploy"]["release_command"] == "mix ecto.migrate"
    assert "/app/bin" not in json.dumps(fly)


def test_force_replaces_conflicting_files(repo_dir):
    (repo_dir / ".dockerignore").write_text("node_modules\n")
    result = scaffold(plan_for(repo_dir), repo_dir, force=True)
    assert result.written and not result.conflicts
    assert (repo_dir / ".dockerignore").read_text() != "node_modules\n"


def test_existing_fly_toml_is_merged_keeping_comments_and_keys(repo_dir):
    (repo_dir / "fly.toml").write_text(
        "# my config, keep me\n"
        'app = "acme-phoenix"\n'
        'kill_timeout = "30s"  # Oban needs time\n\n'
        "[env]\n"
        '  FEATURE_FLAG = "on"\n'
    )
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert not result.conflicts and result.written
    text = (repo_dir / "fly.toml").read_text()
    assert text.startswith("# my config, keep me\n")
    assert "# Oban needs time" in text
    fly = tomllib.loads(text)
    assert fly["kill_timeout"] == "30s"
    assert fly["env"] == {"FEATURE_FLAG": "on", "PORT": "4000", "PHX_HOST": "acme-phoenix.fly.dev",
                          "ECTO_IPV6": "true", "DNS_CLUSTER_QUERY": "acme-phoenix.internal"}
    assert fly["deploy"]["release_command"] == "/app/bin/migrate"
    again = scaffold(plan_for(repo_dir), repo_dir)
    assert {c.action for c in again.changes} == {"unchanged"}


def test_fly_toml_value_conflict_keeps_the_users_value(repo_dir):
    original = 'app = "acme-phoenix"\n\n[http_service]\n  internal_port = 8080 # mine\n'
    (repo_dir / "fly.toml").write_text(original)
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert [c.path for c in result.conflicts] == ["fly.toml"]
    assert result.conflicts[0].action == "update"
    assert "http_service.internal_port is 8080" in result.conflicts[0].detail
    text = (repo_dir / "fly.toml").read_text()
    assert "internal_port = 8080 # mine" in text  # the user's value and comment stay
    assert tomllib.loads(text)["primary_region"] == "iad"  # the rest was merged in
    forced = scaffold(plan_for(repo_dir), repo_dir, force=True)
    assert forced.written
    assert tomllib.loads((repo_dir / "fly.toml").read_text())["http_service"]["internal_port"] == 4000


def test_vm_memory_spelled_differently_is_not_a_conflict():
    existing = '[[vm]]\n  memory = "1gb"\n  size = "shared-cpu-2x"\n  processes = ["app"]\n'
    generated = '[[vm]]\nmemory = "1024mb"\nsize = "shared-cpu-2x"\nprocesses = ["app"]\n'
    merged, conflicts = merge_fly_toml(existing, generated, force=False)
    assert conflicts == [] and merged == existing


def test_existing_release_module_is_used_not_rewritten(repo_dir):
    (repo_dir / "lib/acme/tasks.ex").write_text("defmodule Acme.Tasks.Release do\n  def migrate, do: :ok\nend\n")
    shutil.move(repo_dir / "lib/acme/tasks.ex", repo_dir / "lib/acme/release.ex")
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert "lib/acme/release.ex" not in {c.path for c in result.changes}
    assert "eval 'Acme.Tasks.Release.migrate()'" in (repo_dir / "rel/overlays/bin/migrate").read_text()


def test_buildpack_mode_writes_only_fly_toml(tmp_path):
    (tmp_path / "Gemfile").write_text("gem 'rails'\n")
    (tmp_path / "Procfile").write_text("web: bundle exec puma\nrelease: bin/rails db:migrate\n")
    inventory = inventory_from_repo(read_repo(tmp_path), "shop")
    plan = make_plan(inventory, PlanOptions(heroku_app="shop", region="fra")).to_dict()
    result = scaffold(plan, tmp_path)
    assert [c.path for c in result.changes] == ["fly.toml"]
    fly = tomllib.loads((tmp_path / "fly.toml").read_text())
    assert fly["build"] == {"builder": "heroku/builder:24"}
    # One word for the CNB launcher, which replaces `bash -c`'s argument with it.
    assert fly["processes"] == {"app": "'bundle exec puma'"}
    assert fly["deploy"]["release_command"] == "'bin/rails db:migrate'"
    assert fly["http_service"]["internal_port"] == 8080 and fly["env"]["PORT"] == "8080"
    assert fly["http_service"]["checks"][0]["headers"] == {"X-Forwarded-Proto": "https"}
    lagging = [e for e in check_against_schema(fly) if "processes" in e]
    assert check_against_schema(fly) == lagging


def _run_cli(*args, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if k not in ("HEROKU_API_KEY", "GITHUB_ACTIONS")}
    return subprocess.run([sys.executable, "-m", "herokufly", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)


def test_cli_bad_app_json_fails_naming_the_file_and_writes_nothing(repo_dir):
    (repo_dir / "app.json").write_text('{"addons": [{"plan": 5}]}')
    before = snapshot(repo_dir)
    proc = _run_cli("scaffold", "--offline", "--repo", str(repo_dir), "--heroku-app", "acme-phoenix")
    assert proc.returncode == 1
    assert "app.json: addons[0]" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(repo_dir) == before


def test_cli_scaffold_conflict_exit_code_and_json(repo_dir):
    (repo_dir / ".dockerignore").write_text("mine\n")
    proc = _run_cli("scaffold", "--offline", "--repo", str(repo_dir), "--heroku-app", "acme-phoenix", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["written"] is True and [c["path"] for c in report["conflicts"]] == [".dockerignore"]
    assert "--force" in proc.stderr
    proc = _run_cli("scaffold", "--offline", "--repo", str(repo_dir), "--heroku-app", "acme-phoenix", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "update  .dockerignore" in proc.stdout


def test_users_own_health_checks_are_kept(repo_dir):
    (repo_dir / "fly.toml").write_text(
        'app = "acme-phoenix"\n\n[http_service]\n  internal_port = 4000\n\n'
        '  [[http_service.checks]]\n    path = "/health"\n'
    )
    result = scaffold(plan_for(repo_dir), repo_dir)
    assert not result.conflicts
    checks = tomllib.loads((repo_dir / "fly.toml").read_text())["http_service"]["checks"]
    assert checks == [{"path": "/health"}]


def test_users_services_are_not_doubled_by_an_http_service(repo_dir):
    # 4thanks/Mosdns-on-PaaS: the app's own fly.toml exposes it with [[services]]
    (repo_dir / "fly.toml").write_text(
        'app = "acme-phoenix"\n\n[[services]]\n  internal_port = 8080\n  protocol = "tcp"\n'
        '  [[services.ports]]\n    port = 443\n    handlers = ["tls", "http"]\n')
    result = scaffold(plan_for(repo_dir), repo_dir)
    fly = tomllib.loads((repo_dir / "fly.toml").read_text())
    assert "http_service" not in fly and fly["services"][0]["internal_port"] == 8080
    assert [c.path for c in result.conflicts] == ["fly.toml"]  # said, not silently dropped
