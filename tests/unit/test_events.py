"""The comment grammar and event -> command resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herokufly.pr import events
from herokufly.base.errors import ConfigError
from herokufly.pr.events import HELP, Command, parse_comment, resolve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/herokufly plan", Command("plan")),
        ("  /herokufly plan  \n", Command("plan")),
        ("/herokufly   migrate", Command("migrate")),
        ("/herokufly migrate database", Command("migrate", "database")),
        ("/herokufly migrate cutover", Command("migrate", "cutover")),
        ("/herokufly rollback", Command("rollback")),
        ("/herokufly help", Command("help")),
    ],
)
def test_grammar_accepts_exact_commands(text, expected):
    assert parse_comment(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "/herokufly",
        "/herokufly deploy",
        "/herokufly migrate everything",
        "/herokufly migrate database now",
        "/herokufly plan please",
        "/herokufly rollback provision",
        "/herokufly Plan",
        "/herokufly migrate $(rm -rf /)",
        "/herokufly migrate ${{ secrets.FLY_API_TOKEN }}",
        "/herokufly plan\n/herokufly migrate",
        "/herokufly plan\nthanks!",
    ],
)
def test_anything_else_starting_with_the_prefix_gets_help(text):
    assert parse_comment(text) == events.HELP


@pytest.mark.parametrize("text", [None, "", "LGTM", "please run /herokufly plan", "/herokuflyer plan", "`/herokufly plan`"])
def test_other_comments_are_not_for_us(text):
    assert parse_comment(text) is None


def test_default_migrate_runs_every_stage_but_cutover():
    assert Command("migrate").stages == ("provision", "secrets", "database", "deploy", "domains")
    assert Command("migrate", "deploy").stages == ("deploy",)
    assert Command("plan").stages == ()
    assert Command("migrate", "domains").as_comment() == "/herokufly migrate domains"


def test_command_rejects_words_outside_the_grammar():
    with pytest.raises(ValueError):
        Command("deploy")
    with pytest.raises(ValueError):
        Command("plan", "database")


def test_writer_comment_resolves_to_migrate():
    req = resolve("issue_comment", load("issue_comment_writer_migrate.json"))
    assert req.command == Command("migrate")
    assert (req.actor, req.actor_is_bot, req.pr_number, req.is_pull_request) == ("alice", False, 7, True)
    assert req.comment_id == 2001
    assert req.repository == "acme/shop"


def test_stage_comment():
    req = resolve("issue_comment", load("issue_comment_writer_migrate_stage.json"))
    assert req.command == Command("migrate", "database")


def test_bot_comment_is_ignored():
    req = resolve("issue_comment", load("issue_comment_bot.json"))
    assert req.command is None and req.actor_is_bot
    assert "bot" in req.ignored


def test_edited_comment_is_ignored():
    req = resolve("issue_comment", load("issue_comment_edited.json"))
    assert req.command is None and "edited" in req.ignored


def test_comment_on_plain_issue_is_marked_not_a_pr():
    req = resolve("issue_comment", load("issue_comment_not_pr.json"))
    assert req.command == Command("migrate") and not req.is_pull_request


def test_unknown_command_gets_help_and_its_text_goes_nowhere():
    payload = load("issue_comment_unknown_command.json")
    req = resolve("issue_comment", payload)
    assert req.command == events.HELP
    # Nothing of the comment's text survives into the request.
    assert "curl" not in repr(req) and "deploy-everything" not in repr(req)
    assert "curl" not in events.help_text()


def test_pull_request_events_post_the_plan():
    for name in ("pull_request_opened.json", "pull_request_synchronize.json"):
        req = resolve("pull_request", load(name))
        assert req.command == Command("plan")
        assert req.pr_number == 7 and req.is_fork is False
    sync = resolve("pull_request", load("pull_request_synchronize.json"))
    assert sync.head_sha == "c" * 40


def test_closed_pull_request_is_ignored():
    req = resolve("pull_request", load("pull_request_closed.json"))
    assert req.command is None and "closed" in req.ignored


def test_fork_pull_request_is_flagged():
    req = resolve("pull_request", load("pull_request_fork.json"))
    assert req.is_fork is True and req.actor == "mallory"


def test_workflow_dispatch_takes_the_inputs(monkeypatch):
    monkeypatch.setenv("GITHUB_SHA", "e" * 40)
    req = resolve("workflow_dispatch", load("workflow_dispatch.json"))
    assert req.command == Command("migrate", "secrets")
    assert req.pr_number is None and req.head_sha == "e" * 40


def test_workflow_dispatch_rejects_bad_input():
    payload = load("workflow_dispatch.json")
    payload["inputs"] = {"command": "migrate", "stage": "everything"}
    with pytest.raises(ConfigError, match="unknown stage"):
        resolve("workflow_dispatch", payload)
    payload["inputs"] = {"command": "destroy"}
    with pytest.raises(ConfigError, match="unknown command"):
        resolve("workflow_dispatch", payload)


def test_explicit_command_input_wins_over_the_event():
    req = resolve("issue_comment", load("issue_comment_writer_plan.json"), command_input="migrate", stage_input="deploy")
    assert req.command == Command("migrate", "deploy")


def test_auto_on_an_unknown_event_is_an_error():
    with pytest.raises(ConfigError, match="auto"):
        resolve("push", {"repository": {"full_name": "acme/shop"}, "sender": {"login": "alice", "type": "User"}})


def test_load_event(tmp_path, monkeypatch):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(load("pull_request_opened.json")))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
    name, payload = events.load_event()
    assert name == "pull_request" and payload["number"] == 7
    path.write_text("[1, 2")
    with pytest.raises(ConfigError, match="cannot read"):
        events.load_event()


# ------------------------------------------------------------------ issue 10, attack 2: the SHA in the command


@pytest.mark.parametrize("text, expected", [
    ("/herokufly migrate deploy abc1234", Command("migrate", "deploy", sha="abc1234")),
    ("/herokufly migrate " + "f" * 40, Command("migrate", sha="f" * 40)),
    ("/herokufly rollback 0123abc", Command("rollback", sha="0123abc")),
    ("/herokufly plan abc1234", HELP),
    ("/herokufly migrate deploy ABC1234", HELP),
    ("/herokufly migrate deploy abc12", HELP),
    ("/herokufly migrate deploy abc1234 extra", HELP),
])
def test_a_command_may_name_the_commit_it_means(text, expected):
    assert parse_comment(text) == expected
    if expected.sha:
        assert expected.as_comment() == text
