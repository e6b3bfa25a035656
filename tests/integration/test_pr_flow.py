"""The action's pull-request flow against the fake GitHub over real HTTP:
command auto (the gate), a stage wrapped in the progress comment, the final report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herokufly import action
from herokufly.base import errors, masking
from herokufly.talk.github import ACTIONS_BOT, marker
from herokufly.act.state import MigrationState
from tests.fakes.github_api import FakeGitHub

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
TOKEN = "ghs_pr_flow_token_123456"
HEAD = "9" * 40
STATE_KEY = "test-state-key-" + "5" * 40  # the workflow-only HEROKUFLY_STATE_KEY secret


@pytest.fixture
def fake():
    gh = FakeGitHub("acme/shop")
    gh.add_token(TOKEN, ACTIONS_BOT, bot=True)
    gh.set_role("alice", "write")
    gh.set_role("rita", "read")
    gh.set_role("mallory", "write")
    gh.add_pull(7, head_sha=HEAD)
    gh.add_pull(9, head_sha="8" * 40, head_repo="mallory/shop")
    gh.add_issue(3)
    with gh:
        yield gh
    assert gh.violations == []


@pytest.fixture
def runner(fake, tmp_path, monkeypatch):
    """Run the action once for an event fixture; returns (exit code, outputs, summary)."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    monkeypatch.chdir(workspace)

    def run(fixture: str, event_name: str = "issue_comment", **inputs: str):
        payload = json.loads((FIXTURES / fixture).read_text())
        for c in ([payload.get("comment")] if payload.get("comment") else []):
            # The comment exists on the fake so reactions can land on it.
            if c["id"] not in fake.comments:
                fake.add_comment(payload["issue"]["number"], c["user"]["login"], c["body"], comment_id=c["id"],
                                 user_type=c["user"]["type"])
        event_path = tmp_path / "event.json"
        event_path.write_text(json.dumps(payload))
        output, summary = tmp_path / "output", tmp_path / "summary"
        output.write_text("")
        summary.write_text("")
        env = {
            "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(event_path), "GITHUB_API_URL": fake.url,
            "GITHUB_REPOSITORY": "acme/shop", "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "42",
            "HEROKUFLY_GITHUB_THROTTLE": "0", "INPUT_GITHUB_TOKEN": TOKEN, "INPUT_FLY_APP": "shop-fly",
            "INPUT_HEROKU_APP": "shop", "INPUT_STATE_KEY": STATE_KEY,
        }
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        code = action.run()
        return code, parse_outputs(output.read_text()), summary.read_text()

    yield run
    masking.clear()  # the action registered the test tokens


def parse_outputs(text: str) -> dict[str, str]:
    out, lines = {}, text.splitlines()
    i = 0
    while i < len(lines):
        name, _, delim = lines[i].partition("<<")
        j = lines.index(delim, i + 1)
        out[name] = "\n".join(lines[i + 1:j])
        i = j + 1
    return out


def sticky(fake, number=7):
    mine = [c for c in fake.comments_on(number) if c["body"].startswith(marker("shop-fly"))]
    assert len(mine) <= 1
    return mine[0] if mine else None


def replies(fake, number):
    return [c["body"] for c in fake.comments_on(number) if c["login"] == ACTIONS_BOT]


def reactions(fake, comment_id):
    return [r["content"] for r in fake.reactions.get(comment_id, [])]


def test_writer_migrate_is_acknowledged_and_pinned(fake, runner):
    code, outputs, summary = runner("issue_comment_writer_migrate.json", command="auto")
    assert code == 0
    assert outputs["run"] == "true" and outputs["command"] == "migrate"
    assert json.loads(outputs["stages"]) == ["provision", "secrets", "database", "deploy", "domains"]
    assert outputs["head_sha"] == HEAD  # read from the PR now, not from the event
    assert reactions(fake, 2001) == ["eyes"]
    body = sticky(fake)["body"]
    assert body.count("⏳ pending") == 5 and "**Queued.**" in body
    assert "⏳ pending" in summary


def test_reader_is_refused_with_a_reaction_and_nothing_runs(fake, runner):
    """Attack 8: someone without permission cannot make the bot post; a reaction says no."""
    code, outputs, summary = runner("issue_comment_reader_migrate.json", command="auto")
    assert code == 0 and outputs["run"] == "false"
    assert replies(fake, 7) == [] and sticky(fake) is None
    assert reactions(fake, 2003) == ["confused"]
    assert "needs write permission" in summary  # the reason is in the job summary, for maintainers


def test_help_for_someone_without_permission_is_a_reaction(fake, runner, tmp_path):
    payload = json.loads((FIXTURES / "issue_comment_unknown_command.json").read_text())
    payload["comment"].update(id=2101, user={**payload["comment"]["user"], "login": "stranger"})
    payload["sender"] = payload["comment"]["user"]
    custom = tmp_path / "stranger_help.json"
    custom.write_text(json.dumps(payload))
    code, outputs, _ = runner(str(custom), command="auto")
    assert code == 0 and outputs["run"] == "false"
    assert replies(fake, 7) == [] and reactions(fake, 2101) == ["confused"]


