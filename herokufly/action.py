"""The GitHub Action: action inputs and the event in, one herokufly command out.

`run(environ)` is the whole action. It reads the inputs, masks every secret
before anything is printed, hands the secrets to the engine through the
environment, moves to the working directory and dispatches `command` to a
handler in HANDLERS. Handlers report through the job summary and step outputs.
Adding a command is one function and one line in HANDLERS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import sys
import traceback
import uuid
from pathlib import Path
from typing import Callable, Mapping, MutableMapping

import click

from herokufly.base import console, errors, masking, pins
from herokufly.base.settings import MASK_ALL_CONFIG_ENV, env_flag

# Inputs that hold secrets, and the variable each is given to the engine as.
SECRET_INPUTS = {
    "heroku_api_key": "HEROKU_API_KEY",
    "fly_api_token": "FLY_API_TOKEN",
    "github_token": "GITHUB_TOKEN",
    "workflow_token": "HEROKUFLY_WORKFLOW_TOKEN",
    "state_key": "HEROKUFLY_STATE_KEY",
}


def read_input(environ: Mapping[str, str], name: str) -> str:
    """One action input, however the runner spelled its variable.

    GitHub upper-cases the input name and keeps hyphens, so `heroku_app`
    arrives as INPUT_HEROKU_APP; a hyphenated spelling is accepted too.
    """
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('_', '-')}", f"INPUT_{upper.replace('-', '_')}"):
        value = environ.get(key)
        if value is not None and value.strip():
            return value.strip()
    return ""


@dataclasses.dataclass(frozen=True)
class ActionInputs:
    """The inputs declared in action.yml. Secret values never show in repr."""

    command: str = "auto"
    heroku_app: str = ""
    fly_app: str = ""
    fly_org: str = ""
    region: str = ""
    postgres: str = ""
    stage: str = ""
    # The pull-request flow (herokufly/pr/flow.py).
    head_sha: str = ""
    stages: str = ""
    outcome: str = ""
    required_permission: str = "write"
    allow_fork_prs: str = "false"
    branch: str = ""
    environment: str = ""
    workflow_token: str = dataclasses.field(default="", repr=False)
    state_key: str = dataclasses.field(default="", repr=False)
    working_directory: str = "."
    mask_all_config: str = "false"
    heroku_api_key: str = dataclasses.field(default="", repr=False)
    fly_api_token: str = dataclasses.field(default="", repr=False)
    github_token: str = dataclasses.field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "ActionInputs":
        values = {}
        for field in dataclasses.fields(cls):
            value = read_input(environ, field.name)
            if value or field.name in SECRET_INPUTS:
                values[field.name] = value
        inputs = cls(**values)
        return dataclasses.replace(inputs, command=inputs.command.lower())

    def secrets(self) -> dict[str, str]:
        """Engine variable name -> value, for the secret inputs that were given."""
        return {env: getattr(self, name) for name, env in SECRET_INPUTS.items() if getattr(self, name)}


@dataclasses.dataclass
class ActionContext:
    """What a handler gets: the inputs, the event, the runner's files, the workspace."""

    inputs: ActionInputs
    event: dict
    event_name: str
    workspace: Path
    files: "RunnerFiles"


class RunnerFiles:
    """The runner's step files: outputs ($GITHUB_OUTPUT) and job summary ($GITHUB_STEP_SUMMARY).

    Everything written is passed through masking.redact first. Outside a runner
    (no variable set) writes are dropped, so handlers need not check.
    """

    def __init__(self, output_path: str | None, summary_path: str | None):
        self.output_path = output_path or None
        self.summary_path = summary_path or None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "RunnerFiles":
        return cls(environ.get("GITHUB_OUTPUT"), environ.get("GITHUB_STEP_SUMMARY"))

    def set_output(self, name: str, value: str) -> None:
        if not self.output_path:
            return
        self._append(self.output_path, format_output(name, masking.redact(value)))

    def add_summary(self, markdown: str) -> None:
        if not self.summary_path:
            return
        text = masking.redact(markdown)
        self._append(self.summary_path, text if text.endswith("\n") else text + "\n")

    @staticmethod
    def _append(path: str, text: str) -> None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def format_output(name: str, value: str) -> str:
    """One `name<<DELIM ... DELIM` record, safe for any value including multi-line JSON."""
    delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    while delimiter in value:  # practically never; a value cannot end the record early
        delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


# --- calling the CLI in-process ---------------------------------------------------------------


