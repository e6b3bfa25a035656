"""Who may make herokufly run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herokufly.pr import authz
from herokufly.pr.authz import IGNORE, REFUSE, RUN, PullRequestInfo, authorize
from herokufly.base.errors import ConfigError, UserError
from herokufly.pr.events import resolve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
HEAD = "f" * 40


def request(name: str):
    event = "pull_request" if name.startswith("pull_request") else "issue_comment"
    return resolve(event, json.loads((FIXTURES / name).read_text()))


def same_repo_pr(number=7, state="open"):
    return PullRequestInfo(number=number, head_sha=HEAD, head_repository="acme/shop", base_repository="acme/shop", state=state)


def fork_pr():
    return PullRequestInfo(number=9, head_sha=HEAD, head_repository="mallory/shop", base_repository="acme/shop")


def test_writer_may_migrate_and_the_head_read_now_is_pinned():
    decision = authorize(request("issue_comment_writer_migrate.json"), role="write", pull_request=same_repo_pr())
    assert decision.outcome == RUN and decision.allowed
    assert decision.head_sha == HEAD


@pytest.mark.parametrize("role", ["none", "read", "triage", None, "custom-role"])
def test_reader_is_refused(role):
    decision = authorize(request("issue_comment_reader_migrate.json"), role=role, pull_request=same_repo_pr())
    assert decision.outcome == REFUSE and not decision.allowed
    assert "needs write permission" in decision.reason and "@rita" in decision.reason
    assert decision.head_sha is None


def test_required_permission_is_configurable():
    req = request("issue_comment_writer_migrate.json")
    assert authorize(req, role="write", pull_request=same_repo_pr(), required="maintain").outcome == REFUSE
    assert authorize(req, role="maintain", pull_request=same_repo_pr(), required="maintain").outcome == RUN
    assert authorize(req, role="maintain", pull_request=same_repo_pr(), required="admin").outcome == REFUSE
    assert authorize(req, role="admin", pull_request=same_repo_pr(), required="admin").outcome == RUN
    with pytest.raises(ConfigError):
        authorize(req, role="admin", pull_request=same_repo_pr(), required="read")


def test_bot_is_ignored_even_with_admin():
    decision = authorize(request("issue_comment_bot.json"), role="admin", pull_request=same_repo_pr())
    assert decision.outcome == IGNORE


def test_herokufly_own_login_is_ignored():
    req = request("issue_comment_writer_migrate.json")
    decision = authorize(req, role="admin", pull_request=same_repo_pr(), self_logins=frozenset({"alice"}))
    assert decision.outcome == IGNORE


def test_fork_pr_is_refused_by_default_and_allowed_on_request():
    req = request("issue_comment_fork_pr.json")
    refused = authorize(req, role="write", pull_request=fork_pr())
    assert refused.outcome == REFUSE and "fork" in refused.reason
    assert authorize(req, role="write", pull_request=fork_pr(), allow_forks=True).outcome == RUN


def test_deleted_fork_counts_as_fork():
    pr = PullRequestInfo(number=9, head_sha=HEAD, head_repository=None, base_repository="acme/shop")
    assert authorize(request("issue_comment_fork_pr.json"), role="admin", pull_request=pr).outcome == REFUSE


def test_fork_pull_request_event_is_refused():
    decision = authorize(request("pull_request_fork.json"), role="read", pull_request=fork_pr())
    assert decision.outcome == REFUSE


def test_closed_pr_is_refused():
    decision = authorize(request("issue_comment_writer_migrate.json"), role="admin", pull_request=same_repo_pr(state="closed"))
    assert decision.outcome == REFUSE and "closed" in decision.reason


def test_comment_on_a_plain_issue_is_refused():
    decision = authorize(request("issue_comment_not_pr.json"), role="admin", pull_request=None)
    assert decision.outcome == REFUSE and "pull request" in decision.reason


def test_not_a_command_is_ignored():
    req = request("issue_comment_edited.json")
    assert authorize(req, role="admin", pull_request=same_repo_pr()).outcome == IGNORE


def test_help_is_open_to_readers():
    decision = authorize(request("issue_comment_unknown_command.json"), role="read", pull_request=same_repo_pr())
    assert decision.outcome == RUN


def test_plan_needs_write_too():
    req = request("issue_comment_writer_plan.json")
    assert authorize(req, role="read", pull_request=same_repo_pr()).outcome == REFUSE
    assert authorize(req, role="write", pull_request=same_repo_pr()).outcome == RUN


def test_head_moved_stops():
    authz.ensure_head_unchanged("a" * 40, "a" * 40)
    authz.ensure_head_unchanged(None, "a" * 40)
    with pytest.raises(UserError, match="head moved"):
        authz.ensure_head_unchanged("a" * 40, "b" * 40)


# ------------------------------------------------------------------ issue 10, attack 2: pinned at the comment

COMMENTED = "2026-11-20T10:00:00Z"


@pytest.mark.parametrize("timeline, moved", [
    ([], None),
    ([{"event": "committed", "sha": "a" * 40, "committer": {"date": "2026-11-20T09:59:59Z"}}], None),
    ([{"event": "committed", "sha": "b" * 40, "committer": {"date": "2026-11-20T10:00:00Z"}}], "pushed commit bbbbbbbbbbbb"),
    ([{"event": "committed", "sha": "c" * 40, "committer": {"date": "2026-11-20T12:00:00+03:00"}}], None),
    ([{"event": "head_ref_force_pushed", "created_at": "2026-11-20T10:00:05Z"}], "force-pushed"),
    ([{"event": "commented", "created_at": "2026-11-20T11:00:00Z"}], None),
])
def test_a_push_after_the_comment_is_found_in_the_timeline(timeline, moved):
    why = authz.head_moved_since_comment(head_sha="d" * 40, command_sha=None, comment_created_at=COMMENTED,
                                         timeline=timeline)
    assert (why is None) if moved is None else (moved in why)


def test_the_sha_in_the_command_decides_alone():
    assert authz.head_moved_since_comment(head_sha="abc1234" + "0" * 33, command_sha="abc1234",
                                          comment_created_at=None, timeline=None) is None
    why = authz.head_moved_since_comment(head_sha="f" * 40, command_sha="abc1234", comment_created_at=COMMENTED,
                                         timeline=[])
    assert "not abc1234 as the command says" in why
