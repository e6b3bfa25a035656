"""GitHub through PyGithub: the sticky progress comment, replies, reactions,
collaborator roles, the PR head, and committing generated files.

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

from herokufly import masking
from herokufly.pr.authz import ROLES, PullRequestInfo
from herokufly.errors import GitHubError
from herokufly.settings import Settings

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
        mine = [c for c in comments if c.user is not None and c.user.login == login and marker_app(c.body) == app]
        return sorted(mine, key=lambda c: (c.created_at, c.id))

    def find_sticky(self, number: int, app: str) -> tuple[int, str] | None:
        """(id, body) of the oldest progress comment for `app` on this PR, if any."""
        mine = self._own_marked(number, app)
        return (mine[0].id, mine[0].body) if mine else None

    def upsert_sticky(self, number: int, app: str, body: str) -> StickyResult:
        """Create or edit in place the one progress comment for `app`; delete duplicates."""
        body = masking.redact(body)
        head = marker(app)
        if marker_app(body) != app:
            body = f"{head}\n{body}"
        mine = self._own_marked(number, app)
        if not mine:
            created = self._call(f"comment on #{number}", lambda: self._issue(number).create_comment(body))
            return StickyResult(created.id, True, (), created.html_url)
        keep, extra = mine[0], mine[1:]
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
    def commit_files(self, branch: str, files: dict[str, str], message: str) -> list[str]:
        """Create or update each file on `branch`; returns the commit SHAs.

        GitHub refuses workflow files to a token without the `workflows`
        permission; that is raised as GitHubError for the caller to report.
        """
        shas = []
        for path, text in files.items():
            def put(path=path, text=text):
                try:
                    current = self._repo.get_contents(path, ref=branch)
                except GithubException as exc:
                    if exc.status != 404:
                        raise
                    current = None
                if current is not None and not isinstance(current, list):
                    if current.decoded_content.decode() == text:
                        return None
                    return self._repo.update_file(path, message, text, current.sha, branch=branch)
                return self._repo.create_file(path, message, text, branch=branch)

            result = self._call(f"commit {path} to {branch}", put)
            if result is not None:
                shas.append(result["commit"].sha)
        return shas
