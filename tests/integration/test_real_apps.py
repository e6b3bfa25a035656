"""Real Heroku apps: plan and scaffold each fixture as a user would, then check what was written.

Each folder in tests/fixtures/real_apps/ reproduces the layout and traps of a real public
Heroku app (docs/real-apps.md lists the repositories and commits). `app/` is the repository;
`expect.toml` says what Heroku ran (`[heroku]`: process type -> Procfile line, `release`
included) and what this trap needs. For every fixture:

- `plan --offline --json` and `scaffold --offline` exit 0, or 1 with one line naming the file
  when the fixture is deliberately invalid; never 2, never a traceback;
- the written fly.toml passes tests/flyrules.py (flyctl's own validation rules);
- every Dockerfile scaffold writes passes hadolint (tests/dockerfile_lint.py);
- every Heroku process and release line runs on the Machine with Heroku's meaning:
  `machine.runs_heroku_line(machine.machine_exec(image, fly_cmd), line, env)`, where `image`
  is read from the Dockerfile fly.toml builds, or is the CNB image the builder makes from the
  root Procfile (heroku/buildpacks-procfile reads only `Procfile`).

A fixture whose expect.toml has `[xfail] <test> = "why"` is a strict xfail for that test (an
open trap listed in docs/real-apps.md).

The same judgement runs on any other checkouts: `HEROKUFLY_REAL_APPS=<dir>` replaces the
fixture folder; each subfolder there is a repository, and without an `expect.toml` what Heroku
ran is derived from its heroku.yml, Dockerfile, app.json (APP_BASE, PROCFILE_PATH) and Procfile
(see `_expect`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from herokufly.base import machine
from tests import dockerfile_lint, flyrules

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("HEROKUFLY_REAL_APPS") or ROOT / "tests" / "fixtures" / "real_apps")
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
HEROKU_APP = "acme-app"
# heroku/buildpacks-procfile and Heroku's dyno manager: `<type>: <command>`, type [A-Za-z0-9_-]+
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+?)\s*$")


def _procfile(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    lines = path.read_bytes().decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    return {m.group(1): m.group(2) for m in map(PROCFILE_LINE.match, lines) if m}


def _app(name: str) -> Path:
    """A fixture's repository is its app/ folder; a plain checkout (no expect.toml) is itself."""
    folder = FIXTURES / name
    return folder / "app" if (folder / "expect.toml").is_file() else folder


def _expect(name: str) -> dict:
    path = FIXTURES / name / "expect.toml"
    if path.is_file():
        return tomllib.loads(path.read_text())
    # A plain checkout: what Heroku ran, derived as docs/real-apps.md describes.
    app = _app(name)
    expect = {"source": name, "trap": "a checkout", "exit": 0}
    if _heroku_yml_builds_docker(app / "heroku.yml"):
        # Container stack: heroku.yml `run` (else the image's CMD) behind the image's ENTRYPOINT,
        # and its `release` command; the Procfile is not used.
        lines = _heroku_yml_lines(app / "heroku.yml")
        expect.update(heroku_entrypoint=True, heroku=lines)
        if "web" not in lines:
            expect["procfile_check"] = "image-cmd"  # no run.web: Heroku ran the image's CMD
        return expect
    try:
        env = json.loads((app / "app.json").read_text()).get("env") or {}
    except (OSError, ValueError, AttributeError):
        env = {}
    env = env if isinstance(env, dict) else {}
    base = _setting(env, "APP_BASE")  # the monorepo buildpack makes this folder the app
    app = app / base if isinstance(base, str) and base.strip("/") else app
    procfile = _setting(env, "PROCFILE_PATH")
    lines = _procfile(app / (procfile if isinstance(procfile, str) else "Procfile"))
    dockerfile = app / "Dockerfile"
    if dockerfile.is_file() and machine.image_from_dockerfile(
            dockerfile.read_text(errors="replace")).declared:
        # Built with buildpacks on Heroku, but herokufly uses the app's own image (issue 8):
        # its web process is the image's command; the other lines must still run. (A
        # Dockerfile with no CMD or ENTRYPOINT is a development image: every line runs.)
        web = lines.pop("web", None)
        if web:
            expect["procfile_web"] = web
        expect["procfile_check"] = "image-cmd"
    expect["heroku"] = lines
    return expect


