"""A whole migration of the example Phoenix app: fake Heroku API, fake flyctl, real PostgreSQL.

Every stage; every stage again (nothing duplicated, nothing changed); a failure
in each stage followed by a resume; SIGTERM mid-stage; cutover and rollback;
secrets byte for byte; no secret value in any output.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests import pg_dataset, pgserver
from tests.fakes.flyctl import contract
from tests.fakes.flyctl.harness import FAKE_FLYCTL, TOKEN, USER_TOKEN, FakeFly, deploy_token
from tests.fakes.heroku_api import FakeHeroku

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
HEROKU_APP = "acme-phoenix"
HEROKU_KEY = "heroku-key-" + uuid.uuid4().hex[:8]
AWKWARD = {
    "SECRET_KEY_BASE": None,  # the canary, filled in per test
    "PHX_HOST": "  www.acme.test  ",
    "POOL_SIZE": 'q"u\'o=t $HOME `id` # not a comment',
    "SENTRY_DSN": "https://k@o0.ingest.sentry.io/0?ü=✓",
    "APNS_AUTH_KEY": "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\nByqGSM49AwEH\n-----END PRIVATE KEY-----\n",
}


@pytest.fixture
def world(tmp_path, pg15, canary):
    """Heroku (fake, over HTTP) with a real database; the fake flyctl; the example repo."""
    src_name = "heroku_" + uuid.uuid4().hex[:8]
    source_url = pg15.create_database(src_name)
    pg_dataset.build_phoenix_app(source_url, users=2000, jobs=300)
    secrets = dict(AWKWARD, SECRET_KEY_BASE=f"skb-{canary}-\"$`\n")
    heroku = FakeHeroku(token=HEROKU_KEY)
    heroku.start()
    heroku.load_seed(ROOT / "tests/fakes/heroku_seed_phoenix.json",
                     config_vars={HEROKU_APP: dict(secrets, DATABASE_URL=source_url)})
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples/phoenix_app", repo)
    fly = FakeFly(tmp_path / "fly")
    fly.dir.mkdir()
    smoke = _smoke_server()
    env = dict(os.environ)
    for key in list(env):
        if key.startswith(("FAKE_FLYCTL", "FLY_", "HEROKU", "GITHUB_")):
            env.pop(key)
    # Fly's database answers only on a Fly-private host: the copy must go through `flyctl proxy`.
    env.update(fly.env(FAKE_FLYCTL_PG_ADMIN_URL=pg15.url(), FAKE_FLYCTL_PRIVATE_HOSTS="1"), HEROKU_API_URL=heroku.url,
               HEROKU_API_KEY=HEROKU_KEY, FLY_API_TOKEN=TOKEN, FLYCTL=FAKE_FLYCTL, PYTHONPATH=str(ROOT))
    w = World(tmp_path, heroku, fly, repo, env, smoke, source_url, secrets, pg15)
    w.cli("scaffold", "--heroku-app", HEROKU_APP, "--repo", str(repo), check=True)
    yield w
    smoke.shutdown()
    heroku.stop()
    pg15.execute(f'DROP DATABASE IF EXISTS "{src_name}" WITH (FORCE)')


def _direct(url: str) -> str:
    """The fake's Fly-private database host is really the local test server."""
    head, tail = url.rsplit("@", 1)
    return f"{head}@127.0.0.1:{tail.split(':', 1)[1]}"


def _smoke_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    return server


