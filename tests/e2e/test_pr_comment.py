"""The migration template under act: `/herokufly plan` commented on a PR.

The workflow is the real template (herokufly.act.workflow.render_migrate_workflow)
adapted only where act cannot follow GitHub: the action is `uses: ./` (this
checkout), checkout runs locally (no `ref:`), no artifact actions (offline),
and the API URLs point at the fakes. The gate job, the plan step and the
report job then run in the real container against the fake GitHub and the
fake Heroku; the test reads the final state of the fake GitHub.
"""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

from herokufly.act import workflow
from herokufly.talk.github import ACTIONS_BOT, marker
from tests.e2e.conftest import REPO_ROOT, run_act, template_for_act
from tests.fakes.github_api import FakeGitHub
from tests.fakes.heroku_api import FakeHeroku

pytestmark = pytest.mark.e2e

HEROKU_APP = "acme-phoenix"
FLY_APP = "acme-phoenix-pr"
HEAD = "5" * 40
EVENT = REPO_ROOT / "tests" / "fixtures" / "events" / "issue_comment_writer_plan.json"


def act_workflow() -> str:
    """The template, adapted for act (see the module docstring)."""
    return template_for_act(HEROKU_APP, FLY_APP, extra_env={}, commands=("plan", "workflow"),
                            working_directory="examples/phoenix_app")


@pytest.fixture(scope="module")
def canaries() -> dict[str, str]:
    return {"heroku_api_key": "HRKU-pr-" + uuid.uuid4().hex, "github_token": "ghs_e2e_" + uuid.uuid4().hex}


@pytest.fixture(scope="module")
def fakes(canaries):
    heroku = FakeHeroku(token=canaries["heroku_api_key"])
    heroku.start()
    heroku.load_seed(REPO_ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json")
    github = FakeGitHub("acme/shop")
    github.add_token(canaries["github_token"], ACTIONS_BOT, bot=True)
    github.set_role("alice", "write")
    github.add_pull(7, head_sha=HEAD)
    payload = json.loads(EVENT.read_text())
    github.add_comment(7, "alice", payload["comment"]["body"], comment_id=payload["comment"]["id"])
    github.start()
    yield heroku, github, payload
    github.stop()
    heroku.stop()


@pytest.fixture(scope="module")
def comment_run(act_ready, act_workspace, fakes, canaries):
    heroku, github, payload = fakes
    folder = act_workspace.parent / "pr-workflows"
    folder.mkdir(exist_ok=True)
    (folder / "herokufly-migrate.yml").write_text(act_workflow())
    run = run_act(
        act_ready, act_workspace, "herokufly-migrate.yml",
        workflow_dir=folder,
        event_name="issue_comment",
        event=payload,
        variables={"GITHUB_API_URL": github.url, "HEROKU_API_URL": heroku.url},
        secrets={"HEROKU_API_KEY": canaries["heroku_api_key"], "GITHUB_TOKEN": canaries["github_token"]},
    )
    assert run.returncode == 0, f"act failed ({run.returncode}); log: {act_workspace.parent}/act-herokufly-migrate.yml/act.log"
    return run


def test_the_adapted_workflow_is_still_the_template():
    text = act_workflow()
    assert "uses: ./" in text and "artifact@" not in text
    assert set(yaml.safe_load(text)["jobs"]) == set(yaml.safe_load(workflow.render_migrate_workflow())["jobs"])


def test_final_comment_holds_the_plan(comment_run, fakes):
    _, github, payload = fakes
    ours = [c for c in github.comments_on(7) if c["login"] == ACTIONS_BOT]
    assert len(ours) == 1, [c["body"][:80] for c in ours]
    body = ours[0]["body"]
    assert body.startswith(marker(FLY_APP))
    assert "| `plan` | ✅ done" in body
    assert "### Plan" in body and "### Cost estimate (monthly)" in body
    assert "comment `/herokufly migrate` to run every stage" in body
    # No HEROKUFLY_WORKFLOW_TOKEN secret: the deploy workflow is shown, ready to commit, and it says so.
    assert "### Deploy workflow" in body and "Not committed" in body and "flyctl deploy --remote-only" in body
    assert github.commits == []
    assert github.violations == []


def test_command_got_eyes_then_rocket(comment_run, fakes):
    _, github, payload = fakes
    contents = [r["content"] for r in github.reactions.get(payload["comment"]["id"], [])]
    assert contents == ["rocket"]


def test_gate_outputs_and_skipped_stage_jobs(comment_run):
    outputs = comment_run.outputs("gate")
    assert outputs["run"] == "true" and outputs["command"] == "plan" and outputs["head_sha"] == HEAD


def test_no_secret_in_comments_or_logs(comment_run, fakes, canaries):
    _, github, _ = fakes
    logged = comment_run.text_without_mask_commands()
    for value in canaries.values():
        assert value not in logged
        assert all(value not in c["body"] for c in github.comments.values())


READER_EVENT = REPO_ROOT / "tests" / "fixtures" / "events" / "issue_comment_reader_migrate.json"


@pytest.fixture(scope="module")
def reader_run(act_ready, act_workspace, canaries):
    """`/herokufly migrate` from a user with read access: refused, nothing runs."""
    heroku = FakeHeroku(token=canaries["heroku_api_key"])
    heroku.start()
    heroku.load_seed(REPO_ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json")
    github = FakeGitHub("acme/shop")
    github.add_token(canaries["github_token"], ACTIONS_BOT, bot=True)
    github.set_role("rita", "read")
    github.add_pull(7, head_sha=HEAD)
    payload = json.loads(READER_EVENT.read_text())
    github.add_comment(7, "rita", payload["comment"]["body"], comment_id=payload["comment"]["id"])
    github.start()
    folder = act_workspace.parent / "pr-workflows"
    folder.mkdir(exist_ok=True)
    (folder / "herokufly-migrate.yml").write_text(act_workflow())
    try:
        run = run_act(
            act_ready, act_workspace, "herokufly-migrate.yml",
            workflow_dir=folder, event_name="issue_comment", event=payload,
            variables={"GITHUB_API_URL": github.url, "HEROKU_API_URL": heroku.url},
            secrets={"HEROKU_API_KEY": canaries["heroku_api_key"], "GITHUB_TOKEN": canaries["github_token"]},
        )
    finally:
        github.stop()
        heroku.stop()
    assert run.returncode == 0, f"act failed ({run.returncode})"
    return run, github, heroku, payload


def test_reader_is_refused_and_nothing_runs(reader_run):
    run, github, heroku, payload = reader_run
    assert run.outputs("gate")["run"] == "false"
    # Someone without permission gets a reaction, never a comment (issue 10, attack 8).
    assert [c for c in github.comments_on(7) if c["login"] == ACTIONS_BOT] == []
    assert [r["content"] for r in github.reactions.get(payload["comment"]["id"], [])] == ["confused"]
    # No stage job, no plan step, no report job ran, and Heroku was never asked anything.
    ran = {r.get("jobID") for r in run.records if r.get("jobID")}
    assert ran <= {"plan"}, ran
    assert run.step_result("2") is None
    assert heroku.requests_to("GET", r".*") == []
    assert github.violations == []
