"""GitHub through PyGithub: the sticky progress comment, replies, reactions,
collaborator roles, the PR head and its timeline, and committing generated files
(Git Data API, on a pinned parent commit).

The base URL comes from GITHUB_API_URL (GitHub Enterprise and the test fake).
Every PyGithub failure becomes one GitHubError line; the token never shows.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from urllib.parse import quote
from typing import Callable, TypeVar

from github import Auth, Github, GithubException
from github.Issue import Issue
from github.IssueComment import IssueComment

from herokufly.base import masking
from herokufly.pr.authz import ROLES, PullRequestInfo
from herokufly.base.errors import GitHubError
from herokufly.base.settings import Settings

# The login GitHub gives the default GITHUB_TOKEN; /user is closed to it.
ACTIONS_BOT = "github-actions[bot]"
MARKER_VERSION = 1
_MARKER = re.compile(r"<!-- herokufly:progress v=(?P<version>\d+) app=(?P<app>[A-Za-z0-9._-]+) -->")
_APP = re.compile(r"^[A-Za-z0-9._-]+$")

T = TypeVar("T")


def marker(app: str) -> str:
    """The hidden first line that identifies the progress comment for one app."""
    if not _APP.match(app or ""):
        raise ValueError(f"app name {app!r} cannot go in a marker")
    return f"<!-- herokufly:progress v={MARKER_VERSION} app={app} -->"


def marker_app(body: str | None) -> str | None:
    m = _MARKER.search(body or "")
    return m.group("app") if m else None


@dataclasses.dataclass(frozen=True)
class StickyResult:
    comment_id: int
    created: bool
    deleted: tuple[int, ...] = ()
    html_url: str | None = None


class GitHubClient:
    def __init__(
        self,
        repository: str,
        *,
        token: str,
        api_url: str,
        bot_login: str | None = None,
        throttle: bool = True,
    ):
        if not token:
            raise GitHubError("no GitHub token", hint="pass github_token: ${{ github.token }} to the action or set GITHUB_TOKEN")
        masking.register(token)
        self.repository = repository
        self._bot_login = bot_login
        kwargs = {} if throttle else {"seconds_between_requests": None, "seconds_between_writes": None}
        # retry=None: a refused request is reported at once; transient 5xx are rare and a job re-run resumes.
        # lazy: objects addressed by number are fetched only when a field is read.
        self._gh = Github(auth=Auth.Token(token), base_url=api_url.rstrip("/"), retry=None, timeout=30, lazy=True, **kwargs)
        with warnings.catch_warnings():
            # PyGithub < 2.7 fetches the repository unless told lazy here; >= 2.7 warns that it is implied.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._repo = self._gh.get_repo(repository, lazy=True)

    @classmethod
    def from_settings(cls, settings: Settings, repository: str, **kwargs) -> "GitHubClient":
        return cls(repository, token=settings.github_token or "", api_url=settings.github_api_url, **kwargs)

    # -- errors ----------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else None
            detail = masking.redact(str(message or exc.status))
            hints = {
                401: "the GitHub token is not valid; pass github_token: ${{ github.token }}",
                403: "give the workflow job the permission it needs (issues/pull-requests: write)",
                404: f"check the repository {self.repository} and that the token can see it",
            }
            raise GitHubError(f"GitHub refused to {what} ({exc.status}: {detail})", hint=hints.get(exc.status)) from None
        except OSError as exc:
            raise GitHubError(f"cannot reach GitHub to {what}: {exc}", hint="check GITHUB_API_URL") from None

    # -- who -------------------------------------------------------------
    def self_login(self) -> str:
        """The login comments by this token appear under."""
        if self._bot_login is None:

            def read() -> str:
                try:
                    return self._gh.get_user().login
                except GithubException as exc:
                    if exc.status != 403:
                        raise
                    # An installation token (GITHUB_TOKEN): /user is closed to it.
                    return ACTIONS_BOT

            self._bot_login = self._call("read the token's user", read)
        return self._bot_login

    def role_of(self, login: str) -> str:
        """The user's repository role (none/read/triage/write/maintain/admin)."""

        def read() -> dict:
            # One request for both fields; Repository.get_collaborator_role_name is missing before PyGithub 2.7.
            try:
                _, data = self._repo.requester.requestJsonAndCheck(
                    "GET", f"{self._repo.url}/collaborators/{quote(login, safe='')}/permission"
                )
            except GithubException as exc:
                if exc.status == 404:  # not a collaborator / no such user
                    return {}
                raise
            return data if isinstance(data, dict) else {}

        data = self._call(f"read the permission of {login}", read)
        role, legacy = data.get("role_name"), data.get("permission")
        if role in ROLES:
            return role
        # A custom role: count it as its legacy base permission (admin/write/read/none).
        return legacy if legacy in ROLES else "none"

    def pull_request(self, number: int) -> PullRequestInfo:
        def read() -> PullRequestInfo:
            pr = self._repo.get_pull(number)
            head_repo = pr.head.repo.full_name if pr.head.repo is not None else None
            return PullRequestInfo(
                number=number,
                head_sha=pr.head.sha,
                head_repository=head_repo,
                base_repository=pr.base.repo.full_name,
                state=pr.state,
            )

        return self._call(f"read pull request #{number}", read)

    def pull_request_branch(self, number: int) -> str:
        return self._call(f"read pull request #{number}", lambda: self._repo.get_pull(number).head.ref)

    def comment_created_at(self, comment_id: int) -> str:
        """The server's creation time of an issue comment (ISO 8601, UTC)."""
        def read() -> str:
            _, data = self._repo.requester.requestJsonAndCheck("GET", f"{self._repo.url}/issues/comments/{comment_id}")
            return str(data.get("created_at") or "")

        return self._call(f"read comment {comment_id}", read)

    def timeline(self, number: int) -> list[dict]:
        """The PR's timeline events, oldest first (raw JSON: `event`, `created_at`, `sha`, `committer`...).
        GET /repos/{owner}/{repo}/issues/{issue_number}/timeline (docs.github.com/rest/issues/timeline)."""
        def read() -> list[dict]:
            events: list[dict] = []
            for page in range(1, 101):  # 10,000 events: beyond any PR this flow meets
                _, data = self._repo.requester.requestJsonAndCheck(
                    "GET", f"{self._repo.url}/issues/{number}/timeline", parameters={"per_page": 100, "page": page})
                if not isinstance(data, list) or not data:
                    break
                events += [e for e in data if isinstance(e, dict)]
                if len(data) < 100:
                    break
            return events

        return self._call(f"read the timeline of #{number}", read)

    # -- comments ----------------------------------------------------------
    def _issue(self, number: int) -> Issue:
        # Addressed by URL: never GET /issues/{n} (Repository.get_issue fetches it before PyGithub 2.7).
        return Issue(self._repo.requester, url=f"{self._repo.url}/issues/{number}")

    def reply(self, number: int, body: str) -> int:
        """A plain new comment (help, refusal)."""
        body = masking.redact(body)
        comment = self._call(f"comment on #{number}", lambda: self._issue(number).create_comment(body))
        return comment.id

    def _own_marked(self, number: int, app: str) -> list:
        login = self.self_login()
        comments = self._call(f"list the comments of #{number}", lambda: list(self._issue(number).get_comments()))
        # The marker must open the body: that is where upsert_sticky puts it.
        mine = [c for c in comments if c.user is not None and c.user.login == login
                and marker_app((c.body or "").split("\n", 1)[0]) == app]
        return sorted(mine, key=lambda c: (c.created_at, c.id))

    def marked_comments(self, number: int, app: str) -> list[tuple[int, str]]:
        """(id, body) of every progress comment for `app` by this token's login, oldest first."""
        return [(c.id, c.body) for c in self._own_marked(number, app)]

    def find_sticky(self, number: int, app: str) -> tuple[int, str] | None:
        """(id, body) of the oldest progress comment for `app` on this PR, if any."""
        mine = self._own_marked(number, app)
        return (mine[0].id, mine[0].body) if mine else None

    def upsert_sticky(self, number: int, app: str, body: str, *, comment_id: int | None = None) -> StickyResult:
        """Create or edit in place the one progress comment for `app` (the one with id
        `comment_id` when given, else the oldest); delete the other marked comments."""
        body = masking.redact(body)
        head = marker(app)
        if marker_app(body.split("\n", 1)[0]) != app:
            body = f"{head}\n{body}"
        mine = self._own_marked(number, app)
        pinned = [c for c in mine if c.id == comment_id] if comment_id is not None else mine[:1]
        if not pinned:
            created = self._call(f"comment on #{number}", lambda: self._issue(number).create_comment(body))
            for dup in mine:
                self._call(f"delete duplicate comment {dup.id}", dup.delete)
            return StickyResult(created.id, True, tuple(d.id for d in mine), created.html_url)
        keep = pinned[0]
        extra = [c for c in mine if c.id != keep.id]
        for dup in extra:
            self._call(f"delete duplicate comment {dup.id}", dup.delete)
        if keep.body != body:
            self._call(f"update comment {keep.id}", lambda: keep.edit(body))
        return StickyResult(keep.id, False, tuple(d.id for d in extra), keep.html_url)

    # -- reactions ---------------------------------------------------------
    def _issue_comment(self, comment_id: int) -> IssueComment:
        # Repository.get_comment is for commit comments; address the issue comment lazily by URL.
        return IssueComment(self._repo.requester, url=f"{self._repo.url}/issues/comments/{comment_id}")

    def react(self, comment_id: int, content: str) -> int:
        comment = self._issue_comment(comment_id)
        reaction = self._call(f"react to comment {comment_id}", lambda: comment.create_reaction(content))
        return reaction.id

    def finish_reaction(self, comment_id: int, success: bool) -> None:
        """Replace our `eyes` with `rocket` (success) or `confused` (failure)."""
        comment = self._issue_comment(comment_id)
        login = self.self_login()
        reactions = self._call(f"read reactions of comment {comment_id}", lambda: list(comment.get_reactions()))
        for r in reactions:
            if r.content == "eyes" and r.user is not None and r.user.login == login:
                self._call("remove the eyes reaction", lambda r=r: comment.delete_reaction(r.id))
        self.react(comment_id, "rocket" if success else "confused")

    # -- files -------------------------------------------------------------
    def commit_on(self, branch: str, parent_sha: str, files: dict[str, str], message: str) -> str:
        """One commit of `files` on top of `parent_sha`, moved onto `branch` only if the branch
        still points at `parent_sha`; returns the new commit's SHA.

        Git Data API (docs.github.com/rest/git): GET /git/ref/heads/{branch}, GET
        /git/commits/{sha} (its tree), POST /git/trees (base_tree + blobs by content), POST
        /git/commits (one parent), PATCH /git/refs/heads/{branch} with force=false, which GitHub
        refuses (422) unless it is a fast-forward: a push after our read is never overwritten.
        A token without the `workflows` permission is refused for .github/workflows/ files.
        """
        req, url = self._repo.requester, self._repo.url
        ref = quote(f"heads/{branch}", safe="/")

        def commit() -> str:
            _, current = req.requestJsonAndCheck("GET", f"{url}/git/ref/{ref}")
            if (current.get("object") or {}).get("sha") != parent_sha:
                raise GitHubError(
                    f"the branch {branch} moved after the command was authorized; nothing was committed",
                    hint="comment the command again on the new head")
            _, parent = req.requestJsonAndCheck("GET", f"{url}/git/commits/{parent_sha}")
            entries = [{"path": path, "mode": "100644", "type": "blob", "content": text} for path, text in sorted(files.items())]
            _, tree = req.requestJsonAndCheck("POST", f"{url}/git/trees",
                                              input={"base_tree": parent["tree"]["sha"], "tree": entries})
            _, new = req.requestJsonAndCheck("POST", f"{url}/git/commits",
                                             input={"message": message, "tree": tree["sha"], "parents": [parent_sha]})
            req.requestJsonAndCheck("PATCH", f"{url}/git/refs/{ref}", input={"sha": new["sha"], "force": False})
            return new["sha"]

        return self._call(f"commit to {branch}", commit)
