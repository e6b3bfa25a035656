"""The migration state across workflow runs, through the progress comment on the fake GitHub.

Each `runner(...)` call is one action step on a fresh runner: the state file is deleted
between them, so what a later step sees came from the comment. The stage handlers are
stand-ins that read and write the state the way the engine does (the real chain runs in
tests/e2e/test_pr_migrate.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from herokufly import action
from herokufly.pr import comment, state_sync
from herokufly.act.state import MigrationState, default_path
from tests.integration.test_pr_flow import HEAD, fake, runner, sticky  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration


@pytest.fixture
def stages(monkeypatch):
    """Stand-in migrate/rollback handlers; `seen` records the state each one found on disk."""
    monkeypatch.delenv("HEROKUFLY_STATE_FILE", raising=False)
    seen: list[dict | None] = []

    def migrate(ctx):
        path = Path(default_path("shop-fly"))
        seen.append(json.loads(path.read_text()) if path.exists() else None)
        state = MigrationState.load(path, heroku_app="shop", fly_app="shop-fly")
        state.mark(ctx.inputs.stage, "running")
        if ctx.inputs.stage == "cutover":
            state.heroku["formation_before_cutover"] = {"web": 2, "worker": 1}
        state.record_secret("SECRET_KEY_BASE", fly_digest="fly-digest-of-secret-key-base", fingerprint=state.fingerprint("SECRET_KEY_BASE", "v"))
        state.mark(ctx.inputs.stage, "done", summary=f"{ctx.inputs.stage} stand-in")
        return 0

    def rollback(ctx):
        path = Path(default_path("shop-fly"))
        seen.append(json.loads(path.read_text()) if path.exists() else None)
        return 0

    monkeypatch.setitem(action.HANDLERS, "migrate", migrate)
    monkeypatch.setitem(action.HANDLERS, "rollback", rollback)
    return seen


def fresh_runner():
    shutil.rmtree(Path(".herokufly"), ignore_errors=True)


def step(runner, **inputs):
    fresh_runner()
    code, _, _ = runner("issue_comment_writer_migrate.json", head_sha=HEAD, heroku_app="shop", **inputs)
    return code


def test_a_later_run_finds_the_state_in_the_comment(fake, runner, stages, capsys):
    assert step(runner, command="migrate", stage="deploy") == 0
    assert stages == [None]  # the first stage ever: nothing anywhere
    assert step(runner, command="migrate", stage="cutover") == 0
    assert stages[1]["stages"]["deploy"]["status"] == "done"
    assert "Migration state restored from the progress comment" in capsys.readouterr().out
    assert step(runner, command="rollback") == 0
    found = stages[2]
    assert found["heroku"]["formation_before_cutover"] == {"web": 2, "worker": 1}
    assert found["secrets"] == {} and found["salt"]  # never carried; a fresh salt is made
    body = sticky(fake)["body"]
    assert "| `rollback` | ✅ done" in body
    carried = comment.decode(body)[state_sync.KEY]
    assert "salt" not in carried["state"] and "fly-digest-of-secret-key-base" not in json.dumps(carried)


def test_a_tampered_state_is_refused_and_nothing_runs(fake, runner, stages, capsys):
    assert step(runner, command="migrate", stage="cutover") == 0
    record = sticky(fake)
    progress = comment.decode(record["body"])
    progress[state_sync.KEY]["state"]["heroku"]["formation_before_cutover"] = {"web": 50}
    fake.comments[record["id"]]["body"] = record["body"].split("<!-- herokufly:data")[0] + comment.encode(progress)
    capsys.readouterr()
    assert step(runner, command="rollback") == 1
    assert len(stages) == 1  # the rollback stand-in never ran
    assert "refused the migration state in the progress comment" in capsys.readouterr().err


def test_a_garbled_comment_is_no_crash(fake, runner, stages, capsys):
    assert step(runner, command="migrate", stage="provision") == 0
    record = sticky(fake)
    fake.comments[record["id"]]["body"] = record["body"].replace("<!-- herokufly:data ", "<!-- herokufly:data !!")
    assert step(runner, command="migrate", stage="secrets") == 0
    assert stages[-1] is None
    assert "no progress comment on this pull request verifies" in capsys.readouterr().err
    assert comment.decode(sticky(fake)["body"])["stages"]["secrets"]["status"] == "done"