def _setting(env: dict, name: str):
    """An app.json env value: a plain string or {"value": ...}."""
    value = env.get(name)
    return value.get("value") if isinstance(value, dict) else value


def _heroku_yml_builds_docker(path: Path) -> bool:
    """heroku.yml `build.docker` means the container stack (`build.languages` is buildpacks)."""
    try:
        doc = yaml.safe_load(path.read_text()) if path.is_file() else None
    except yaml.YAMLError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("build"), dict) and "docker" in doc["build"]


def _heroku_yml_lines(path: Path) -> dict[str, str]:
    """heroku.yml `run` entries (web too: it replaces the image's CMD) and `release`."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        return {}
    lines = {}
    entries = dict(doc.get("run") or {})
    if isinstance(doc.get("release"), dict):
        entries["release"] = doc["release"]
    for kind, entry in entries.items():
        command = entry.get("command") if isinstance(entry, dict) else entry
        if isinstance(command, list):
            command = " ".join(str(c) for c in command)
        if isinstance(command, str):
            lines[kind] = command  # run.web replaces the image's CMD on Heroku
    return lines


def _cases(test: str) -> list:
    """Every fixture; those whose expect.toml has `xfail.<test> = "why"` are strict xfails."""
    params = []
    for name in CASES:
        why = _expect(name).get("xfail", {}).get(test)
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def _exits(expect: dict) -> list[int]:
    value = expect.get("exit", 0)
    return value if isinstance(value, list) else [value]


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HEROKU_", "FLY_", "GITHUB_", "INPUT_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "herokufly", *args, "--repo", str(repo), "--heroku-app", HEROKU_APP],
        capture_output=True, text=True, env=env, cwd=repo, timeout=300)


def _snapshot(repo: Path) -> dict[str, bytes]:
    files = sorted(p for p in repo.rglob("*") if p.is_file())
    return {str(p.relative_to(repo)): p.read_bytes() for p in files}


class Run:
    """One fixture planned and scaffolded in its own copy (done once, shared by the tests)."""

    def __init__(self, name: str, work: Path):
        self.name = name
        self.expect = _expect(name)
        self.repo = work / "repo"
        shutil.copytree(_app(name), self.repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        self.before = _snapshot(self.repo)
        self.plan_proc = _cli(self.repo, "plan", "--offline", "--json")
        self.scaffold_proc = _cli(self.repo, "scaffold", "--offline")
        self.after = _snapshot(self.repo)
        self.plan = None
        if self.plan_proc.returncode == 0:
            self.plan = json.loads(self.plan_proc.stdout)
        fly_toml = self.repo / "fly.toml"
        self.fly_text = fly_toml.read_text() if fly_toml.is_file() else None
        self.fly = tomllib.loads(self.fly_text) if self.fly_text else None

    def written(self) -> list[str]:
        """Files scaffold created or changed."""
        return [p for p, data in self.after.items() if self.before.get(p) != data]


_RUNS: dict[str, Run] = {}


@pytest.fixture
def run(request, tmp_path_factory) -> Run:
    name = request.param
    if name not in _RUNS:
        _RUNS[name] = Run(name, tmp_path_factory.mktemp(name))
    return _RUNS[name]


def _check_exit(proc: subprocess.CompletedProcess, expect: dict, what: str):
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, f"{what} printed a traceback:\n{output}"
    assert proc.returncode != 2, f"{what} exited 2 (internal error):\n{output}"
    assert proc.returncode in _exits(expect), f"{what} exited {proc.returncode}:\n{output}"
    if proc.returncode == 1:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, f"{what}: a user error is one line, got:\n{proc.stderr}"
        assert expect.get("error_names", "\0") in lines[0], (
            f"{what}: the error must name {expect.get('error_names')!r}: {lines[0]}")


@pytest.mark.parametrize("run", _cases("exit"), indirect=True)
def test_plan_and_scaffold_exit_cleanly(run: Run):
    _check_exit(run.plan_proc, run.expect, "plan")
    _check_exit(run.scaffold_proc, run.expect, "scaffold")
    if run.scaffold_proc.returncode == 1:
        assert run.after == run.before, "scaffold refused but still wrote files"
    else:
        assert run.fly_text is not None, "scaffold exited 0 without writing fly.toml (no --force)"


def _scaffolded(run: Run) -> Run:
    if run.scaffold_proc.returncode != 0 or run.fly is None:
        pytest.skip("scaffold refused this fixture (see test_plan_and_scaffold_exit_cleanly)")
    return run


@pytest.mark.parametrize("run", _cases("flyrules"), indirect=True)
def test_fly_toml_passes_flyctl_rules(run: Run):
    run = _scaffolded(run)
    assert flyrules.problems(run.fly_text) == []


@pytest.mark.parametrize("run", _cases("hadolint"), indirect=True)
def test_written_dockerfiles_pass_hadolint(run: Run):
    run = _scaffolded(run)
    dockerfiles = [p for p in run.written() if Path(p).name.startswith("Dockerfile")]
    if not dockerfiles:
        pytest.skip("scaffold wrote no Dockerfile (builds with buildpacks or the app's own)")
    found = [f for p in dockerfiles for f in dockerfile_lint.findings(run.repo / p)]
    assert found == []


def _image(run: Run) -> machine.Image:
    build = run.fly.get("build", {})
    if build.get("builder") or build.get("buildpacks"):
        procfile = _procfile(run.repo / "Procfile")
        # No Procfile: the language buildpack's default web process (an assumption, see
        # docs/real-apps.md), modelled like a Procfile entry.
        defaults = {k: ("bash", "-c", v) for k, v in run.expect.get("heroku", {}).items()
                    if k != "release" and k not in procfile}
        return machine.image_from_buildpacks(procfile, defaults)
    dockerfile = run.repo / build.get("dockerfile", "Dockerfile")
    assert not build.get("image"), "fly.toml deploys a prebuilt image; cannot check processes"
    assert dockerfile.is_file(), f"fly.toml builds {dockerfile.name}, which is not there"
    return machine.image_from_dockerfile(dockerfile.read_text(), _repo_reader(run.repo))


def _repo_reader(root: Path):
    """read_file for image_from_dockerfile: a file of the build context, or None."""
    def read(rel: str) -> str | None:
        path = (root / rel).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            return None
        return path.read_text(errors="replace")
    return read


def _replaced(plan: dict) -> dict:
    """Heroku process types the plan says deliberately run something else, with the reason.

    The plan's `process_checks` (Fly group -> {"replaced": why, ...}) and `release`; a Mix
    release running `/app/bin/server` for `mix phx.server` is such a case. The reason must be
    stated; a silent substitution fails.
    """
    sources = plan.get("process_sources") or {}
    found = {}
    for group, check in (plan.get("process_checks") or {}).items():
        if isinstance(check, dict) and "replaced" in check:
            found[sources.get(group, group)] = check["replaced"]
    release = plan.get("release")
    if isinstance(release, dict) and "replaced" in release:
        found["release"] = release["replaced"]
    found.update(plan.get("not_run") or {})  # one-off tasks given no process group, with why
    return found


@pytest.mark.parametrize("run", _cases("processes"), indirect=True)
def test_every_process_runs_what_heroku_ran(run: Run):
    run = _scaffolded(run)
    image = _image(run)
    env = {k: str(v) for k, v in run.fly.get("env", {}).items()}
    processes = run.fly.get("processes")
    # fly.toml [experimental] entrypoint replaces the image's for every group and the release
    # (flyctl internal/appconfig/machines.go).
    entrypoint = run.fly.get("experimental", {}).get("entrypoint")
    failures = []
    if run.expect.get("procfile_check") == "image-cmd":
        # The app's own image: its web process is the image's ENTRYPOINT+CMD, not a command
        # herokufly made up (issue 8: "processes and port come from its CMD, ENTRYPOINT").
        # Behind a replaced ENTRYPOINT only a provable pass-through (sh -c 'exec "$@"') counts.
        argv = machine.machine_exec(image, (processes or {}).get("app"), entrypoint=entrypoint)
        own = list(image.entrypoint) + list(image.cmd)
        if image.entrypoint_shell_form:
            own = list(image.entrypoint)  # a shell-form ENTRYPOINT ignores CMD
        replaced = (run.plan or {}).get("entrypoint") or {}
        if entrypoint is not None and len(argv) == 3 and argv[1] == "-c":
            # `[experimental] entrypoint = [shell, "-c"]`: the group's one word is a shell
            # line; compare its words (a shell-form ENTRYPOINT's text as it is).
            text = argv[2]
            argv = ([*image.entrypoint[:-1], text] if image.entrypoint_shell_form
                    else shlex.split(text))
        if replaced and not replaced.get("script_runs") and replaced.get("why"):
            # The plan says the image's ENTRYPOINT script cannot start on Fly: web then runs
            # Heroku's web line, or the image's CMD without the script.
            web = run.expect.get("procfile_web")
            ok = argv == list(image.cmd) or bool(web and machine.runs_heroku_line(
                machine.machine_exec(image, (processes or {}).get("app"), entrypoint=entrypoint),
                web, env))
            if not ok:
                failures.append(f"the app group runs {argv}: neither Heroku's web line nor "
                                "the image's CMD")
        elif machine.own_command_problem(image) and run.expect.get("procfile_web"):
            # The image's own command cannot start the app (exec-form `&&`, tini with no
            # CMD): web must run Heroku's web line instead.
            if not machine.runs_heroku_line(
                    machine.machine_exec(image, (processes or {}).get("app"), entrypoint=entrypoint),
                    run.expect["procfile_web"], env, image):
                failures.append(f"the app group runs {argv}; the image's own command cannot "
                                "start and Heroku's web line does not run either")
        elif (not argv and image.declared) or argv != own:
            # An empty argv is the base image's own ENTRYPOINT/CMD (a final stage `FROM nginx`
            # declaring neither inherits them: Docker's Dockerfile reference, CMD/ENTRYPOINT),
            # which is what Heroku's container stack ran too.
            failures.append(f"the app group runs {argv}, not the image's ENTRYPOINT+CMD")
    replaced = _replaced(run.plan or {})
    for kind, line in run.expect.get("heroku", {}).items():
        if kind in replaced:
            assert str(replaced[kind]).strip(), f"{kind} is replaced without a reason"
            continue
        if kind == "release":
            fly_cmd = run.fly.get("deploy", {}).get("release_command")
            if not fly_cmd:
                failures.append("release: Heroku ran a release line; no release_command")
                continue
        else:
            # Fly group names follow herokufly.decide.names (custom_web -> custom-web); the plan's
            # process_sources maps each group to its Heroku type.
            sources = (run.plan or {}).get("process_sources") or {}
            group = next((g for g, k in sources.items() if k == kind),
                         "app" if kind == "web" else kind)
            if processes is None and group == "app":
                fly_cmd = None
            elif group not in (processes or {}):
                failures.append(f"{kind}: no [processes] group {group!r}")
                continue
            else:
                fly_cmd = processes[group]
        argv = machine.machine_exec(image, fly_cmd, entrypoint=entrypoint)
        own_entrypoint = list(image.entrypoint)
        if (run.expect.get("heroku_entrypoint") and own_entrypoint
                and argv[:len(own_entrypoint)] == own_entrypoint):
            # Heroku's container stack ran it behind the same ENTRYPOINT
            argv = argv[len(own_entrypoint):]
        # With `image`, an ENTRYPOINT script is looked through only when it provably execs its
        # arguments and waits for no host Fly lacks; a tool the image lacks fails the line.
        if not machine.runs_heroku_line(argv, line, env, image):
            failures.append(f"{kind}: Heroku ran {line!r}; the Machine execs {argv}")
    proposed = run.fly.get("deploy", {}).get("release_command")
    if proposed and "release" not in run.expect.get("heroku", {}):
        # A release command herokufly proposes (Heroku ran none) must at least start: a
        # language tool the image lacks fails every deploy.
        tool = machine.missing_program(image, " ".join(machine.process_argv(proposed)))
        if tool:
            failures.append(f"release_command {proposed!r} needs {tool}, which the image lacks")
    assert failures == []


@pytest.mark.parametrize("run", _cases("traps"), indirect=True)
def test_trap_expectations(run: Run):
    expect = run.expect
    if run.plan is None:
        pytest.skip("plan refused this fixture (checked by test_plan_and_scaffold_exit_cleanly)")
    plan, failures = run.plan, []
    if expect.get("postgres") and not plan.get("postgres"):
        failures.append("the app has a Postgres add-on; the plan moves no database")
    if "framework" in expect and plan.get("framework") != expect["framework"]:
        failures.append(f"framework {plan.get('framework')!r}, expected {expect['framework']!r}")
    for name in expect.get("not_secrets", []):
        if name in (plan.get("secrets") or []):
            failures.append(f"{name} is build-time or Heroku-only, yet planned as a runtime secret")
    kinds = {c.get("name"): c for c in plan.get("config_kinds") or [] if isinstance(c, dict)}
    for name in expect.get("host_bound", []):
        kind = kinds.get(name) or {}
        if kind.get("kind") != "heroku-host" or ".fly.dev" not in str(kind.get("fly_value")):
            failures.append(f"{name} names the Heroku host; the plan does not flag it with the"
                            f" Fly value (config_kinds: {kind or 'absent'})")
    advice = json.dumps([plan.get("notes"), plan.get("manual_steps")])
    for text in expect.get("mentions", []):
        if text not in advice:
            failures.append(f"the plan's notes and manual steps never mention {text!r}")
    for key, value in (expect.get("plan_build") or {}).items():
        if (plan.get("build") or {}).get(key) != value:
            found = (plan.get("build") or {}).get(key)
            failures.append(f"build.{key} is {found!r}, expected {value!r}")
    builder = (plan.get("build") or {}).get("builder")
    if builder and (plan.get("build") or {}).get("mode") == "buildpacks":
        # Heroku publishes heroku/builder:20, :22 and :24 (issue 8; heroku-18 has none).
        tags = expect.get("builder_tags", ["20", "22", "24"])
        name, _, tag = builder.partition(":")
        if name != "heroku/builder" or tag not in tags:
            failures.append(
                f"builder {builder!r} does not exist (Heroku publishes heroku/builder:{tags})")
    if run.fly is not None:
        failures += _fly_expectations(run)
    assert failures == []


def _fly_expectations(run: Run) -> list[str]:
    expect, fly, failures = run.expect, run.fly, []
    checks = (fly.get("http_service") or {}).get("checks") or []
    if expect.get("release") and not (fly.get("deploy") or {}).get("release_command"):
        failures.append("the app has a database and no release line; no migration release_command")
    if "health_path" in expect and [c.get("path") for c in checks] != [expect["health_path"]]:
        paths = [c.get("path") for c in checks]
        failures.append(f"health check paths {paths}, expected {expect['health_path']!r}")
    if expect.get("health_header"):
        proto = [(c.get("headers") or {}).get("X-Forwarded-Proto") for c in checks]
        if not checks or any(p != "https" for p in proto):
            failures.append("the app forces SSL; health checks must send X-Forwarded-Proto: https")
    for name in expect.get("env_absent", []):
        if name in (fly.get("env") or {}):
            failures.append(f"[env] sets {name}, which the app never reads")
    dockerfile = (fly.get("build") or {}).get("dockerfile", "Dockerfile")
    if dockerfile in run.written():
        text = (run.repo / dockerfile).read_text()
        for needle in expect.get("dockerfile_has", []):
            if needle not in text:
                failures.append(f"the generated {dockerfile} never mentions {needle!r}")
        for needle in expect.get("dockerfile_absent", []):
            if needle in text:
                failures.append(f"the generated {dockerfile} uses {needle!r}")
    if expect.get("own_dockerfile"):
        if run.after.get("Dockerfile") != run.before.get("Dockerfile"):
            failures.append("scaffold changed the app's own Dockerfile")
        if "/app/bin/" in run.fly_text:
            failures.append("fly.toml runs herokufly's /app/bin scripts, not the app's own image")
        build = fly.get("build") or {}
        if build.get("builder") or build.get("dockerfile", "Dockerfile") != "Dockerfile":
            failures.append(f"fly.toml does not build the app's own Dockerfile: {build}")
    return failures