def test_maintain_can_be_required(fake, runner):
    code, outputs, _ = runner("issue_comment_writer_migrate.json", command="auto", required_permission="maintain")
    assert code == 0 and outputs["run"] == "false"


def test_bot_comment_is_ignored_silently(fake, runner):
    code, outputs, _ = runner("issue_comment_bot.json", command="auto")
    assert code == 0 and outputs["run"] == "false"
    assert [c for c in fake.comments_on(7) if c["id"] != 2004] == []
    assert reactions(fake, 2004) == []


def test_fork_pr_is_refused(fake, runner):
    code, outputs, _ = runner("issue_comment_fork_pr.json", command="auto")
    assert outputs["run"] == "false"
    assert "forks are refused" in replies(fake, 9)[-1]


def test_comment_on_a_plain_issue_gets_a_refusal(fake, runner):
    code, outputs, _ = runner("issue_comment_not_pr.json", command="auto")
    assert outputs["run"] == "false"
    assert "only in pull request comments" in replies(fake, 3)[-1]


def test_unknown_command_gets_help(fake, runner):
    code, outputs, _ = runner("issue_comment_unknown_command.json", command="auto")
    assert outputs["run"] == "false"
    reply = replies(fake, 7)[-1]
    assert "/herokufly migrate STAGE" in reply and "curl" not in reply


def test_pull_request_opened_plans(fake, runner):
    code, outputs, _ = runner("pull_request_opened.json", event_name="pull_request", command="auto")
    assert outputs["run"] == "true" and outputs["command"] == "plan" and json.loads(outputs["stages"]) == []
    assert "`plan`" in sticky(fake)["body"]


def test_stage_wrapped_in_the_progress_comment_then_report(fake, runner, monkeypatch):
    runner("issue_comment_writer_migrate.json", command="auto")
    calls = []

    def fake_migrate(ctx):
        calls.append(ctx.inputs.stage)
        # The stage is shown running while it runs.
        assert "🔄 running" in sticky(fake)["body"]
        return errors.EXIT_OK

    monkeypatch.setitem(action.HANDLERS, "migrate", fake_migrate)
    code, _, summary = runner("issue_comment_writer_migrate.json", command="migrate", stage="provision", head_sha=HEAD)
    assert code == 0 and calls == ["provision"]
    body = sticky(fake)["body"]
    assert "| `provision` | ✅ done |" in body and "[run](https://github.com/acme/shop/actions/runs/42)" in body
    assert "✅ done" in summary

    def failing(ctx):
        raise errors.FlyError("flyctl secrets import exited 1", hint="check FLY_API_TOKEN")

    monkeypatch.setitem(action.HANDLERS, "migrate", failing)
    code, _, _ = runner("issue_comment_writer_migrate.json", command="migrate", stage="secrets", head_sha=HEAD)
    assert code == errors.EXIT_USER
    body = sticky(fake)["body"]
    assert "❌ failed: flyctl secrets import exited 1" in body and "`/herokufly migrate secrets`" in body

    code, _, _ = runner("issue_comment_writer_migrate.json", command="report", outcome="failure")
    body = sticky(fake)["body"]
    assert "⏭️ skipped: not run: an earlier job failed" in body  # database, deploy, domains
    assert reactions(fake, 2001) == ["confused"]
    assert len([c for c in fake.comments_on(7) if c["login"] == ACTIONS_BOT]) == 1  # one sticky comment throughout


def test_destructive_stage_stops_when_the_head_moved(fake, runner, monkeypatch):
    runner("issue_comment_writer_migrate.json", command="auto")
    fake.move_head(7, "7" * 40)
    monkeypatch.setitem(action.HANDLERS, "migrate", lambda ctx: pytest.fail("must not run"))
    code, _, _ = runner("issue_comment_writer_migrate.json", command="migrate", stage="provision", head_sha=HEAD)
    assert code == errors.EXIT_USER


def test_workflow_files_without_a_workflows_token_are_shown_ready_to_commit(fake, runner):
    runner("issue_comment_writer_plan.json", command="auto")
    code, outputs, summary = runner("issue_comment_writer_plan.json", command="workflow")
    assert code == 0 and outputs["workflow_committed"] == "false"
    body = sticky(fake)["body"]
    assert "Not committed" in body and "cannot write .github/workflows/" in body
    assert "flyctl deploy --remote-only" in body  # the ready-to-commit content
    assert fake.commits == []


