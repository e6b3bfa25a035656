"""The GitHub workflows herokufly writes, and the Heroku deploys they replace.

read:  `find_heroku_deploys(repo)` finds what deployed to Heroku before
       (Heroku deploy actions and `git push heroku` / `heroku container:*`
       in workflows, scripts and Makefiles).
plan:  `plan_workflows(...)` renders `.github/workflows/fly-deploy.yml` and
       `herokufly-migrate.yml`, and the edits that disable old Heroku steps.
act:   `write_files(...)` writes them all or nothing.

Every action is pinned by full commit SHA with its version in a comment.
The workflow text lives in herokufly/templates/workflows/.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from importlib import resources
from pathlib import Path

import yaml

from herokufly.base import pins
from herokufly.base.errors import ConfigError

# Pinned actions: full commit SHAs of released versions.
CHECKOUT = "11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
SETUP_FLYCTL = pins.setup_flyctl_pin()
UPLOAD_ARTIFACT = "ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2"
DOWNLOAD_ARTIFACT = "d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0"
FLYCTL_VERSION = pins.flyctl_version()  # the same flyctl as the action's Dockerfile
# herokufly's own action, pinned to the release commit recorded in the installed package
# (data/release.json, filled by the release workflow); `--action-ref OWNER/REPO@SHA` overrides it.
ACTION_REPOSITORY = "herokufly/herokufly"
ACTION_SHA = pins.release()["commit"]
ACTION_VERSION = "v" + pins.release()["version"]
# Without a release commit the line says so; GitHub refuses it, so nothing runs unpinned.
NO_RELEASE_PIN = "0000000000000000000000000000000000000000 # not a release: none exists yet; pin a commit with --action-ref OWNER/REPO@SHA"

PLACEHOLDER_HEROKU_APP = "my-heroku-app"
PLACEHOLDER_FLY_APP = "my-fly-app"
DEPLOY_WORKFLOW = ".github/workflows/fly-deploy.yml"
MIGRATE_WORKFLOW = ".github/workflows/herokufly-migrate.yml"
STAGE_JOBS = ("provision", "secrets", "database", "deploy", "domains", "cutover", "rollback")
# Which stage jobs get which secrets: each job only what it uses.
_STAGE_SECRETS = {
    "provision": ("heroku", "fly"),
    "secrets": ("heroku", "fly"),
    "database": ("heroku", "fly"),
    "deploy": ("heroku", "fly"),  # migrate reads the plan (processes, config var names) from Heroku
    "domains": ("heroku", "fly"),
    "cutover": ("heroku", "fly"),
    "rollback": ("heroku", "fly"),
}
_TIMEOUTS = {"database": 240, "deploy": 60}
_BRANCH = re.compile(r"^(?!.*\.\.)(?![-/.])(?!.*//)[A-Za-z0-9._/-]{1,200}(?<!/)(?<!\.lock)$")
_APP = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9 _.-]{1,255}$")
_ACTION_REF = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?)@(?P<sha>[0-9a-f]{40})$")


# ------------------------------------------------------------------ finding old Heroku deploys


@dataclasses.dataclass(frozen=True)
class Finding:
    path: str  # relative to the repo
    line: int  # 1-based
    what: str  # e.g. "uses akhileshns/heroku-deploy", "git push heroku"
    fly_equivalent: str
    in_workflow: bool


_RUN_PATTERNS = [
    (re.compile(r"\bgit\s+push\b[^\n]*?(?:\bheroku\b|git\.heroku\.com)"), "git push heroku", "flyctl deploy --remote-only"),
    (re.compile(r"\bheroku\s+container:push\b"), "heroku container:push", "flyctl deploy --remote-only (builds the Dockerfile on Fly's builders)"),
    (re.compile(r"\bheroku\s+container:release\b"), "heroku container:release", "flyctl deploy --remote-only (build and release are one step)"),
    (re.compile(r"\bheroku\s+builds:create\b"), "heroku builds:create", "flyctl deploy --remote-only"),
    (re.compile(r"\bheroku\s+releases:rollback\b"), "heroku releases:rollback", "flyctl releases list, then flyctl deploy --image <previous image>"),
]
_DEPLOY_ACTION = re.compile(r"^\s*-?\s*uses:\s*['\"]?(?P<action>[^@\s'\"]*heroku[^@\s'\"]*)@", re.IGNORECASE | re.MULTILINE)
_SCRIPT_NAMES = {"makefile", "gnumakefile", "justfile", "rakefile", "procfile", "package.json", ".gitlab-ci.yml", ".travis.yml", "app.json"}
_SCRIPT_SUFFIXES = {".sh", ".bash", ".mk", ".rake", ".make"}
_SCRIPT_DIRS = {"bin", "script", "scripts", ".circleci", "deploy", "ci"}
_SKIP_DIRS = {".git", "node_modules", "deps", "_build", "vendor", ".elixir_ls", "tmp", "log", ".herokufly"}


def _workflow_files(repo: Path) -> list[Path]:
    folder = repo / ".github" / "workflows"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def _script_files(repo: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not (Path(root) == repo and d == ".github")]
        rel_root = Path(root).relative_to(repo)
        in_script_dir = bool(rel_root.parts) and rel_root.parts[0] in _SCRIPT_DIRS
        for name in files:
            path = Path(root) / name
            if name.lower() in _SCRIPT_NAMES or path.suffix in _SCRIPT_SUFFIXES or in_script_dir:
                try:
                    if path.stat().st_size < 1_000_000:
                        found.append(path)
                except OSError:
                    continue
    return sorted(found)


def find_heroku_deploys(repo: Path) -> list[Finding]:
    """Every place that deployed to Heroku, with what replaces it on Fly."""
    repo = Path(repo)
    findings: list[Finding] = []
    for path in _workflow_files(repo):
        if path.name in (Path(DEPLOY_WORKFLOW).name, Path(MIGRATE_WORKFLOW).name):
            continue
        findings += _scan(repo, path, in_workflow=True)
    for path in _script_files(repo):
        findings += _scan(repo, path, in_workflow=False)
    return findings


def _scan(repo: Path, path: Path, *, in_workflow: bool) -> list[Finding]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    rel = path.relative_to(repo).as_posix()
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        m = _DEPLOY_ACTION.match(line)
        if m and in_workflow:
            out.append(Finding(rel, lineno, f"uses {m.group('action')}", "the deploy job in " + DEPLOY_WORKFLOW, True))
            continue
        for pattern, what, fly in _RUN_PATTERNS:
            if pattern.search(line):
                out.append(Finding(rel, lineno, what, fly, in_workflow))
                break
    return out


# ------------------------------------------------------------------ disabling old steps


def disable_heroku_steps(text: str, findings: list[Finding]) -> str:
    """The workflow text with each step holding a finding turned off by `if: false`.

    Edits are made on the text, located with the YAML parser's marks, so the
    user's comments and layout stay as they were.
    """
    lines_with_findings = {f.line for f in findings}
    if not lines_with_findings:
        return text
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"cannot read the workflow to disable its Heroku steps: {exc}") from exc
    steps = []
    for job in _mapping_value(root, "jobs", default_kind=yaml.MappingNode).value if root else []:
        step_list = _mapping_value(job[1], "steps", default_kind=yaml.SequenceNode)
        for step in step_list.value if step_list is not None else []:
            if isinstance(step, yaml.MappingNode):
                steps.append(step)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, str, bool]] = []  # (0-based line, new text, replace?)
    for step in steps:
        first, last = step.start_mark.line + 1, step.end_mark.line + 1
        if not any(first <= n <= last for n in lines_with_findings):
            continue
        column = step.start_mark.column
        note = "# herokufly: Heroku deploy turned off; " + DEPLOY_WORKFLOW + " deploys to Fly.io"
        existing_if = next(((k, v) for k, v in step.value if k.value == "if"), None)
        if existing_if is not None and str(existing_if[1].value).strip().lower() == "false":
            continue  # already off (a previous run)
        if existing_if is not None:
            k, v = existing_if
            if k.start_mark.line != v.end_mark.line:
                raise ConfigError(f"the step at line {first} has a multi-line `if:`; turn it off by hand")
            old = lines[k.start_mark.line]
            prefix = old[: k.start_mark.column]
            edits.append((k.start_mark.line, f"{prefix}if: false  {note} (was: {v.value})\n", True))
        else:
            # Insert after the step's first key and its whole value (a `run: |` block included).
            first_value = step.value[0][1]
            end = first_value.end_mark
            at = end.line if end.column == 0 else end.line + 1
            edits.append((at, " " * column + f"if: false  {note}\n", False))
    for index, new, replace in sorted(edits, reverse=True):
        if replace:
            lines[index] = new
        else:
            if index > 0 and not lines[index - 1].endswith("\n"):
                lines[index - 1] += "\n"
            lines.insert(index, new)
    result = "".join(lines)
    try:
        yaml.safe_load(result)  # must still parse
    except yaml.YAMLError as exc:
        raise ConfigError(f"could not turn off the Heroku steps safely ({exc.__class__.__name__}); edit the workflow by hand") from None
    return result


def _mapping_value(node, key: str, default_kind=None):
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if k.value == key:
            return v if default_kind is None or isinstance(v, default_kind) else None
    return None


# ------------------------------------------------------------------ rendering


def _source(name: str) -> str:
    return resources.files("herokufly").joinpath("templates", "workflows", name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"%%{key}%%", value)
    left = re.findall(r"%%[A-Z_]+%%", text)
    if left:
        raise RuntimeError(f"unfilled workflow template slots: {sorted(set(left))}")
    return text


def check_branch(branch: str) -> str:
    if not _BRANCH.match(branch or ""):
        raise ConfigError(f"{branch!r} is not a branch name", hint="pass --branch main (letters, digits, . _ - /)")
    return branch


def check_environment(name: str | None) -> str | None:
    if name is None or name == "":
        return None
    if not _ENVIRONMENT.match(name):
        raise ConfigError(f"{name!r} is not a GitHub environment name", hint="use letters, digits, spaces, . _ -")
    return name


def check_app(name: str | None, what: str) -> str | None:
    if not name:
        return None
    if not _APP.match(name):
        raise ConfigError(f"{what} {name!r} is not a valid app name", hint="use lower-case letters, digits and dashes")
    return name


def action_pin(action_ref: str | None) -> str:
    if not action_ref:
        if not ACTION_SHA:
            return f"{ACTION_REPOSITORY}@{NO_RELEASE_PIN}"
        return f"{ACTION_REPOSITORY}@{ACTION_SHA} # {ACTION_VERSION}"
    m = _ACTION_REF.match(action_ref.split("#")[0].strip())
    if not m:
        raise ConfigError(
            f"--action-ref {action_ref!r} is not OWNER/REPO@SHA",
            hint="pin herokufly by its full 40-character commit SHA",
        )
    return f"{m.group('repo')}@{m.group('sha')}"


def render_deploy_workflow(*, branch: str = "main", environment: str | None = None) -> str:
    branch = check_branch(branch)
    environment = check_environment(environment)
    return _fill(
        _source("fly-deploy.yml"),
        {
            "BRANCH": _yaml_scalar(branch),
            "BRANCH_SLUG": re.sub(r"[^A-Za-z0-9_-]", "-", branch),
            "ENVIRONMENT": f"    environment: {_yaml_scalar(environment)}\n" if environment else "",
            "CHECKOUT": CHECKOUT,
            "SETUP_FLYCTL": SETUP_FLYCTL,
            "FLYCTL_VERSION": _yaml_scalar(FLYCTL_VERSION),
        },
    )


def render_migrate_workflow(
    *,
    heroku_app: str | None = None,
    fly_app: str | None = None,
    environment: str | None = None,
    action_ref: str | None = None,
) -> str:
    """The migration workflow. Without app names it keeps placeholders to edit (the shipped template)."""
    heroku_app = check_app(heroku_app, "Heroku app")
    fly_app = check_app(fly_app, "Fly app")
    environment = check_environment(environment)
    action = action_pin(action_ref)
    # Names are set once in the workflow's env; the shipped template has placeholders to edit.
    heroku_value = "${{ env.HEROKU_APP }}"
    fly_value = "${{ env.FLY_APP }}"
    concurrency_app = fly_app or "${{ github.repository }}"
    jobs = []
    for index, stage in enumerate(STAGE_JOBS):
        if stage == "rollback":
            needs = ["plan"]
        else:
            needs = ["plan", *STAGE_JOBS[:index]]
        secrets = ""
        if "heroku" in _STAGE_SECRETS[stage]:
            secrets += "          heroku_api_key: ${{ secrets.HEROKU_API_KEY }}\n"
        if "fly" in _STAGE_SECRETS[stage]:
            # The migration creates the app, Postgres and Redis: an org token (docs/flyctl-calls.md).
            secrets += "          fly_api_token: ${{ secrets.FLY_ORG_TOKEN }}\n"
        jobs.append(
            _fill(
                _source("stage-job.yml"),
                {
                    "STAGE": stage,
                    "NEEDS": ", ".join(needs),
                    "TIMEOUT": str(_TIMEOUTS.get(stage, 30)),
                    "ENVIRONMENT": f"    environment: {_yaml_scalar(environment)}\n" if environment else "",
                    "CONCURRENCY_APP": concurrency_app,
                    "COMMAND": "rollback" if stage == "rollback" else "migrate",
                    "STAGE_INPUT": "" if stage == "rollback" else f"          stage: {stage}\n",
                    "HEROKU_APP": heroku_value,
                    "FLY_APP": fly_value,
                    "SECRETS": secrets,
                    "CHECKOUT": CHECKOUT,
                    "DOWNLOAD_ARTIFACT": DOWNLOAD_ARTIFACT,
                    "UPLOAD_ARTIFACT": UPLOAD_ARTIFACT,
                    "ACTION": action,
                },
            ).rstrip("\n")
        )
    jobs.append(_fill(_source("report-job.yml"), {"NEEDS": ", ".join(["plan", *STAGE_JOBS]), "ACTION": action}).rstrip("\n"))
    return _fill(
        _source("herokufly-migrate.yml"),
        {
            "HEROKU_APP_NAME": heroku_app or PLACEHOLDER_HEROKU_APP,
            "FLY_APP_NAME": fly_app or PLACEHOLDER_FLY_APP,
            "HEROKU_APP": heroku_value,
            "FLY_APP": fly_value,
            "CHECKOUT": CHECKOUT,
            "ACTION": action,
            "STAGE_JOBS": "\n".join(jobs),
        },
    ).rstrip("\n") + "\n"


def _yaml_scalar(value: str) -> str:
    """A plain YAML scalar when safe, else a single-quoted one."""
    if re.match(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", value) and value.lower() not in ("true", "false", "null", "yes", "no", "on", "off"):
        return value
    return "'" + value.replace("'", "''") + "'"


# ------------------------------------------------------------------ the whole change


@dataclasses.dataclass
class WorkflowPlan:
    files: dict[str, str]  # repo-relative path -> new content (new workflows and edited old ones)
    findings: list[Finding]
    conflicts: list[str]  # paths that exist with other content (need --force)
    unchanged: list[str]
    # The paths rendered from herokufly's own templates; the others in `files` are the repo's own
    # workflows with a step turned off, which CI never commits (docs/security.md, attack 1).
    rendered: list[str] = dataclasses.field(default_factory=list)

    def notes(self, *, in_ci: bool = False) -> list[str]:
        notes = []
        for f in self.findings:
            where = f"{f.path}:{f.line}"
            if f.in_workflow and in_ci:
                notes.append(f"{where}: {f.what}: turn this step off (`if: false`); {f.fly_equivalent} replaces it "
                             "(herokufly edits no existing workflow from CI)")
            elif f.in_workflow:
                notes.append(f"{where}: {f.what}: turned off with `if: false`; {f.fly_equivalent} replaces it")
            else:
                notes.append(f"{where}: {f.what}: change it to `{f.fly_equivalent}` (not edited)")
        return notes


def token_instructions(fly_app: str | None) -> list[str]:
    app = fly_app or "<your-fly-app>"
    return [
        f"Create an app-scoped deploy token that expires: `fly tokens create deploy --app {app} --expiry 8760h --name github-actions`",
        "Store it as the repository secret FLY_API_TOKEN (Settings → Secrets and variables → Actions), "
        "e.g. `gh secret set FLY_API_TOKEN` with the token on stdin; renew it before it expires.",
        "For the migration workflow, create an organization token (the migration creates the app, "
        "Postgres and Redis, which a deploy token cannot): `fly tokens create org --org <org> --expiry 720h`, "
        "stored as the repository secret FLY_ORG_TOKEN (`gh secret set FLY_ORG_TOKEN`); delete it when "
        "the migration is done.",
        "Create the key that signs the migration state herokufly keeps in the PR comment, known only to "
        "the workflow: `openssl rand -hex 32 | gh secret set HEROKUFLY_STATE_KEY` (without it no state "
        "is carried from one PR comment's run to the next).",
    ]


def plan_workflows(
    repo: Path,
    *,
    branch: str = "main",
    environment: str | None = None,
    heroku_app: str | None = None,
    fly_app: str | None = None,
    migrate: bool = True,
    action_ref: str | None = None,
) -> WorkflowPlan:
    repo = Path(repo)
    if not repo.is_dir():
        raise ConfigError(f"{repo} is not a directory", hint="pass --repo with the path of your app's repository")
    wanted = {DEPLOY_WORKFLOW: render_deploy_workflow(branch=branch, environment=environment)}
    if migrate:
        wanted[MIGRATE_WORKFLOW] = render_migrate_workflow(
            heroku_app=heroku_app, fly_app=fly_app, environment=environment, action_ref=action_ref
        )
    findings = find_heroku_deploys(repo)
    files: dict[str, str] = {}
    conflicts: list[str] = []
    unchanged: list[str] = []
    for rel, content in wanted.items():
        path = repo / rel
        if path.exists():
            current = path.read_text(encoding="utf-8")
            if current == content:
                unchanged.append(rel)
                continue
            conflicts.append(rel)
        files[rel] = content
    by_file: dict[str, list[Finding]] = {}
    for f in findings:
        if f.in_workflow:
            by_file.setdefault(f.path, []).append(f)
    for rel, items in by_file.items():
        old = (repo / rel).read_text(encoding="utf-8")
        new = disable_heroku_steps(old, items)
        if new != old:
            files[rel] = new
    return WorkflowPlan(files=files, findings=findings, conflicts=conflicts, unchanged=unchanged, rendered=list(wanted))


def write_files(repo: Path, files: dict[str, str]) -> list[str]:
    """Write every file or none: each goes to a temp file first, then all are moved in."""
    repo = Path(repo)
    staged: list[tuple[str, Path]] = []
    try:
        for rel, content in files.items():
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".herokufly-", dir=str(target.parent))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            staged.append((rel, Path(tmp)))
        for rel, tmp in staged:
            os.replace(tmp, repo / rel)
    finally:
        for _, tmp in staged:
            if tmp.exists():
                tmp.unlink()
    return [rel for rel, _ in staged]
