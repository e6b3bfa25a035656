"""herokufly.talk.github driven through PyGithub against the fake GitHub over real HTTP."""

from __future__ import annotations

import pytest
import requests

from herokufly.base.errors import GitHubError
from herokufly.talk.github import ACTIONS_BOT, GitHubClient, marker
from tests.fakes.github_api import FakeGitHub

pytestmark = pytest.mark.integration

TOKEN = "ghs_faketoken_0123456789"
HEAD = "1" * 40


@pytest.fixture
def fake():
    gh = FakeGitHub("acme/shop")
    gh.add_token(TOKEN, ACTIONS_BOT, bot=True)
    gh.add_token("ghp_alice_token", "alice")
    gh.set_role("alice", "write")
    gh.set_role("mo", "maintain")
    gh.set_role("rita", "read")
    gh.add_pull(7, head_sha=HEAD)
    gh.add_pull(9, head_sha="2" * 40, head_repo="mallory/shop")
    gh.add_issue(3)
    with gh:
        yield gh
    assert gh.violations == []


@pytest.fixture
def client(fake):
    return GitHubClient("acme/shop", token=TOKEN, api_url=fake.url, throttle=False)


def test_roles_come_from_the_permission_api(client):
    assert client.role_of("alice") == "write"
    assert client.role_of("mo") == "maintain"
    assert client.role_of("rita") == "read"
    assert client.role_of("nobody-at-all") == "none"


def test_pull_request_head_and_fork(client):
    pr = client.pull_request(7)
    assert pr.head_sha == HEAD and not pr.is_fork and pr.state == "open"
    fork = client.pull_request(9)
    assert fork.is_fork and fork.head_repository == "mallory/shop"
    with pytest.raises(GitHubError, match="404"):
        client.pull_request(3)


def test_installation_token_login_falls_back_to_the_actions_bot(client, fake):
    assert client.self_login() == ACTIONS_BOT
    user_client = GitHubClient("acme/shop", token="ghp_alice_token", api_url=fake.url, throttle=False)
    assert user_client.self_login() == "alice"


def test_sticky_comment_is_created_once_then_edited_in_place(client, fake):
    first = client.upsert_sticky(7, "shop-fly", "## herokufly\nplan: pending")
    assert first.created
    second = client.upsert_sticky(7, "shop-fly", "## herokufly\nplan: done")
    assert not second.created and second.comment_id == first.comment_id
    comments = fake.comments_on(7)
    assert len(comments) == 1
    assert comments[0]["body"].startswith(marker("shop-fly"))
    assert comments[0]["body"].endswith("plan: done")
    assert client.find_sticky(7, "shop-fly")[0] == first.comment_id


def test_sticky_is_per_app(client, fake):
    a = client.upsert_sticky(7, "app-a", "a")
    b = client.upsert_sticky(7, "app-b", "b")
    assert a.comment_id != b.comment_id and len(fake.comments_on(7)) == 2


def test_duplicates_keep_the_oldest(client, fake):
    old = fake.add_comment(7, ACTIONS_BOT, marker("shop-fly") + "\nold")
    dup = fake.add_comment(7, ACTIONS_BOT, marker("shop-fly") + "\nnewer duplicate")
    result = client.upsert_sticky(7, "shop-fly", "fresh")
    assert result.comment_id == old["id"] and result.deleted == (dup["id"],)
    assert [c["id"] for c in fake.comments_on(7)] == [old["id"]]


def test_marker_written_by_someone_else_is_not_ours(client, fake):
    forged = fake.add_comment(7, "rita", marker("shop-fly") + "\nforged")
    result = client.upsert_sticky(7, "shop-fly", "real")
    assert result.created and result.comment_id != forged["id"]
    assert fake.comments[forged["id"]]["body"].endswith("forged")  # untouched


def test_listing_follows_pagination(fake):
    fake.per_page_max = 2
    for i in range(5):
        fake.add_comment(7, "alice", f"chatter {i}")
    ours = fake.add_comment(7, ACTIONS_BOT, marker("shop-fly") + "\nx")
    client = GitHubClient("acme/shop", token=TOKEN, api_url=fake.url, throttle=False)
    client._gh.per_page = 2
    assert client.find_sticky(7, "shop-fly")[0] == ours["id"]


