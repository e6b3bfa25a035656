"""`herokufly plan` and `scaffold` as a user runs them: a subprocess against the fake Heroku API
over real HTTP, with canary secret values that must never reach stdout, stderr or files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.heroku_api import FakeHeroku

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "phoenix_app"
SEED = ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json"
TOKEN = "tok-plan-" + "7" * 24
APP = "acme-phoenix"


@pytest.fixture
def fake(canary):
    with FakeHeroku(token=TOKEN) as server:
        server.load_seed(SEED, config_vars={APP: {
            "DATABASE_URL": f"postgres://user:{canary}@127.0.0.1:5432/acme",
            "SECRET_KEY_BASE": canary + "-skb",
            "STRIPE_API_KEY": "sk_live_" + canary,
            "APNS_AUTH_KEY": f"-----BEGIN PRIVATE KEY-----\n{canary}\n-----END PRIVATE KEY-----\n",
        }})
        yield server


def run(*args, env_extra=None, cwd=ROOT):
    env = {k: v for k, v in os.environ.items()
           if k not in ("HEROKU_API_KEY", "HEROKU_API_URL", "GITHUB_ACTIONS")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "herokufly", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def online(fake):
    return {"HEROKU_API_URL": fake.url, "HEROKU_API_KEY": TOKEN}


def test_plan_json_is_one_object_from_the_live_app(fake, canary):
    proc = run("plan", "--heroku-app", APP, "--repo", str(EXAMPLE), "--json", env_extra=online(fake))
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)  # fails if anything but one JSON document is printed
    assert plan["offline"] is False
    assert plan["heroku_app"] == APP and plan["fly_app"] == APP
    assert plan["region"] == "iad" and plan["framework"] == "phoenix"
    assert plan["processes"] == {"app": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert plan["vm"]["app"]["count"] == 2 and plan["vm"]["app"]["memory_mb"] >= 1024
    assert plan["domains"] == ["acme.test", "www.acme.test"]
    assert plan["postgres"]["source_plan"] == "heroku-postgresql:standard-0"
    assert plan["redis"]["config_vars"] == ["REDIS_TLS_URL", "REDIS_URL"]
    assert {"SECRET_KEY_BASE", "STRIPE_API_KEY", "APNS_AUTH_KEY"} <= set(plan["secrets"])
    excluded = {e["name"] for e in plan["excluded_config"]}
    assert {"DATABASE_URL", "REDIS_URL", "PAPERTRAIL_API_TOKEN", "SENDGRID_PASSWORD",
            "HEROKU_RELEASE_VERSION"} <= excluded
    assert plan["estimate"]["heroku_monthly_usd"] > 0 and plan["estimate"]["fly_monthly_usd"] > 0
    assert canary not in proc.stdout + proc.stderr


def test_plan_text_and_scaffold_never_show_secret_values(fake, canary, tmp_path):
    proc = run("plan", "--heroku-app", APP, "--repo", str(EXAMPLE), env_extra=online(fake))
    assert proc.returncode == 0, proc.stderr
    assert "herokufly plan" in proc.stdout and "Heroku Scheduler jobs" in proc.stdout
    assert canary not in proc.stdout + proc.stderr

    repo = tmp_path / "app"
    shutil.copytree(EXAMPLE, repo)
    proc = run("scaffold", "--heroku-app", APP, "--repo", str(repo), env_extra=online(fake))
    assert proc.returncode == 0, proc.stderr
    assert canary not in proc.stdout + proc.stderr
    for path in repo.rglob("*"):
        if path.is_file():
            assert canary not in path.read_text(errors="replace"), path
    assert (repo / "fly.toml").is_file() and (repo / "rel/overlays/bin/migrate").is_file()


def test_wrong_token_is_one_line_error(fake):
    proc = run("plan", "--heroku-app", APP, "--repo", str(EXAMPLE),
               env_extra={"HEROKU_API_URL": fake.url, "HEROKU_API_KEY": "wrong-token-123456"})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "wrong-token-123456" not in proc.stdout + proc.stderr


def test_offline_plan_of_the_example_is_the_quickstart():
    proc = run("plan", "--offline", "--repo", "examples/phoenix_app", "--heroku-app", APP, "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["offline"] is True and plan["offline_unknowns"]
    assert plan["stages"] == ["provision", "secrets", "database", "deploy", "domains"]
    text = run("plan", "--offline", "--repo", "examples/phoenix_app", "--heroku-app", APP)
    assert text.returncode == 0 and "OFFLINE PLAN" in text.stdout


def test_no_token_falls_back_to_offline_and_says_so():
    proc = run("plan", "--repo", "examples/phoenix_app", "--heroku-app", APP, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["offline"] is True
    assert "HEROKU_API_KEY is not set" in proc.stderr


def test_live_config_vars_naming_the_heroku_host_are_flagged_by_name_only(canary):
    """Values are read only to learn whether they name *.herokuapp.com; never shown."""
    host = f"acme-phoenix-{canary[:8].lower()}.herokuapp.com"
    with FakeHeroku(token=TOKEN) as server:
        server.load_seed(SEED, config_vars={APP: {
            "PHX_HOST": host, "ALLOWED_ORIGINS": f"https://{host},https://www.acme.test",
            "CALLBACK_URL": "https://www.acme.test/cb", "SECRET_KEY_BASE": canary}})
        proc = run("plan", "--heroku-app", APP, "--repo", str(EXAMPLE), "--json", env_extra=online(server))
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    flagged = {k["name"]: k for k in plan["config_kinds"] if k["kind"] == "heroku-host"}
    assert set(flagged) == {"PHX_HOST", "ALLOWED_ORIGINS"}
    assert flagged["PHX_HOST"]["fly_value"].startswith("acme-phoenix.fly.dev")
    assert any(s["item"].startswith("Config vars naming the Heroku host") for s in plan["manual_steps"])
    assert host not in proc.stdout + proc.stderr and canary not in proc.stdout + proc.stderr


def test_real_shaped_rails_repo_plans_and_scaffolds_with_release_flag(tmp_path):
    repo = tmp_path / "shop"
    shutil.copytree(ROOT / "examples" / "rails_app", repo)
    (repo / "Procfile").write_text("\ufeffweb: bundle exec puma -C config/puma.rb\r\n"
                                   "worker: bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}\r\n"
                                   "this is prose Heroku ignores\r\n")
    proc = run("plan", "--offline", "--repo", str(repo), "--heroku-app", "shop", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["release"]["proposed"] and plan["release"]["line"] == "bundle exec rake db:migrate"
    assert all(c["runs_heroku_line"] for c in plan["process_checks"].values())
    proc = run("scaffold", "--offline", "--repo", str(repo), "--heroku-app", "shop",
               "--no-release-migrations")
    assert proc.returncode == 0, proc.stderr
    fly = (repo / "fly.toml").read_text()
    assert "release_command" not in fly
    assert "\"'bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}'\"" in fly
    assert 'X-Forwarded-Proto = "https"' in fly
