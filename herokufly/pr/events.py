"""Turn a GitHub event payload (and the action's `command` input) into one request.

`command: auto` takes the command from the event: the comment text for
`issue_comment`, `plan` for `pull_request` opened/synchronize/reopened, the
dispatch input for `workflow_dispatch`. The comment grammar is strict and
the result is built only from fixed words, so comment text never travels any
further than `parse_comment` (no shell, no template, no echo in replies).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

from herokufly.base.errors import ConfigError

PREFIX = "/herokufly"

# Stages a comment may name, in the order a full migration runs them.
# `cutover` only runs when named: it stops the Heroku app.
MIGRATE_STAGES = ("provision", "secrets", "database", "deploy", "domains", "cutover")
DEFAULT_MIGRATE_STAGES = MIGRATE_STAGES[:-1]
COMMANDS = ("plan", "migrate", "rollback", "help")
# Commands that touch the Heroku/Fly accounts and so need a collaborator's permission.
PRIVILEGED = frozenset({"plan", "migrate", "rollback"})

PULL_REQUEST_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
_WORD = re.compile(r"[a-z]+")
# A commit SHA the command pins (full or abbreviated, as GitHub shows it): the stages run
# only if the PR head is that commit, whatever was pushed after the comment.
_SHA = re.compile(r"[0-9a-f]{7,40}")
PINNABLE = frozenset({"migrate", "rollback"})


@dataclasses.dataclass(frozen=True)
class Command:
    """A validated command: only words from COMMANDS / MIGRATE_STAGES."""

    name: str
    stage: str | None = None
    sha: str | None = None  # the PR head the commenter saw; only for migrate / rollback

    def __post_init__(self) -> None:
        if self.name not in COMMANDS:
            raise ValueError(f"unknown command {self.name!r}")
        if self.stage is not None and (self.name != "migrate" or self.stage not in MIGRATE_STAGES):
            raise ValueError(f"stage {self.stage!r} is not valid for {self.name!r}")
        if self.sha is not None and (self.name not in PINNABLE or not _SHA.fullmatch(self.sha)):
            raise ValueError(f"commit {self.sha!r} is not valid for {self.name!r}")

    @property
    def stages(self) -> tuple[str, ...]:
        """The migration stages this command runs, in order."""
        if self.name != "migrate":
            return ()
        return (self.stage,) if self.stage else DEFAULT_MIGRATE_STAGES

    def as_comment(self) -> str:
        """The exact comment text that asks for this command."""
        return " ".join(part for part in (PREFIX, self.name, self.stage, self.sha) if part)


HELP = Command("help")


def parse_comment(text: str | None) -> Command | None:
    """The command a comment asks for; None when the comment is not for herokufly.

    Exactly one line: `/herokufly plan`, `/herokufly migrate [STAGE] [SHA]`,
    `/herokufly rollback [SHA]`, `/herokufly help`. Anything else that starts
    with `/herokufly` is answered with help.
    """
    if not text:
        return None
    body = text.strip()
    if not body.startswith(PREFIX):
        return None
    rest = body[len(PREFIX):]
    if rest and not rest[0].isspace():
        return None  # e.g. "/herokuflyer": someone else's command
    lines = body.splitlines()
    if len(lines) != 1:
        return HELP
    words = rest.split()
    sha = words.pop() if len(words) >= 2 and words[0] in PINNABLE and _SHA.fullmatch(words[-1]) \
        and words[-1] not in MIGRATE_STAGES else None
    if not words or any(not _WORD.fullmatch(w) for w in words):
        return HELP
    name, args = words[0], words[1:]
    if sha is not None:
        return _pinned(name, args, sha)
    if name in ("plan", "rollback", "help") and not args:
        return Command(name)
    if name == "migrate" and not args:
        return Command("migrate")
    if name == "migrate" and len(args) == 1 and args[0] in MIGRATE_STAGES:
        return Command("migrate", args[0])
    return HELP


def _pinned(name: str, args: list[str], sha: str) -> Command:
    if name == "rollback" and not args:
        return Command("rollback", sha=sha)
    if name == "migrate" and not args:
        return Command("migrate", sha=sha)
    if name == "migrate" and len(args) == 1 and args[0] in MIGRATE_STAGES:
        return Command("migrate", args[0], sha=sha)
    return HELP


@dataclasses.dataclass(frozen=True)
class Request:
    """What one event asks herokufly to do, and who asked.

    `command` is None when the event is not for herokufly (ignore quietly);
    `ignored` then says why, for the log.
    """

    event_name: str
    command: Command | None
    repository: str
    actor: str
    actor_is_bot: bool
    pr_number: int | None = None
    is_pull_request: bool = False
    comment_id: int | None = None
    comment_created_at: str | None = None  # GitHub's time of the comment, from the event
    # From the event; authorization re-reads the PR for the head it pins.
    head_sha: str | None = None
    head_repository: str | None = None
    ignored: str | None = None

    @property
    def is_fork(self) -> bool | None:
        if not self.is_pull_request or self.head_repository is None:
            return None
        return self.head_repository != self.repository


def load_event(path: str | os.PathLike | None = None) -> tuple[str, dict[str, Any]]:
    """(event name, payload) from GITHUB_EVENT_NAME / GITHUB_EVENT_PATH."""
    name = os.environ.get("GITHUB_EVENT_NAME", "")
    path = path or os.environ.get("GITHUB_EVENT_PATH")
    if not name or not path:
        raise ConfigError(
            "no GitHub event to read",
            hint="run inside GitHub Actions, or pass an explicit command instead of auto",
        )
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the GitHub event file {path}: {exc}") from exc
    if not isinstance(payload, dict):
        raise ConfigError(f"the GitHub event file {path} is not a JSON object")
    return name, payload


def _is_bot(user: dict[str, Any] | None) -> bool:
    if not user:
        return True  # a deleted ("ghost") or missing user is nobody we can authorize
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def resolve(
    event_name: str,
    payload: dict[str, Any],
    *,
    command_input: str = "auto",
    stage_input: str | None = None,
) -> Request:
    """The request an event makes. `command_input` other than auto wins over the event."""
    repository = (payload.get("repository") or {}).get("full_name", "")
    sender = payload.get("sender") or {}
    base = dict(
        event_name=event_name,
        repository=repository,
        actor=str(sender.get("login", "")),
        actor_is_bot=_is_bot(sender),
    )

    pr_fields: dict[str, Any] = {}
    command: Command | None = None
    ignored: str | None = None

    if event_name == "issue_comment":
        issue = payload.get("issue") or {}
        comment = payload.get("comment") or {}
        user = comment.get("user") or sender
        base.update(actor=str(user.get("login", "")), actor_is_bot=_is_bot(user))
        pr_fields = dict(
            pr_number=issue.get("number"),
            is_pull_request=bool(issue.get("pull_request")),
            comment_id=comment.get("id"),
            comment_created_at=comment.get("created_at"),
        )
        if payload.get("action") != "created":
            ignored = f"comment {payload.get('action')}, only new comments are read"
        elif command_input == "auto":
            command = parse_comment(comment.get("body"))
            if command is None:
                ignored = "the comment is not a /herokufly command"
    elif event_name in ("pull_request", "pull_request_target"):
        pr = payload.get("pull_request") or {}
        head = pr.get("head") or {}
        pr_fields = dict(
            pr_number=pr.get("number") or payload.get("number"),
            is_pull_request=True,
            head_sha=head.get("sha"),
            head_repository=(head.get("repo") or {}).get("full_name"),
        )
        if command_input == "auto":
            if payload.get("action") in PULL_REQUEST_ACTIONS:
                command = Command("plan")
            else:
                ignored = f"pull request {payload.get('action')}: a plan is posted on opened/synchronize/reopened"
    elif event_name == "workflow_dispatch":
        inputs = payload.get("inputs") or {}
        pr_fields = dict(head_sha=os.environ.get("GITHUB_SHA") or None)
        if command_input == "auto":
            command = _dispatch_command(inputs.get("command"), inputs.get("stage"))
    elif command_input == "auto":
        raise ConfigError(
            f"command auto does not know the event {event_name!r}",
            hint="use issue_comment, pull_request or workflow_dispatch, or set the command input",
        )

    if command_input != "auto":
        command = _dispatch_command(command_input, stage_input)
        ignored = None

    if command is not None and base["actor_is_bot"]:
        command, ignored = None, "comments and events from bots are ignored"
    return Request(command=command, ignored=ignored, **base, **pr_fields)


def _dispatch_command(name: Any, stage: Any) -> Command:
    """A command from a workflow input; unlike comments, bad input is an error."""
    name = str(name or "plan").strip()
    stage = str(stage or "").strip() or None
    if stage in ("all",):
        stage = None
    if name not in COMMANDS:
        raise ConfigError(f"unknown command {name!r}", hint=f"use one of: {', '.join(COMMANDS)}")
    if stage is not None and name != "migrate":
        raise ConfigError(f"a stage ({stage!r}) only goes with the migrate command")
    if stage is not None and stage not in MIGRATE_STAGES:
        raise ConfigError(f"unknown stage {stage!r}", hint=f"use one of: {', '.join(MIGRATE_STAGES)}")
    return Command(name, stage)


def help_text() -> str:
    """The reply listing the commands (markdown)."""
    stages = ", ".join(f"`{s}`" for s in MIGRATE_STAGES)
    return "\n".join(
        [
            "herokufly understands these commands, each alone in a comment:",
            "",
            "| comment | what it does |",
            "|---|---|",
            "| `/herokufly plan` | read the Heroku app and post what the migration will do and cost |",
            "| `/herokufly migrate` | run every stage: " + ", ".join(f"`{s}`" for s in DEFAULT_MIGRATE_STAGES) + " |",
            "| `/herokufly migrate STAGE` | run (or resume) one stage; STAGE is one of " + stages + " |",
            "| `/herokufly migrate [STAGE] SHA` | the same, only if the PR head is still commit SHA (7-40 hex digits) |",
            "| `/herokufly rollback [SHA]` | put Heroku back in service (the Fly app is left in place) |",
            "| `/herokufly help` | this list |",
            "",
            "`plan`, `migrate` and `rollback` need write access to this repository. Naming the SHA you reviewed "
            "makes sure nothing pushed after your comment runs.",
        ]
    )