class World:
    def __init__(self, tmp, heroku, fly, repo, env, smoke, source_url, secrets, pg):
        self.tmp, self.heroku, self.fly, self.repo, self.env = tmp, heroku, fly, repo, env
        self.smoke, self.source_url, self.secrets, self.pg = smoke, source_url, secrets, pg
        self.state_file = tmp / "state" / "migration.json"
        self.outputs: list[str] = []

    def cli(self, *args, check=False, env=None) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "herokufly", *args], capture_output=True, text=True,
                              env=env or self.env, stdin=subprocess.DEVNULL, timeout=600)
        self.outputs += [proc.stdout, proc.stderr]
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def migrate(self, *extra, env=None) -> subprocess.CompletedProcess:
        return self.cli("migrate", "--heroku-app", HEROKU_APP, "--fly-app", "acme-phoenix", "--repo",
                        str(self.repo), "--state-file", str(self.state_file), "--smoke-url", self.smoke.url,
                        "--yes", *extra, env=env)

    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def heroku_side(self):
        app = self.heroku.apps[HEROKU_APP]
        return app["app"]["maintenance"], {f["type"]: f["quantity"] for f in app["formation"]}

    def creations(self) -> dict:
        return {c: len(self.fly.calls(c)) for c in
                ("apps create", "mpg create", "redis create", "ips allocate-v4", "ips allocate-v6", "certs add")}

    def assert_no_secret_leaked(self):
        vault = self.fly.vault()
        values = [v for v in self.secrets.values() if len(v.strip()) >= 8] + [
            pgserver.PASSWORD, HEROKU_KEY, TOKEN, vault["acme-phoenix"]["DATABASE_URL"],
            vault["acme-phoenix"]["REDIS_URL"]]
        texts = {"outputs": "\n".join(self.outputs), "state": self.state_file.read_text(),
                 "fake flyctl log": self.fly.log_path.read_text(), "fake fly state": self.fly.state_path.read_text()}
        for where, text in texts.items():
            for value in values:
                for part in [value] + [ln for ln in value.splitlines() if len(ln.strip()) >= 8]:
                    assert part not in text, f"a secret value leaked into {where}"


