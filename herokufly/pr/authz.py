"""May this request run? A pure decision from what was read from GitHub.

The permission comes from the collaborators permission API (never from
`author_association`, which says nothing about push rights). The PR head is
read once, here, and pinned: later jobs stop if the PR moved since. Before that,
the head must be the one the commenter saw: the SHA the command names, or else no
push since the comment was created (the PR timeline's force pushes and commits).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from herokufly.base.errors import ConfigError, UserError
from herokufly.pr.events import PINNABLE, PRIVILEGED, Request

# Repository roles from weakest to strongest (the API's `role_name`).
ROLES = ("none", "read", "triage", "write", "maintain", "admin")
REQUIRED_CHOICES = ("write", "maintain", "admin")
DEFAULT_REQUIRED = "write"

RUN, IGNORE, REFUSE = "run", "ignore", "refuse"


@dataclasses.dataclass(frozen=True)
class PullRequestInfo:
    """What authorization needs to know about the PR, read at decision time."""

    number: int
    head_sha: str
    head_repository: str | None  # None when the fork was deleted
    base_repository: str
    state: str = "open"

    @property
    def is_fork(self) -> bool:
        return self.head_repository != self.base_repository


@dataclasses.dataclass(frozen=True)
class Decision:
    outcome: str  # RUN, IGNORE (say nothing) or REFUSE (reply politely)
    reason: str
    head_sha: str | None = None  # pinned for RUN on a PR

    @property
    def allowed(self) -> bool:
        return self.outcome == RUN


def role_rank(role: str | None) -> int:
    try:
        return ROLES.index(role or "none")
    except ValueError:
        return 0  # an unknown or custom role counts as no access


def check_required(value: str | None) -> str:
    value = (value or DEFAULT_REQUIRED).strip()
    if value not in REQUIRED_CHOICES:
        raise ConfigError(
            f"unknown required permission {value!r}", hint=f"use one of: {', '.join(REQUIRED_CHOICES)}"
        )
    return value


def authorize(
    request: Request,
    *,
    role: str | None,
    pull_request: PullRequestInfo | None,
    required: str = DEFAULT_REQUIRED,
    allow_forks: bool = False,
    self_logins: frozenset[str] = frozenset(),
    timeline: list[dict] | None = None,
) -> Decision:
    """Decide from the request, the actor's repository role, the PR as read now and
    (for a migrate/rollback comment) the PR's timeline."""
    required = check_required(required)
    command = request.command
    if command is None:
        return Decision(IGNORE, request.ignored or "not a herokufly command")
    if request.actor_is_bot or request.actor in self_logins:
        return Decision(IGNORE, "comments and events from bots, herokufly included, are ignored")
    if request.event_name == "issue_comment" and not request.is_pull_request:
        return Decision(REFUSE, "herokufly commands work only in pull request comments")

    if command.name not in PRIVILEGED:
        # help: anyone may ask; nothing runs.
        return Decision(RUN, "help is open to everyone", head_sha=pull_request.head_sha if pull_request else None)

    if role_rank(role) < role_rank(required):
        return Decision(
            REFUSE,
            f"@{request.actor} needs {required} permission on this repository to run "
            f"`{command.as_comment()}` (has {role or 'none'})",
        )

    if request.is_pull_request:
        if pull_request is None:
            return Decision(REFUSE, "the pull request could not be read")
        if pull_request.state != "open":
            return Decision(REFUSE, f"pull request #{pull_request.number} is {pull_request.state}")
        if pull_request.is_fork and not allow_forks:
            return Decision(
                REFUSE,
                "pull requests from forks are refused: their code would run with this repository's secrets",
            )
        if request.event_name == "issue_comment" and command.name in PINNABLE:
            moved = head_moved_since_comment(head_sha=pull_request.head_sha, command_sha=command.sha,
                                             comment_created_at=request.comment_created_at, timeline=timeline)
            if moved:
                return Decision(REFUSE, moved)
        return Decision(RUN, f"{request.actor} has {role}", head_sha=pull_request.head_sha)
    return Decision(RUN, f"{request.actor} has {role}", head_sha=request.head_sha)


def _when(stamp: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None


def head_moved_since_comment(*, head_sha: str, command_sha: str | None, comment_created_at: str | None,
                             timeline: list[dict] | None) -> str | None:
    """Why the PR head is not the one the commenter saw, or None when it is.

    With a SHA in the command this is exact. Without one, the timeline decides: a force
    push is stamped by GitHub; a `committed` event carries only the committer's own date,
    which whoever pushes can set, so only the SHA form is proof (docs/security.md).
    """
    again = "comment again naming the commit you reviewed: `/herokufly migrate [stage] <sha>`"
    if command_sha:
        if not head_sha.startswith(command_sha):
            return f"the pull request head is {head_sha[:12]}, not {command_sha} as the command says; {again}"
        return None
    commented = _when(comment_created_at)
    if commented is None:
        return f"the time of the command's comment is unknown, so the head it saw is too; {again}"
    for event in timeline or []:
        kind = event.get("event")
        if kind == "head_ref_force_pushed":
            stamp = _when(event.get("created_at"))
        elif kind == "committed":
            stamp = _when((event.get("committer") or {}).get("date"))
        else:
            continue
        if stamp is not None and stamp >= commented:
            what = "force-pushed" if kind == "head_ref_force_pushed" else f"pushed commit {str(event.get('sha'))[:12]}"
            return f"the pull request was {what} after the command's comment; {again}"
    return None


def ensure_head_unchanged(pinned_sha: str | None, current_sha: str) -> None:
    """Stop a destructive stage when the PR head moved after authorization."""
    if pinned_sha and pinned_sha != current_sha:
        raise UserError(
            f"the pull request head moved from {pinned_sha[:12]} to {current_sha[:12]} after the command was authorized",
            hint="comment the command again to run it on the new head",
        )
