"""The pull-request side of the action: who asked, may it run, and the progress comment.

`handle_auto`    the gate: event -> command, authorization, eyes reaction, the
                 first progress comment; step outputs run/command/stages/head_sha.
`around`         wraps plan/migrate/rollback: stops if the PR head moved since the
                 gate, marks the stage running, then done/failed, re-renders the
                 sticky comment and the job summary.
`handle_report`  the last job: rocket or confused on the command, settles the comment.
`handle_workflow` writes the deploy workflows: commits them with a token that may,
                 else shows them ready to commit, and says which happened.

Trust (docs/security.md): the progress record is signed with the workflow-only key
(`signing`), bound to its comment; only the last data block of a comment by this
token's login counts; a migration state is carried only when signed and refused when
it does not verify. A state file checked out with the PR is deleted before anything
reads it; the state file the artifact uploads is the public copy.

Everything here is outside the engine: a failure to talk to GitHub is reported,
but never hides the command's own result.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

from herokufly.base import child_env, console, errors, masking
from herokufly.talk.github import GitHubClient
from herokufly.pr import authz, comment, events, signing, state_sync

STAGE_COMMANDS = ("plan", "migrate", "rollback")


# ------------------------------------------------------------------ shared bits


def _input(ctx, name: str, default: str = "") -> str:
    value = getattr(ctx.inputs, name, None)
    return str(value) if value else default


def _state_key(ctx) -> str | None:
    return signing.check_key(_input(ctx, "state_key") or os.environ.get(signing.KEY_SECRET, ""))


def _app(ctx) -> str:
    return _input(ctx, "fly_app") or _input(ctx, "heroku_app") or "app"


def _pr_number(ctx) -> int | None:
    event = ctx.event or {}
    if ctx.event_name == "issue_comment" and (event.get("issue") or {}).get("pull_request"):
        return (event.get("issue") or {}).get("number")
    if ctx.event_name in ("pull_request", "pull_request_target"):
        return (event.get("pull_request") or {}).get("number") or event.get("number")
    return None


def _comment_id(ctx) -> int | None:
    if ctx.event_name == "issue_comment":
        return (ctx.event.get("comment") or {}).get("id")
    return None


def _repository(ctx) -> str:
    return (ctx.event.get("repository") or {}).get("full_name") or os.environ.get("GITHUB_REPOSITORY", "")


def _client(ctx, token: str | None = None) -> GitHubClient | None:
    token = token or _input(ctx, "github_token") or os.environ.get("GITHUB_TOKEN", "")
    repository = _repository(ctx)
    if not token or not repository:
        return None
    return GitHubClient(
        repository,
        token=token,
        # HEROKUFLY_GITHUB_API_URL wins: act (and some proxies) force GITHUB_API_URL to github.com.
        api_url=os.environ.get("HEROKUFLY_GITHUB_API_URL") or os.environ.get("GITHUB_API_URL") or "https://api.github.com",
        throttle=os.environ.get("HEROKUFLY_GITHUB_THROTTLE", "1") != "0",
    )


def run_url() -> str | None:
    server, repo, run_id = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if not (server and repo and run_id):
        return None
    attempt = os.environ.get("GITHUB_RUN_ATTEMPT")
    return f"{server}/{repo}/actions/runs/{run_id}" + (f"/attempts/{attempt}" if attempt else "")


def _warn(what: str, exc: Exception) -> None:
    text = exc.one_line() if isinstance(exc, errors.HerokuflyError) else f"{type(exc).__name__}: {exc}"
    console.err(f"warning: could not {what}: {masking.redact(text)}")


def _set_outputs(ctx, **values: str) -> None:
    for name, value in values.items():
        ctx.files.set_output(name, value)


# ------------------------------------------------------------------ the gate


def handle_auto(ctx) -> int:
    """`command: auto`: decide, acknowledge, and hand the decision to later steps/jobs."""
    request = events.resolve(ctx.event_name, ctx.event)
    _set_outputs(ctx, run="false", command="", stages="[]", head_sha="")
    if request.command is None:
        console.out(f"Nothing to do: {request.ignored}.")
        return errors.EXIT_OK

    gh = _client(ctx)
    if gh is None:
        raise errors.ConfigError(
            "command auto needs the github_token input to check who asked",
            hint="add `github_token: ${{ github.token }}` to the herokufly step",
        )
    role = gh.role_of(request.actor) if not request.actor_is_bot else "none"
    pull = gh.pull_request(request.pr_number) if request.is_pull_request and request.pr_number else None
    required = authz.check_required(_input(ctx, "required_permission", authz.DEFAULT_REQUIRED))
    may_be_answered = authz.role_rank(role) >= authz.role_rank(required)
    # The timeline is read only when it can decide: a permitted migrate/rollback comment without a SHA.
    pinnable = request.event_name == "issue_comment" and request.command.name in events.PINNABLE
    needs_timeline = pinnable and pull is not None and not request.command.sha and may_be_answered
    timeline = gh.timeline(request.pr_number) if needs_timeline else None
    decision = authz.authorize(
        request,
        role=role,
        pull_request=pull,
        required=required,
        allow_forks=_input(ctx, "allow_fork_prs", "false").lower() == "true",
        self_logins=frozenset({gh.self_login()}),
        timeline=timeline,
    )
    console.out(f"{request.command.as_comment()} from @{request.actor}: {decision.outcome} ({decision.reason}).")

    if decision.outcome == authz.IGNORE:
        return errors.EXIT_OK
    # Only someone who may run commands gets a written answer (may_be_answered); anyone else a
    # reaction, so the bot cannot be made to post by whoever can comment (issue 10, attack 8).
    if decision.outcome == authz.REFUSE:
        ctx.files.add_summary(f"herokufly did not run `{request.command.as_comment()}`: {comment.md(decision.reason)}.\n")
        if request.pr_number and request.event_name == "issue_comment":
            if may_be_answered:
                gh.reply(request.pr_number, comment.render_refusal(decision.reason, required=required))
            if request.comment_id:
                gh.react(request.comment_id, "confused")
            return errors.EXIT_OK
        if request.pr_number is None and request.event_name != "issue_comment":
            raise errors.UserError(f"refused: {decision.reason}")
        return errors.EXIT_OK
    if request.command.name == "help":
        if request.pr_number and may_be_answered:
            gh.reply(request.pr_number, comment.render_help())
        elif request.comment_id:
            gh.react(request.comment_id, "confused")
        return errors.EXIT_OK

    found = _find_record(ctx, gh, request.pr_number) if request.pr_number else _Found()
    if found.refused_state:
        # Never written over: it may be a genuine state signed with another key (docs/security.md).
        why = state_sync.refused(found.refused_state).one_line()
        console.out(why)
        ctx.files.add_summary(f"herokufly did not run `{request.command.as_comment()}`: {comment.md(why)}\n")
        if request.event_name == "issue_comment" and may_be_answered:
            gh.reply(request.pr_number, comment.render_refusal(why, required=required))
        if request.comment_id:
            gh.react(request.comment_id, "confused")
        return errors.EXIT_OK

    # Allowed: acknowledge, open the progress comment, hand over the pinned head.
    if request.comment_id:
        gh.react(request.comment_id, "eyes")
    stages = list(request.command.stages) or (["rollback"] if request.command.name == "rollback" else [])
    progress = comment.new_progress(
        app=_app(ctx), heroku_app=_input(ctx, "heroku_app"), command=request.command,
        actor=request.actor, head_sha=decision.head_sha, stages=stages,
    )
    if request.command.name == "plan":
        progress["stages"] = {"plan": {"status": "pending"}}
    progress = comment.restart(found.progress, progress)
    _publish(ctx, gh, request.pr_number, progress, comment_id=found.comment_id)
    _set_outputs(
        ctx, run="true", command=request.command.name, stages=json.dumps(stages),
        head_sha=decision.head_sha or "",
    )
    return errors.EXIT_OK


# ------------------------------------------------------------------ around a command


class _RecordingFiles:
    """The runner's files, remembering the outputs a handler sets (plan_json...) and
    holding back its summary until we know whether ours already contains it."""

    def __init__(self, files):
        self._files = files
        self.outputs: dict[str, str] = {}
        self.summaries: list[str] = []

    def set_output(self, name: str, value: str) -> None:
        self.outputs[name] = value
        self._files.set_output(name, value)

    def add_summary(self, markdown: str) -> None:
        self.summaries.append(markdown)

    def flush_summaries(self) -> None:
        for markdown in self.summaries:
            self._files.add_summary(markdown)
        self.summaries = []

    def __getattr__(self, name):
        return getattr(self._files, name)


def around(ctx, command: str, handler: Callable[[Any], int]) -> int:
    """Run one command's handler inside the progress comment's bookkeeping."""
    number = _pr_number(ctx)
    gh = _client(ctx) if number else None
    if gh is None:
        return handler(ctx)

    pinned = _input(ctx, "head_sha")
    if pinned and command in ("migrate", "rollback"):
        authz.ensure_head_unchanged(pinned, gh.pull_request(number).head_sha)

    stage = _input(ctx, "stage") if command == "migrate" else command
    key = _state_key(ctx)
    found = _load_progress(ctx, gh, number, command, stage)
    progress, comment_id = found.progress, found.comment_id
    if found.refused_state:  # nothing runs, and that comment is left for a human to look at
        raise state_sync.refused(found.refused_state)
    if command in ("migrate", "rollback"):
        _forget_checked_out_state(ctx)
        _restore_state(ctx, progress, key)  # a later run: the state of earlier runs lives in the comment
    progress = comment.start_stage(progress, stage, run_url=run_url())
    # The summary is written once, at the end.
    comment_id = _publish_quietly(ctx, gh, number, progress, comment_id=comment_id, with_summary=False)

    recorder = _RecordingFiles(ctx.files)
    original, ctx.files = ctx.files, recorder
    try:
        code = handler(ctx)
    except errors.HerokuflyError as exc:
        recorder.flush_summaries()
        progress = comment.finish_stage(progress, stage, "failed", summary=exc.one_line()[:300])
        progress["error"] = exc.one_line()
        _collect_details(progress, ctx, stage)
        _carry_state(ctx, progress, command, key)
        _publish_quietly(ctx, gh, number, progress, comment_id=comment_id, summary_files=original)
        raise
    except KeyboardInterrupt:
        recorder.flush_summaries()
        progress = comment.finish_stage(progress, stage, "interrupted")
        _carry_state(ctx, progress, command, key)
        _publish_quietly(ctx, gh, number, progress, comment_id=comment_id, summary_files=original)
        raise
    finally:
        ctx.files = original

    if "plan_json" in recorder.outputs:
        try:
            progress["plan"] = json.loads(recorder.outputs["plan_json"])
        except ValueError:
            pass
    if not (command == "plan" and progress.get("plan")):
        recorder.flush_summaries()  # the plan's own summary is inside ours; anything else is kept
    status, summary = _stage_result(ctx, stage, code)
    progress = comment.finish_stage(progress, stage, status, summary=summary)
    progress["error"] = None if code == errors.EXIT_OK else progress.get("error")
    _collect_details(progress, ctx, stage)
    _carry_state(ctx, progress, command, key)
    _publish_quietly(ctx, gh, number, progress, comment_id=comment_id)
    return code


def _state_path(ctx) -> Path | None:
    fly_app = _input(ctx, "fly_app")
    if not fly_app:
        return None
    from herokufly.act import state as state_module

    return Path(state_module.default_path(fly_app))


def _tracked_by_git(path: Path) -> bool:
    """Whether `path` is a file of the checked-out commit (so the PR's author wrote it)."""
    if not path.exists():
        return False
    try:
        proc = subprocess.run(["git", "-c", "safe.directory=*", "ls-files", "--error-unmatch", "--", path.name],
                              cwd=path.parent, env=child_env.allowed(), capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False  # no git: the workflow's own step deleted .herokufly/ before the artifact came
    return proc.returncode == 0


def _forget_checked_out_state(ctx) -> None:
    """A state file that came with the PR's checkout is the PR author's, not ours: delete it
    before anything reads it. The workflow's artifact (this run's earlier jobs) and the signed
    comment are the only sources of state."""
    path = _state_path(ctx)
    if path is None:
        return
    if _tracked_by_git(path):
        console.err(f"warning: deleted {path}: it came with the pull request, and herokufly reads "
                    "its migration state only from its own artifact and signed comment")
        path.unlink(missing_ok=True)


def _restore_state(ctx, progress: dict, key: str | None) -> None:
    """Before a stage: the comment's copy of the state into the state file, if that is absent or older."""
    path, heroku_app = _state_path(ctx), _input(ctx, "heroku_app")
    if path is None or not heroku_app:
        return
    outcome = state_sync.restore(progress.get(state_sync.KEY), path,
                                 heroku_app=heroku_app, fly_app=_input(ctx, "fly_app"), key=key)
    state_sync.add_private_fields(path)  # the artifact carries the public copy only
    if outcome == "restored":
        console.out(f"Migration state restored from the progress comment into {path}.")


def _carry_state(ctx, progress: dict, command: str, key: str | None) -> None:
    """After a stage: the state file's signed public copy into the progress record (published
    with it), and the file itself cut to its public copy for the workflow's artifact."""
    path = _state_path(ctx)
    if command not in ("migrate", "rollback") or path is None:
        return
    if key is None and path.exists():
        console.err(f"warning: the migration state is not carried to later runs: set the {signing.KEY_SECRET} "
                    "secret and pass it as `state_key` (see `herokufly workflow`)")
    carried = state_sync.capture(path, key)
    if carried is not None:
        progress[state_sync.KEY] = carried
    if os.environ.get("GITHUB_ACTIONS") == "true":
        state_sync.keep_only_public(path)


class _Found:
    """The progress record herokufly trusts on this PR, and what it refused."""

    def __init__(self, comment_id: int | None = None, progress: dict | None = None, refused_state: str | None = None):
        self.comment_id, self.progress, self.refused_state = comment_id, progress, refused_state


def _find_record(ctx, gh: GitHubClient, number: int) -> _Found:
    """The oldest progress comment of this token's login whose last data block verifies
    (signed for this repository, PR and comment id). Without a key, the oldest one, with
    any migration state in it refused."""
    key, repository = _state_key(ctx), _repository(ctx)
    candidates = gh.marked_comments(number, _app(ctx))
    refused = None
    for comment_id, body in candidates:
        progress = comment.decode(body)
        if progress is None:
            continue
        if key is None:
            if progress.pop(state_sync.KEY, None) is not None:
                refused = f"it cannot be verified without the {signing.KEY_SECRET} secret"
            progress.pop(signing.FIELD, None)
            return _Found(comment_id, progress, refused)
        if signing.record_is_signed(progress, key, repository=repository, number=number, comment_id=comment_id):
            return _Found(comment_id, progress)
        if progress.get(state_sync.KEY) is not None:
            refused = f"its comment is not signed with {signing.KEY_SECRET} (forged, edited, or written without the key)"
    if candidates:
        console.err("warning: no progress comment on this pull request verifies; starting a new record "
                    "(each stage still checks Heroku and Fly themselves)")
    return _Found(candidates[0][0] if candidates else None, None, refused)


def _load_progress(ctx, gh: GitHubClient, number: int, command: str, stage: str) -> _Found:
    found = _Found()
    try:
        found = _find_record(ctx, gh, number)
    except errors.GitHubError as exc:
        _warn("read the progress comment", exc)
    progress = found.progress
    if progress is None:
        cmd = events.Command("migrate", stage) if command == "migrate" and stage else events.Command(
            command if command in events.COMMANDS else "plan")
        progress = comment.new_progress(
            app=_app(ctx), heroku_app=_input(ctx, "heroku_app"), command=cmd,
            actor=os.environ.get("GITHUB_ACTOR", ""), head_sha=_input(ctx, "head_sha") or None, stages=[],
        )
    found.progress = progress
    return found


def _stage_result(ctx, stage: str, code: int) -> tuple[str, str | None]:
    """done/unchanged/skipped/failed and the one-line summary, from the migration state when there is one."""
    entry = _state_stage(ctx, stage)
    state_status = entry.get("status")
    if code != errors.EXIT_OK:
        return "failed", entry.get("error")
    if state_status in ("skipped", "unchanged", "done"):
        return state_status, entry.get("summary")
    return "done", entry.get("summary")


def _state_stage(ctx, stage: str) -> dict:
    fly_app = _input(ctx, "fly_app")
    if not fly_app:
        return {}
    try:
        from herokufly.act import state as state_module

        path = state_module.default_path(fly_app)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, ImportError):
        return {}
    return (data.get("stages") or {}).get(stage) or {}


def _collect_details(progress: dict, ctx, stage: str) -> None:
    """DNS records (domains) and copy verification figures (database) from the state."""
    entry = _state_stage(ctx, stage)
    if stage == "domains" and entry.get("domains"):
        rows = []
        for domain in entry["domains"]:
            for record in domain.get("records") or []:
                rows.append({"hostname": record.get("name") or domain.get("hostname"), "type": record.get("type"),
                             "value": record.get("value"), "status": domain.get("status") or ""})
        progress["dns_records"] = rows
    if stage == "database" and entry.get("report"):
        figures: dict[str, Any] = {}
        for key, value in entry["report"].items():
            if isinstance(value, dict):
                figures.update({f"{key} {k}": v for k, v in value.items() if comment._is_scalar(v)})
            elif comment._is_scalar(value):
                figures[key] = value
        if (entry.get("window") or {}).get("seconds") is not None:
            figures["maintenance window seconds"] = entry["window"]["seconds"]
        progress["database"] = figures


def _publish(ctx, gh: GitHubClient, number: int | None, progress: dict, *, comment_id: int | None = None,
             summary_files=None, with_summary: bool = True) -> int | None:
    """Render the record into the sticky comment (signed for that comment when there is a key)
    and the job summary; returns the comment's id."""
    plan_md = _plan_markdown(progress.get("plan"))
    if number:
        key, app = _state_key(ctx), _app(ctx)
        if key and comment_id is None:
            # The signature names the comment, so the comment must exist first.
            comment_id = gh.upsert_sticky(number, app, comment.render(progress, with_data=False)).comment_id
        for _ in range(2):  # a second round only if the pinned comment vanished meanwhile
            sign = _signer(ctx, key, number, comment_id) if key else None
            result = gh.upsert_sticky(number, app, comment.render(progress, plan_markdown=plan_md, sign=sign),
                                      comment_id=comment_id)
            if not key or result.comment_id == comment_id:
                break
            comment_id = result.comment_id
        comment_id = result.comment_id
    if with_summary:
        (summary_files or ctx.files).add_summary(comment.render_summary(progress, plan_markdown=plan_md))
    return comment_id


def _signer(ctx, key: str, number: int, comment_id: int):
    repository = _repository(ctx)
    return lambda record: signing.sign_record(record, key, repository=repository, number=number, comment_id=comment_id)


def _publish_quietly(ctx, gh, number, progress, *, comment_id: int | None = None, summary_files=None,
                     with_summary: bool = True) -> int | None:
    try:
        return _publish(ctx, gh, number, progress, comment_id=comment_id, summary_files=summary_files,
                        with_summary=with_summary)
    except errors.GitHubError as exc:
        _warn("update the progress comment", exc)
        return comment_id


def _plan_markdown(plan: dict | None) -> str | None:
    if not plan:
        return None
    try:
        from herokufly.report import render_plan_markdown

        return render_plan_markdown(plan)
    except Exception:  # noqa: BLE001  (an older or partial plan dict: the short summary still shows)
        return None


# ------------------------------------------------------------------ the last job


def handle_report(ctx) -> int:
    """`command: report`: the final reaction and a settled comment."""
    outcome = _input(ctx, "outcome", "success")
    success = outcome == "success"
    number = _pr_number(ctx)
    gh = _client(ctx)
    if gh is None or not number:
        console.out(f"herokufly finished: {outcome}.")
        return errors.EXIT_OK
    found = _find_record(ctx, gh, number)
    progress = None if found.refused_state else found.progress
    if progress is not None:
        for name, entry in progress["stages"].items():
            if entry.get("status") == "pending":
                progress = comment.finish_stage(progress, name, "skipped",
                                                summary=None if success else "not run: an earlier job failed")
            elif entry.get("status") == "running":
                progress = comment.finish_stage(progress, name, "failed" if not success else "done",
                                                summary="the job stopped before reporting")
        _publish(ctx, gh, number, progress, comment_id=found.comment_id)
    comment_id = _comment_id(ctx)
    if comment_id:
        gh.finish_reaction(comment_id, success)
    console.out(f"herokufly finished: {outcome}.")
    return errors.EXIT_OK


# ------------------------------------------------------------------ workflow files


def handle_workflow(ctx) -> int:
    """Generate the deploy workflow; commit it with a token that may, else show it.

    Only files rendered from herokufly's own templates are ever committed, never a PR's own
    workflow files (the edits turning off old Heroku deploys are shown as notes), only to a
    branch of this repository (never for a fork's PR), and only on top of the head pinned
    when the command was authorized (issue 10, attack 1).
    """
    from herokufly.act import workflow

    default_branch = (ctx.event.get("repository") or {}).get("default_branch") or "main"
    # The migration workflow is already there (it is running this); only the deploy workflow is offered.
    plan = workflow.plan_workflows(
        Path("."), branch=_input(ctx, "branch") or default_branch,
        environment=_input(ctx, "environment") or None,
        heroku_app=_input(ctx, "heroku_app") or None, fly_app=_input(ctx, "fly_app") or None,
        migrate=False,
    )
    # A workflow file the user already has with other content is never replaced from CI.
    files = {path: text for path, text in plan.files.items() if path in plan.rendered and path not in plan.conflicts}
    notes = [f"{path} exists with other content and was left as it is" for path in plan.conflicts]
    number = _pr_number(ctx)
    record: dict[str, Any] = {"committed": False, "files": files, "notes": notes + plan.notes(in_ci=True)
                              + workflow.token_instructions(_input(ctx, "fly_app") or None)}
    token, pinned = _input(ctx, "workflow_token"), _input(ctx, "head_sha")
    if not files:
        record["reason"] = ("nothing to commit: " + "; ".join(notes)) if notes else "the workflow files are already up to date"
    elif not token:
        record["reason"] = ("the default GITHUB_TOKEN cannot write .github/workflows/; give the workflow_token input "
                            "a token with the workflows permission to have them committed")
    elif not number:
        record["reason"] = "there is no pull request branch to commit to"
    elif not pinned:
        record["reason"] = "no head commit was pinned when the command was authorized (the head_sha input)"
    else:
        writer = _client(ctx, token=token)
        try:
            pull = writer.pull_request(number)
            if pull.is_fork:
                record["reason"] = ("the pull request comes from another repository; herokufly commits only to "
                                    "branches of this one")
            elif pull.head_sha != pinned:
                record["reason"] = (f"the pull request head moved from {pinned[:12]} to {pull.head_sha[:12]} after "
                                    "the command was authorized")
            else:
                branch = writer.pull_request_branch(number)
                writer.commit_on(branch, pinned, files, "Deploy to Fly.io with GitHub Actions (herokufly workflow)")
                record.update(committed=True, branch=branch)
        except errors.GitHubError as exc:
            record["reason"] = f"GitHub refused the commit: {exc.one_line()}"
    verdict = (f"Committed {len(files)} workflow file(s) to {record.get('branch')}." if record["committed"]
               else f"Not committed: {record['reason']}.")
    console.out(verdict)
    ctx.files.set_output("workflow_committed", "true" if record["committed"] else "false")
    gh = _client(ctx)
    if gh is not None and number:
        found = _find_record(ctx, gh, number)
        progress = found.progress
        if progress is None:
            progress = comment.new_progress(app=_app(ctx), heroku_app=_input(ctx, "heroku_app"),
                                            command=events.Command("plan"), actor=os.environ.get("GITHUB_ACTOR", ""),
                                            head_sha=None, stages=[])
        progress["workflow"] = record
        if found.refused_state:
            ctx.files.add_summary(comment.render_summary(progress))
        else:
            _publish(ctx, gh, number, progress, comment_id=found.comment_id)
    else:
        progress = comment.new_progress(app=_app(ctx), heroku_app=_input(ctx, "heroku_app"),
                                        command=events.Command("plan"), actor="", head_sha=None, stages=[])
        progress["workflow"] = record
        ctx.files.add_summary(comment.render_summary(progress))
    return errors.EXIT_OK