def invoke_cli(args: list[str], *, capture_stdout: bool = False) -> tuple[int, str]:
    """Run one `herokufly` command in this process; return (exit code, captured stdout).

    HerokuflyError propagates to run(), which reports it once as an annotation.
    A click usage error (bad input value) becomes a ConfigError the same way.
    """
    from herokufly import cli  # late: importing the commands pulls in the whole engine

    buffer = _StdoutCapture(sys.stdout)
    redirect = contextlib.redirect_stdout(buffer) if capture_stdout else contextlib.nullcontext()
    try:
        with redirect:
            result = cli.cli.main(args=args, prog_name="herokufly", standalone_mode=False)
    except click.exceptions.Abort as exc:
        raise errors.Interrupted("interrupted") from exc
    except click.ClickException as exc:
        raise errors.ConfigError(
            f"invalid action input for `herokufly {args[0]}`: {exc.format_message()}",
            hint="fix the `with:` inputs of the herokufly step",
        ) from exc
    code = result if isinstance(result, int) else errors.EXIT_OK
    return code, buffer.captured()


class _StdoutCapture(io.TextIOBase):
    """Captures a command's stdout but passes workflow commands (`::add-mask::` and the like)
    straight to the runner: a mask registered mid-command must take effect at once."""

    def __init__(self, passthrough):
        self._passthrough = passthrough
        self._captured = io.StringIO()
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if line.startswith("::"):
                self._passthrough.write(line + "\n")
                self._passthrough.flush()
            else:
                self._captured.write(line + "\n")
        return len(text)

    def captured(self) -> str:
        return self._captured.getvalue() + self._partial


def require_inputs(inputs: ActionInputs, *names: str) -> None:
    """A clear error naming the `with:` input, before any command runs."""
    for name in names:
        if not getattr(inputs, name):
            raise errors.ConfigError(
                f"the {name} input is required for command {inputs.command!r}",
                hint=f"add `{name}:` under `with:` in the herokufly step",
            )


def common_options(inputs: ActionInputs) -> list[str]:
    """The options plan, scaffold and migrate share, from the inputs that were given."""
    args: list[str] = []
    for flag, value in (
        ("--heroku-app", inputs.heroku_app),
        ("--fly-app", inputs.fly_app),
        ("--org", inputs.fly_org),
        ("--region", inputs.region),
        ("--postgres", inputs.postgres),
    ):
        if value:
            args += [flag, value]
    return args


# --- handlers -----------------------------------------------------------------------------------


def handle_plan(ctx: ActionContext) -> int:
    """`herokufly plan --json`: the plan as the job summary and as outputs."""
    require_inputs(ctx.inputs, "heroku_app")
    args = ["plan", "--json", "--repo", ".", *common_options(ctx.inputs)]
    with console.group("herokufly plan"):
        code, stdout = invoke_cli(args, capture_stdout=True)
        if code != errors.EXIT_OK:
            # The command has already reported why; pass on what it printed.
            if stdout.strip():
                console.out(stdout.rstrip("\n"))
            return code
        try:
            plan = json.loads(stdout)
        except ValueError as exc:
            raise errors.InternalError(f"`herokufly plan --json` printed something that is not JSON: {exc}") from exc
        console.out(f"Planned {plan.get('heroku_app')} -> {plan.get('fly_app')} in {plan.get('region')}")
    ctx.files.add_summary(render_plan_summary(plan))
    ctx.files.set_output("plan_json", json.dumps(plan, indent=2, sort_keys=True))
    ctx.files.set_output("fly_app", str(plan.get("fly_app") or ""))
    ctx.files.set_output("region", str(plan.get("region") or ""))
    return errors.EXIT_OK


def render_plan_summary(plan: dict) -> str:
    """The plan as Markdown: the report module's rendering (shared with the terminal and PR comment),
    with what the repository and Heroku said unable to open HTML or mention anyone."""
    from herokufly.pr.comment import neutralize
    from herokufly.report import render_plan_markdown

    return neutralize(render_plan_markdown(plan))


def handle_migrate(ctx: ActionContext) -> int:
    """`herokufly migrate --only <stage> --yes`: one stage per step (the template has a job per stage)."""
    require_inputs(ctx.inputs, "heroku_app", "fly_app", "stage")
    args = ["migrate", *common_options(ctx.inputs), "--repo", ".", "--only", ctx.inputs.stage, "--yes"]
    smoke_url = os.environ.get(SMOKE_URL_ENV, "").strip()
    if smoke_url:
        args += ["--smoke-url", smoke_url]
    with console.group(f"herokufly migrate {ctx.inputs.stage}"):
        code, _ = invoke_cli(args)
    return code