def test_workflow_files_are_committed_with_a_token_that_may(fake, runner):
    fake.add_token("ghp_wf_token_abcdef", "alice", workflows=True)
    code, outputs, _ = runner("issue_comment_writer_plan.json", command="workflow", workflow_token="ghp_wf_token_abcdef",
                              head_sha=HEAD)
    assert code == 0 and outputs["workflow_committed"] == "true"
    assert {c["path"] for c in fake.commits} == {".github/workflows/fly-deploy.yml"}  # the migrate one is running already
    assert {c["branch"] for c in fake.commits} == {"herokufly"} and {c["parent"] for c in fake.commits} == {HEAD}
    assert "Committed to `herokufly`" in sticky(fake)["body"]


def test_no_token_in_any_comment_or_output(fake, runner):
    runner("issue_comment_writer_migrate.json", command="auto")
    runner("issue_comment_writer_migrate.json", command="report", outcome="success")
    assert reactions(fake, 2001) == ["rocket"]
    for c in fake.comments.values():
        assert TOKEN not in c["body"]


def test_workflow_command_never_replaces_a_users_deploy_workflow(fake, runner):
    fake.add_token("ghp_wf_token_abcdef", "alice", workflows=True)
    mine = Path.cwd() / ".github" / "workflows" / "fly-deploy.yml"
    mine.parent.mkdir(parents=True)
    mine.write_text("name: my own deploy\n")
    code, outputs, _ = runner("issue_comment_writer_plan.json", command="workflow", workflow_token="ghp_wf_token_abcdef")
    assert code == 0 and outputs["workflow_committed"] == "false"
    assert fake.commits == [] and mine.read_text() == "name: my own deploy\n"
    assert "exists with other content and was left as it is" in sticky(fake)["body"]


def test_dns_records_and_copy_figures_come_from_the_migration_state(fake, runner, monkeypatch):
    runner("issue_comment_writer_migrate.json", command="auto")
    state_file = Path.cwd() / ".herokufly" / "shop-fly.state.json"

    def stage_writes_state(stage_entry):
        def handler(ctx):
            state = MigrationState.load(state_file, heroku_app="shop", fly_app="shop-fly")
            state.data["stages"][ctx.inputs.stage] = stage_entry
            state.save()
            return errors.EXIT_OK
        return handler

    monkeypatch.setitem(action.HANDLERS, "migrate", stage_writes_state({
        "status": "done", "summary": "copied the database in a 41.2s maintenance window",
        "report": {"tables": 14, "rows": {"source": 120034, "target": 120034}, "verified": True},
        "window": {"seconds": 41.2}}))
    runner("issue_comment_writer_migrate.json", command="migrate", stage="database", head_sha=HEAD)
    monkeypatch.setitem(action.HANDLERS, "migrate", stage_writes_state({
        "status": "unchanged", "summary": "certificates already exist",
        "domains": [{"hostname": "shop.example.com", "status": "Awaiting configuration",
                     "records": [{"type": "CNAME", "name": "shop.example.com", "value": "shop-fly.fly.dev"}]}]}))
    runner("issue_comment_writer_migrate.json", command="migrate", stage="domains", head_sha=HEAD)
    body = sticky(fake)["body"]
    assert "| `database` | ✅ done: copied the database in a 41.2s maintenance window |" in body
    assert "| rows source | 120,034 |" in body and "| verified | yes |" in body
    assert "| maintenance window seconds | 41.2 |" in body
    assert "| `domains` | ✅ done (no changes): certificates already exist |" in body
    assert "| `shop.example.com` | CNAME | `shop-fly.fly.dev` | Awaiting configuration |" in body


def test_plan_step_fills_the_comment_and_the_summary_once(fake, runner, monkeypatch):
    runner("pull_request_opened.json", event_name="pull_request", command="auto")
    plan = {"heroku_app": "shop", "fly_app": "shop-fly", "region": "iad", "processes": {"app": "bin/server"},
            "secrets": ["SECRET_KEY_BASE"], "postgres": None, "domains": [], "manual_steps": [],
            "estimate": {"heroku_monthly_usd": 50.0, "fly_monthly_usd": 20.0, "prices_date": "2026-10-01", "items": []}}

    def fake_plan(ctx):
        ctx.files.set_output("plan_json", json.dumps(plan))
        ctx.files.add_summary("THE PLAN HANDLER'S OWN SUMMARY\n")
        return errors.EXIT_OK

    monkeypatch.setitem(action.HANDLERS, "plan", fake_plan)
    code, outputs, summary = runner("pull_request_opened.json", event_name="pull_request", command="plan", head_sha=HEAD)
    assert code == 0 and json.loads(outputs["plan_json"]) == plan
    assert "THE PLAN HANDLER'S OWN SUMMARY" not in summary and summary.count("### Plan") == 1
    body = sticky(fake)["body"]
    assert "| `plan` | ✅ done |" in body and "**Plan ready.**" in body and "Fly after the move: **$20.00**" in body