def test_full_migration_rerun_and_rollback(world):
    first = world.migrate("--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["ok"] and set(report["stages"]) >= {"provision", "secrets", "database", "deploy", "domains"}
    assert all(report["stages"][s] == "done" for s in ("provision", "secrets", "database", "deploy", "domains"))

    fly_state, vault = world.fly.state(), world.fly.vault()["acme-phoenix"]
    # same data
    assert ".flympg.net:" in vault["DATABASE_URL"] and [e["exit"] for e in world.fly.log()
                                                         if e["command"] in ("proxy", "mpg proxy")] == [143]
    with psycopg.connect(_direct(vault["DATABASE_URL"])) as conn:
        assert conn.execute("select count(*), sum(length(bio)) from users").fetchone()[0] == 2000
        assert conn.execute("select count(*) from oban_jobs").fetchone() == (300,)
    # same secrets, byte for byte; the Heroku DATABASE_URL/REDIS_URL were not copied over Fly's
    for name, value in world.secrets.items():
        assert vault[name] == value, name
    assert vault["DATABASE_URL"] != world.source_url and "ec2-" not in vault["REDIS_URL"]
    # same processes, deployed with the scaffolded fly.toml and its release command
    release = fly_state["apps"]["acme-phoenix"]["releases"][-1]
    assert release["processes"] == ["app", "worker"] and release["release_command"] == "/app/bin/migrate"
    assert sorted(fly_state["apps"]["acme-phoenix"]["certs"]) == ["acme.test", "www.acme.test"]
    # Managed Postgres sized from the source: the plan from the Heroku plan's RAM, a volume from
    # the measured database, a major version at least the source's (pg15 -> 16, the lowest Fly offers)
    cluster = next(iter(fly_state["mpg"].values()))
    plan = json.loads(world.cli("plan", "--heroku-app", HEROKU_APP, "--repo", str(world.repo), "--fly-app",
                                "acme-phoenix", "--json", check=True).stdout)
    assert cluster["plan"] == plan["postgres"]["plan"] and cluster["pg_major"] == 16
    assert cluster["disk"] >= 10 and "--volume-size" in world.fly.calls("mpg create")[0]
    # Redis on the priced fixed plan, nothing prompted, no ProdPack
    redis = next(iter(fly_state["redis"].values()))
    assert redis["plan"] == plan["redis"]["flyctl_plan"] and redis["prodpack"] is False
    assert "_acme-challenge.www.acme.test" in first.stderr
    # Heroku stays in maintenance with the worker stopped until cutover
    assert world.heroku_side() == (True, {"web": 2, "worker": 0})

    created = world.creations()
    digests = {n: m["digest"] for n, m in world.fly.state()["apps"]["acme-phoenix"]["secrets"].items()}
    assert created == {"apps create": 1, "mpg create": 1, "redis create": 1, "ips allocate-v4": 1,
                       "ips allocate-v6": 1, "certs add": 2}
    again = world.migrate("--json")
    assert again.returncode == 0, again.stderr
    results = json.loads(again.stdout)["results"]
    assert {name: r["status"] for name, r in results.items()} == {
        "provision": "unchanged", "secrets": "unchanged", "database": "unchanged", "deploy": "unchanged",
        "domains": "unchanged"}
    assert world.creations() == created
    assert len(world.fly.calls("deploy")) == 1 and len(world.fly.state()["mpg"]) == 1
    assert {n: m["digest"] for n, m in world.fly.state()["apps"]["acme-phoenix"]["secrets"].items()} == digests
    assert len(world.fly.calls("secrets import")) == 2 and not world.fly.calls("secrets set")
    assert world.heroku_side() == (True, {"web": 2, "worker": 0})

    cut = world.migrate("--only", "cutover")
    assert cut.returncode == 0, cut.stderr
    assert world.heroku_side() == (True, {"web": 0, "worker": 0})
    assert "web=2, worker=1" in cut.stderr

    back = world.cli("rollback", "--heroku-app", HEROKU_APP, "--fly-app", "acme-phoenix",
                     "--state-file", str(world.state_file), "--yes")
    assert back.returncode == 0, back.stderr
    assert world.heroku_side() == (False, {"web": 2, "worker": 1})
    assert "Left in place on Fly" in back.stderr

    # every flyctl call herokufly made is in the contract
    bad = {" ".join(e["argv"]): contract.check_argv(e["argv"]) for e in world.fly.log()
           if contract.check_argv(e["argv"])}
    assert bad == {}
    world.assert_no_secret_leaked()


def test_failure_in_each_stage_then_resume(world):
    env = dict(world.env, FAKE_FLYCTL_FAIL="apps create,secrets import#2,deploy,certs add")
    expected = [("provision", None), ("secrets", None), ("database", "heroku"), ("deploy", None),
                ("domains", None)]
    for stage, extra in expected:
        if extra == "heroku":
            world.heroku.fail_next("PATCH", r"^/apps/acme-phoenix$", 422)
        run = world.migrate(env=env)
        assert run.returncode == 1, (stage, run.stderr)
        error_lines = [ln for ln in run.stderr.splitlines() if ln.startswith("error:")]
        assert len(error_lines) == 1 and "Traceback" not in run.stderr
        state = world.state()["stages"]
        assert state[stage]["status"] == "failed" and state[stage]["error"], (stage, run.stderr, state)
        done = [s for s, _ in expected[: expected.index((stage, extra))]]
        assert all(state[s]["status"] == "done" for s in done), state
        if stage == "database":  # the failed window left Heroku as it was
            assert world.heroku_side() == (False, {"web": 2, "worker": 1})
    final = world.migrate(env=env)
    assert final.returncode == 0, final.stderr
    assert all(world.state()["stages"][s]["status"] == "done"
               for s in ("provision", "secrets", "database", "deploy", "domains"))
    assert world.creations() == {"apps create": 2, "mpg create": 1, "redis create": 1, "ips allocate-v4": 1,
                                 "ips allocate-v6": 1, "certs add": 3}  # failed attempts included
    assert len(world.fly.state()["apps"]) == 1 and len(world.fly.state()["mpg"]) == 1
    assert len(world.fly.state()["apps"]["acme-phoenix"]["certs"]) == 2

    world.heroku.fail_next("PATCH", r"/formation$", 422)
    cut = world.migrate("--only", "cutover")
    assert cut.returncode == 1 and world.state()["stages"]["cutover"]["status"] == "failed"
    assert world.state()["heroku"]["formation_before_cutover"] == {"web": 2, "worker": 1}
    assert world.migrate("--from", "cutover").returncode == 0
    assert world.heroku_side() == (True, {"web": 0, "worker": 0})
    world.assert_no_secret_leaked()


def test_sigterm_stops_cleanly_and_resume_finishes(world):
    env = dict(world.env, FAKE_FLYCTL_SLOW="deploy=30")
    proc = subprocess.Popen([sys.executable, "-m", "herokufly", "migrate", "--heroku-app", HEROKU_APP,
                             "--fly-app", "acme-phoenix", "--repo", str(world.repo), "--state-file",
                             str(world.state_file), "--smoke-url", world.smoke.url, "--yes"],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if world.state_file.exists() and world.state()["stages"]["deploy"]["status"] == "running":
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    world.outputs += [out, err]
    assert proc.returncode == 130, err
    assert world.state()["stages"]["deploy"]["status"] == "interrupted"
    assert "re-run" in err
    assert world.fly.state()["apps"]["acme-phoenix"]["releases"] == []  # the deploy was stopped
    resumed = world.migrate("--from", "deploy")
    assert resumed.returncode == 0, resumed.stderr
    assert world.state()["stages"]["deploy"]["status"] == "done"
    world.assert_no_secret_leaked()


def test_no_tty_requires_yes_and_bad_token_is_one_line(world):
    run = world.cli("migrate", "--heroku-app", HEROKU_APP, "--fly-app", "acme-phoenix", "--repo", str(world.repo))
    assert run.returncode == 1 and "--yes" in run.stderr
    bad = world.migrate(env=dict(world.env, FLY_API_TOKEN="fo1_revoked-bad"))
    assert bad.returncode == 1
    assert "Fly refused the token" in bad.stderr and "fo1_revoked-bad" not in bad.stderr
    too_old = world.migrate(env=dict(world.env, FAKE_FLYCTL_VERSION="0.1.0"))
    assert too_old.returncode == 1 and "too old" in too_old.stderr
    invalid = world.cli("migrate", "--heroku-app", HEROKU_APP, "--fly-app", "Not_Valid", "--repo",
                        str(world.repo), "--yes")
    assert invalid.returncode == 1 and "not a valid Fly app name" in invalid.stderr
    assert world.fly.state()["apps"] == {}  # nothing was created on Fly
    assert world.state()["stages"]["provision"]["status"] == "failed"  # the state says where it stopped
    assert "Fly refused the token" in world.state()["stages"]["provision"]["error"]


@pytest.mark.parametrize("kind", ["deploy", "user"])
def test_the_wrong_kind_of_token_stops_before_anything_is_made(world, kind):
    """A deploy token (one existing app) or a `fly auth token` user token: one line naming the
    org token to create, exit 1, nothing created on Fly, Heroku untouched."""
    token = deploy_token("acme-phoenix") if kind == "deploy" else USER_TOKEN
    run = world.migrate(env=dict(world.env, FLY_API_TOKEN=token))
    assert run.returncode == 1, run.stderr
    error_lines = [ln for ln in run.stderr.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1 and "Traceback" not in run.stderr
    assert "fly tokens create org" in run.stderr
    assert token not in run.stderr and token not in run.stdout
    assert world.fly.state()["apps"] == {} and world.fly.state()["mpg"] == {}
    assert world.creations() == {c: 0 for c in world.creations()}
    assert world.heroku_side() == (False, {"web": 2, "worker": 1})