def handle_rollback(ctx: ActionContext) -> int:
    """`herokufly rollback --yes`: Heroku back as it was before cutover; Fly left in place."""
    require_inputs(ctx.inputs, "heroku_app", "fly_app")
    args = ["rollback", "--heroku-app", ctx.inputs.heroku_app, "--fly-app", ctx.inputs.fly_app, "--yes"]
    with console.group("herokufly rollback"):
        code, _ = invoke_cli(args)
    return code


# The deploy stage's smoke check asks https://<app>.fly.dev/ unless the step's env names another address.
SMOKE_URL_ENV = "HEROKUFLY_SMOKE_URL"

Handler = Callable[[ActionContext], int]

# command input -> handler. plan/migrate/rollback run inside pr.flow.around (see _dispatch).
HANDLERS: dict[str, Handler] = {
    "plan": handle_plan,
    "migrate": handle_migrate,
    "rollback": handle_rollback,
    # The pull-request flow (herokufly/pr/flow.py): gate, final report, workflow files.
    "auto": lambda ctx: _pr_flow().handle_auto(ctx),
    "report": lambda ctx: _pr_flow().handle_report(ctx),
    "workflow": lambda ctx: _pr_flow().handle_workflow(ctx),
}


def _pr_flow():
    from herokufly.pr import flow  # late: PyGithub is loaded only for the PR commands

    return flow


# --- the action ---------------------------------------------------------------------------------


def run(environ: MutableMapping[str, str] | None = None) -> int:
    """Run the action once; return the process exit code. Never raises."""
    env = os.environ if environ is None else environ
    # Secrets are registered first: nothing at all is printed before this.
    inputs = ActionInputs.from_env(env)
    for value in inputs.secrets().values():
        masking.register(value)
    for name in SECRET_INPUTS.values():
        masking.register(env.get(name))
    if env_flag(inputs.mask_all_config):
        # Before any config value is read; the engine's Settings reads the variable too.
        masking.mask_all_config()
        os.environ[MASK_ALL_CONFIG_ENV] = "1"
    title = f"herokufly {inputs.command or 'action'} failed"
    try:
        return _dispatch(inputs, env)
    except errors.HerokuflyError as exc:
        if env.get("HEROKUFLY_DEBUG") == "1":
            console.err(traceback.format_exc())
        console.error_annotation(f"{title} ({type(exc).__name__})", exc.one_line())
        return exc.exit_code
    except KeyboardInterrupt:
        console.error_annotation(title, "interrupted: stopped cleanly; re-run the job to continue")
        return errors.EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001
        if env.get("HEROKUFLY_DEBUG") == "1":
            console.err(traceback.format_exc())
        console.error_annotation(
            title,
            f"internal error: {type(exc).__name__}: {exc}. Re-run with HEROKUFLY_DEBUG=1 and report it",
        )
        return errors.EXIT_INTERNAL


def _dispatch(inputs: ActionInputs, env: MutableMapping[str, str]) -> int:
    handler = HANDLERS.get(inputs.command)
    if handler is None:
        raise errors.ConfigError(
            f"unknown command {inputs.command!r}",
            hint=f"set the `command` input to one of: {', '.join(sorted(HANDLERS))}",
        )
    # The engine (and flyctl, git, psql under it) reads its credentials from the environment.
    for name, value in inputs.secrets().items():
        os.environ[name] = value
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    os.chdir(_working_directory(workspace, inputs.working_directory))
    ctx = ActionContext(
        inputs=inputs,
        event=_read_event(env.get("GITHUB_EVENT_PATH")),
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        workspace=workspace,
        files=RunnerFiles.from_env(env),
    )
    if inputs.command in ("plan", "migrate", "rollback"):
        # On a PR: head-SHA check, then the stage's row in the progress comment and the summary.
        code = _pr_flow().around(ctx, inputs.command, handler)
    else:
        code = handler(ctx)
    ctx.files.add_summary(f"\n<sub>{pins.version_line()}</sub>\n")  # which herokufly wrote this
    return code


def _working_directory(workspace: Path, relative: str) -> Path:
    """`working_directory`, relative to the workspace and inside it."""
    target = (workspace / (relative or ".")).resolve()
    if target != workspace and workspace not in target.parents:
        raise errors.ConfigError(
            f"working_directory {relative!r} is outside the workspace",
            hint="give a path relative to the repository root",
        )
    if not target.is_dir():
        raise errors.ConfigError(
            f"working_directory {relative!r} is not a directory in the workspace",
            hint="check out the repository first (actions/checkout) and check the path",
        )
    return target


def _read_event(path: str | None) -> dict:
    """The webhook payload of the triggering event ({} when there is none)."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise errors.InternalError(f"the event file {path} is not valid JSON: {exc}") from exc
    return event if isinstance(event, dict) else {}


def main() -> None:
    sys.exit(run())
