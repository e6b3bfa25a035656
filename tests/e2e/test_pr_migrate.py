"""The migration template under act: `/herokufly migrate` commented on a PR, every stage for real.

The workflow is the real template (herokufly.act.workflow.render_migrate_workflow) adapted
only where act cannot follow GitHub, as in test_pr_comment.py: the action is `uses: ./`
(the real Dockerfile, whose flyctl is the fake from tests/fakes/flyctl), checkout runs
locally, the artifact steps are dropped (act runs offline), and each action step gets
test-only env: the fakes' URLs, where the fake flyctl keeps its state and which real
PostgreSQL server it creates databases on, the smoke-check address, and a state file in
the container's /tmp. That last one means the migration state lives only as long as one
step, exactly like a fresh runner: every job after the first must find it in the PR's
progress comment. Two later runs (`/herokufly migrate cutover`, `/herokufly rollback`)
then see it only there too.

Everything runs against the fake GitHub API, the fake Heroku API (the Phoenix seed with
DATABASE_URL pointing at a real PostgreSQL 15 database) and real PostgreSQL; act runs with
--network host so the containers reach them on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from urllib.parse import unquote, urlsplit

import psycopg
import pytest
import yaml

from herokufly.act import workflow
from herokufly.pr import comment, state_sync
from herokufly.talk.github import ACTIONS_BOT, marker
from tests import pg_dataset, pgserver
from tests.e2e.conftest import _COPY_IGNORE, REPO_ROOT, run_act, template_for_act
from tests.fakes.flyctl.harness import FakeFly, fake_macaroon
from tests.fakes.github_api import FakeGitHub
from tests.fakes.heroku_api import FakeHeroku

pytestmark = pytest.mark.e2e

HEROKU_APP = "acme-phoenix"
FLY_APP = "acme-phoenix-pr"
HEAD = "6" * 40
APP_DIR = "examples/phoenix_app"
EVENT = REPO_ROOT / "tests" / "fixtures" / "events" / "issue_comment_writer_migrate.json"
STAGES = ("provision", "secrets", "database", "deploy", "domains")
FLY_DIR = ".e2e-fly"  # the fake Fly platform's files, inside the bind-mounted workspace


def act_workflow() -> str:
    """The template with only the act adaptations described in the module docstring."""
    fly_dir = "${{ github.workspace }}/" + FLY_DIR
    return template_for_act(HEROKU_APP, FLY_APP, extra_env={
        "FAKE_FLYCTL_STATE": f"{fly_dir}/fly-state.json",
        "FAKE_FLYCTL_LOG": f"{fly_dir}/flyctl.log",
        "FAKE_FLYCTL_PG_ADMIN_URL": "${{ secrets.FAKE_FLYCTL_PG_ADMIN_URL }}",
        "HEROKUFLY_SMOKE_URL": "${{ vars.SMOKE_URL }}",
        # Gone when the step's container goes: only the PR comment carries the state on.
        "HEROKUFLY_STATE_FILE": "/tmp/herokufly-state.json",
        # flyctl gets an allow-listed environment (herokufly/base/child_env.py); the fake's settings are named.
        "HEROKUFLY_CHILD_ENV": "FAKE_FLYCTL_*",
    }, commands=("plan", "workflow", "migrate", "rollback"), working_directory=APP_DIR)


def test_the_adapted_workflow_keeps_the_templates_jobs():
    adapted = yaml.safe_load(act_workflow())
    template = yaml.safe_load(workflow.render_migrate_workflow(heroku_app=HEROKU_APP, fly_app=FLY_APP))
    assert list(adapted["jobs"]) == list(template["jobs"])
    for name, job in adapted["jobs"].items():
        original = template["jobs"][name]
        assert {k: v for k, v in job.items() if k != "steps"} == {k: v for k, v in original.items() if k != "steps"}
        ours = [s["with"] for s in job["steps"] if s.get("uses") == "./"]
        theirs = [s["with"] for s in original["steps"] if s.get("uses", "").startswith(workflow.ACTION_REPOSITORY)]
        assert [{k: v for k, v in w.items() if k != "working_directory"} for w in ours] == theirs


# ------------------------------------------------------------------ the world


@pytest.fixture(scope="module")
def canaries() -> dict[str, str]:
    return {
        "heroku_api_key": "HRKU-mig-" + uuid.uuid4().hex,
        # an org token (the migration creates Managed Postgres: a user fo1_ token is refused there)
        "fly_api_token": fake_macaroon("org", org="personal", nonce=uuid.uuid4().hex),
        "github_token": "ghs_mig_" + uuid.uuid4().hex,
        "secret_key_base": "skb-CANARY-" + uuid.uuid4().hex,
        "state_key": "stk-" + uuid.uuid4().hex + uuid.uuid4().hex,
    }


@pytest.fixture(scope="module")
def source_db(pg15):
    name = "heroku_e2e_" + uuid.uuid4().hex[:8]
    url = pg15.create_database(name)
    pg_dataset.build_phoenix_app(url, users=500, jobs=120)
    yield url
    pg15.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rows(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return {
            "schema_migrations": conn.execute("select version from schema_migrations order by 1").fetchall(),
            "users": conn.execute("select id, email, bio from users order by id").fetchall(),
            "oban_jobs": conn.execute("select id, state, queue, args::text from oban_jobs order by id").fetchall(),
        }


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def world(act_ready, tmp_path_factory, pg15, source_db, canaries):
    heroku = FakeHeroku(token=canaries["heroku_api_key"])
    heroku.start()
    heroku.load_seed(REPO_ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json",
                     config_vars={HEROKU_APP: {"DATABASE_URL": source_db,
                                               "SECRET_KEY_BASE": canaries["secret_key_base"]}})
    github = FakeGitHub("acme/shop")
    github.add_token(canaries["github_token"], ACTIONS_BOT, bot=True)
    github.set_role("alice", "write")
    github.add_pull(7, head_sha=HEAD)
    github.start()
    smoke = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=smoke.serve_forever, daemon=True).start()

    # The PR branch: this repository (for `uses: ./`) with the example app's Fly files scaffolded.
    workspace = tmp_path_factory.mktemp("act-migrate") / "repo"
    shutil.copytree(REPO_ROOT, workspace, ignore=_COPY_IGNORE, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEROKU", "FLY_", "GITHUB_", "FAKE_FLYCTL"))}
    env.update(HEROKU_API_URL=heroku.url, HEROKU_API_KEY=canaries["heroku_api_key"], PYTHONPATH=str(REPO_ROOT))
    subprocess.run([sys.executable, "-m", "herokufly", "scaffold", "--heroku-app", HEROKU_APP, "--fly-app", FLY_APP,
                    "--repo", str(workspace / APP_DIR)], check=True, env=env, capture_output=True, timeout=120)
    git = ["git", "-c", "user.name=herokufly e2e", "-c", "user.email=e2e@example.invalid", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "e2e PR branch"]):
        subprocess.run([*git, *args], cwd=workspace, check=True, capture_output=True)
    (workspace / FLY_DIR).mkdir()
    folder = workspace.parent / "workflows"
    folder.mkdir()
    (folder / "herokufly-migrate.yml").write_text(act_workflow())

    class World:
        fly = FakeFly(workspace / FLY_DIR)
        runs: dict = {}

        def __init__(self):
            self.heroku, self.github, self.workspace = heroku, github, workspace

        def comment_and_run(self, body: str, comment_id: int):
            payload = json.loads(EVENT.read_text())
            payload["comment"] = dict(payload["comment"], id=comment_id, body=body, node_id=f"IC_{comment_id}")
            github.add_comment(7, "alice", body, comment_id=comment_id)
            run = run_act(
                act_ready, workspace, "herokufly-migrate.yml", workflow_dir=folder,
                event_name="issue_comment", event=payload,
                variables={"GITHUB_API_URL": github.url, "HEROKU_API_URL": heroku.url,
                           "SMOKE_URL": f"http://127.0.0.1:{smoke.server_address[1]}/"},
                secrets={"HEROKU_API_KEY": canaries["heroku_api_key"], "FLY_ORG_TOKEN": canaries["fly_api_token"],
                         "GITHUB_TOKEN": canaries["github_token"], "FAKE_FLYCTL_PG_ADMIN_URL": pg15.url(),
                         "HEROKUFLY_STATE_KEY": canaries["state_key"]},
            )
            log = workspace.parent / "act-herokufly-migrate.yml" / "act.log"
            shutil.copy(log, workspace.parent / f"act-{comment_id}.log")
            self.runs[body] = run
            return run

        def sticky(self) -> list[dict]:
            return [c for c in github.comments_on(7) if c["login"] == ACTIONS_BOT and c["body"].startswith(marker(FLY_APP))]

        def heroku_side(self):
            app = heroku.apps[HEROKU_APP]
            return app["app"]["maintenance"], {f["type"]: f["quantity"] for f in app["formation"]}

    yield World()
    smoke.shutdown()
    github.stop()
    heroku.stop()


@pytest.fixture(scope="module")
def migrate_run(world):
    run = world.comment_and_run("/herokufly migrate", 2101)
    assert run.returncode == 0, f"act failed ({run.returncode}); log: {world.workspace.parent}/act-2101.log"
    return run


def progress_record(world) -> dict:
    [sticky] = world.sticky()
    progress = comment.decode(sticky["body"])
    assert progress is not None
    return progress


# ------------------------------------------------------------------ /herokufly migrate


def test_every_stage_job_ran_in_the_container(migrate_run):
    ran = {r.get("jobID") for r in migrate_run.records if r.get("jobID")}
    assert {"plan", *STAGES, "report"} <= ran, ran
    assert not ({"cutover", "rollback"} & ran)
    print(f"act run of /herokufly migrate: {migrate_run.seconds:.0f}s")


def test_one_sticky_comment_shows_every_stage_done(migrate_run, world):
    assert len(world.sticky()) == 1
    body = world.sticky()[0]["body"]
    for stage in STAGES:
        assert f"| `{stage}` | ✅ done" in body, (stage, body)
    assert "**Finished.**" in body
    # Verification figures of the copy, the DNS records, and the exact next command.
    assert "### Database copy verification" in body
    assert "### DNS records to set" in body and "www.acme.test" in body and f"{FLY_APP}.fly.dev" in body
    assert "`/herokufly migrate cutover`" in body
    assert [r["content"] for r in world.github.reactions.get(2101, [])] == ["rocket"]
    assert world.github.violations == []


def test_database_figures_match_the_source(migrate_run, world, source_db):
    figures = progress_record(world)["database"]
    source_rows = sum(len(table) for table in rows(source_db).values())
    assert figures["rows"] == source_rows == 1 + 500 + 120, figures
    assert figures["ok"] is True and figures["verification ok"] is True
    assert f"| rows | {source_rows} |" in world.sticky()[0]["body"]


def test_state_travelled_only_through_the_comment(migrate_run, world, canaries):
    restored = [r for r in migrate_run.records
                if "Migration state restored from the progress comment" in (r.get("msg") or "")]
    jobs = {r.get("jobID") for r in restored}
    assert set(STAGES) - {"provision"} <= jobs, jobs
    carried = progress_record(world)[state_sync.KEY]
    state = state_sync.parse(carried, heroku_app=HEROKU_APP, fly_app=FLY_APP, key=canaries["state_key"])
    assert {s: state["stages"][s]["status"] for s in STAGES} == {s: "done" for s in STAGES}
    assert "salt" not in state and "secrets" not in state
    assert not (world.workspace / APP_DIR / ".herokufly").exists()  # nothing was left on the runner's disk


def test_fly_side_exists_once(migrate_run, world):
    fly = world.fly.state()
    assert list(fly["apps"]) == [FLY_APP]
    app = fly["apps"][FLY_APP]
    assert len(fly["mpg"]) == 1 and FLY_APP in next(iter(fly["mpg"].values()))["attached_apps"]
    assert {"DATABASE_URL", "SECRET_KEY_BASE"} <= set(app["secrets"])
    assert sorted(app["certs"]) == ["acme.test", "www.acme.test"]
    release = app["releases"][-1]
    assert release["processes"] == ["app", "worker"] and release["release_command"] == "/app/bin/migrate"


def test_copied_rows_equal_the_source(migrate_run, world, source_db):
    target = world.fly.vault()[FLY_APP]["DATABASE_URL"]
    assert target != source_db
    assert rows(target) == rows(source_db)


def test_heroku_waits_in_maintenance_with_workers_stopped(migrate_run, world):
    assert world.heroku_side() == (True, {"web": 2, "worker": 0})


def test_no_canary_anywhere(migrate_run, world, canaries):
    fly_db = urlsplit(world.fly.vault()[FLY_APP]["DATABASE_URL"])
    planted = dict(canaries, fly_db_password=unquote(fly_db.password))
    # The test server's password is in tests/pgserver.py (so in the workspace), not in any output.
    printed = dict(planted, pg_admin_password=pgserver.PASSWORD)
    leaks = []
    logged = migrate_run.text_without_mask_commands()
    bodies = "\n".join(c["body"] for c in world.github.comments.values())
    for name, value in printed.items():
        if value in logged:
            leaks.append(f"{name} in act's output")
        if value in bodies:
            leaks.append(f"{name} in a comment")
    for path in world.workspace.rglob("*"):
        # The fake Fly's secret store is where secret values belong.
        if not path.is_file() or path.name.endswith(".vault.json"):
            continue
        data = path.read_bytes()
        leaks += [f"{name} in {path}" for name, value in planted.items() if value.encode() in data]
    assert leaks == []


# ------------------------------------------------------------------ later runs: cutover, rollback


@pytest.fixture(scope="module")
def cutover_run(migrate_run, world):
    run = world.comment_and_run("/herokufly migrate cutover", 2102)
    assert run.returncode == 0, f"act failed ({run.returncode}); log: {world.workspace.parent}/act-2102.log"
    return run


def test_cutover_in_a_new_run_reads_the_state_from_the_comment(cutover_run, world):
    assert world.heroku_side() == (True, {"web": 0, "worker": 0})
    progress = progress_record(world)
    assert progress["stages"]["cutover"]["status"] == "done"
    state = progress[state_sync.KEY]["state"]
    assert state["heroku"]["formation_before_cutover"] == {"web": 2, "worker": 1}
    assert len(world.sticky()) == 1


def test_rollback_in_another_run_restores_the_recorded_formation(cutover_run, world, canaries):
    run = world.comment_and_run("/herokufly rollback", 2103)
    assert run.returncode == 0, f"act failed ({run.returncode}); log: {world.workspace.parent}/act-2103.log"
    assert world.heroku_side() == (False, {"web": 2, "worker": 1})
    body = world.sticky()[0]["body"]
    assert "| `rollback` | ✅ done" in body and "Heroku serves the app again" in body
    assert list(world.fly.state()["apps"]) == [FLY_APP]  # Fly is left in place
    logged = run.text_without_mask_commands()
    assert not [n for n, v in canaries.items() if v in logged]