def test_secrets_are_redacted_before_posting(client, fake):
    from herokufly.base import masking

    masking.register("s3cr3t-canary-value")
    try:
        client.upsert_sticky(7, "shop-fly", "leak? s3cr3t-canary-value")
        client.reply(7, "again s3cr3t-canary-value and the token " + TOKEN)
    finally:
        masking.clear()
    assert all("s3cr3t-canary-value" not in c["body"] and TOKEN not in c["body"] for c in fake.comments_on(7))


def test_reactions_eyes_then_rocket(client, fake):
    command = fake.add_comment(7, "alice", "/herokufly migrate")
    client.react(command["id"], "eyes")
    client.react(command["id"], "eyes")  # idempotent: GitHub answers 200 with the same reaction
    assert [r["content"] for r in fake.reactions[command["id"]]] == ["eyes"]
    client.finish_reaction(command["id"], success=True)
    assert [r["content"] for r in fake.reactions[command["id"]]] == ["rocket"]
    client.finish_reaction(command["id"], success=False)
    assert sorted(r["content"] for r in fake.reactions[command["id"]]) == ["confused", "rocket"]


def test_bad_token_is_one_clear_line(fake):
    client = GitHubClient("acme/shop", token="ghp_wrong_wrong", api_url=fake.url, throttle=False)
    with pytest.raises(GitHubError) as info:
        client.reply(7, "hi")
    assert "401" in info.value.one_line() and "ghp_wrong_wrong" not in info.value.one_line()


def test_commit_on_needs_the_workflows_permission(client, fake):
    head = fake.issues[7]["pull"]["head_sha"]
    with pytest.raises(GitHubError, match="workflows"):
        client.commit_on("herokufly", head, {".github/workflows/fly-deploy.yml": "on: push\n"}, "Add Fly deploy")
    assert fake.commits == [] and fake.refs["herokufly"] == head
    fake.add_token("ghp_workflows", "alice", workflows=True)
    strong = GitHubClient("acme/shop", token="ghp_workflows", api_url=fake.url, throttle=False)
    sha = strong.commit_on("herokufly", head, {".github/workflows/fly-deploy.yml": "on: push\n"}, "Add Fly deploy")
    assert fake.refs["herokufly"] == sha and fake.files[("herokufly", ".github/workflows/fly-deploy.yml")] == "on: push\n"
    assert fake.git_commits[sha]["parents"] == [head]


def test_timeline_lists_pushes_and_comments(client, fake):
    fake.add_comment(7, "alice", "/herokufly migrate")
    fake.move_head(7, "7" * 40)
    fake.move_head(7, "6" * 40, force=True)
    kinds = [e["event"] for e in client.timeline(7)]
    assert kinds.count("commented") == 1 and "committed" in kinds and "head_ref_force_pushed" in kinds


def test_fake_rejects_what_github_rejects(fake):
    s = requests.Session()
    s.headers["Authorization"] = f"token {TOKEN}"
    base = f"{fake.url}/repos/acme/shop"
    assert s.post(f"{base}/issues/7/comments", json={}).status_code == 422
    assert s.post(f"{base}/issues/7/comments", json={"body": "x" * 65537}).status_code == 422
    c = s.post(f"{base}/issues/7/comments", json={"body": "ok"}).json()
    assert s.post(f"{base}/issues/comments/{c['id']}/reactions", json={"content": "party"}).status_code == 422
    assert s.get(f"{base}/pulls/3").status_code == 404
    assert s.get(f"{base}/issues/999/comments").status_code == 404
    assert requests.get(f"{base}/pulls/7").status_code == 401
    assert s.delete(f"{base}/issues/comments/{c['id']}").status_code == 204
    assert s.get(f"{base}/issues/comments/{c['id']}").status_code == 404


def test_the_contract_check_catches_a_broken_response(fake):
    from tests.fakes.github_api import Contract

    contract = Contract()
    op = contract.operation("GET", "/repos/acme/shop/issues/comments/5")
    good = fake._comment(fake.add_comment(7, "alice", "hi"))
    assert contract.response_errors(op, 200, good) == []
    broken = dict(good)
    del broken["user"]
    assert any("user" in e for e in contract.response_errors(op, 200, broken))
    assert contract.response_errors(op, 201, good) == ["status 201 is not a documented response"]
    pull = contract.operation("GET", "/repos/acme/shop/pulls/7")
    assert contract.response_errors(pull, 200, fake._pull(7)) == []
    assert contract.operation("GET", "/repos/acme/shop/contents/x") is None  # not in the subset
