"""Framework knowledge: one module per framework, each answering the same questions.

Contract for a framework module (`rails.py`, `django.py`, `phoenix.py`, ...):

    NAME: str                      # "rails"
    def detect(root: Path) -> Detection | None
        Read-time (may read files under `root`, never writes, never runs anything).
        Return None when the repo does not look like this framework, else a Detection with
        human-readable `evidence` ("Gemfile.lock: rails 7.1.3") and JSON-able `facts` the
        advice needs later (versions, file flags, names). Never store config var VALUES.
        A malformed file raises errors.ConfigError naming the file (one line, exit 1).
    def advise(detection: Detection, ctx: AppContext) -> Advice
        Pure: no I/O. Says how to build and run the app on Fly (see Advice). The planner
        passes the Detection this module's `detect` returned (a module listed in
        plan._FACTS_OPTIONAL may also get an empty one). When the repo has its own Dockerfile
        the planner uses that image instead of `Advice.build`/`image`, and Heroku's own lines.
    def scaffold_files(plan: dict, root: Path) -> dict[str, tuple[str, int]]   (optional)
        Extra files scaffold writes (relative path -> (content, mode)), e.g. a generated
        Dockerfile. fly.toml is never returned here; scaffold renders it from the plan.

`plan.py` calls `detect_all` (through repo.read_repo), then `advise` on the primary
framework, turns every process line into a fly.toml command with
`machine.fly_command_running`, and checks it with `machine.runs_heroku_line`.
Process lines in an Advice keep Heroku's meaning (a `bash -c` line); a framework that
deliberately runs something else (a Mix release instead of `mix phx.server`) lists the type
in `Advice.replaced` with the reason, so the plan can say so.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from herokufly.base.machine import Image

# Config var kinds (issue 8 item 7).
SECRET = "secret"  # runtime secret: `fly secrets set`
BUILD = "build"  # needed while building: [build.args] / Dockerfile ARG, never a secret
HEROKU_ONLY = "heroku-only"  # dropped, with the reason
HEROKU_HOST = "heroku-host"  # value names *.herokuapp.com: flag, say the Fly value
CONFIG_KINDS = (SECRET, BUILD, HEROKU_ONLY, HEROKU_HOST)

# Detection order: the first that matches is the primary framework. Specific before generic;
# the languages follow the CNB builder's order groups (heroku/cnb-builder-images
# builder-24/builder.toml: python, ruby, java, scala, go, php, dotnet, then nodejs), so a
# Laravel or Spring app with a package.json for its assets is PHP or Java, as it builds.
MODULES = ("phoenix", "elixir", "rails", "ruby", "django", "python", "java", "go", "php", "node",
           "static")


@dataclass
class Detection:
    name: str  # the module's NAME
    evidence: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # JSON-able; no config var values


@dataclass
class HealthCheck:
    path: str
    headers: dict[str, str] = field(default_factory=lambda: {"X-Forwarded-Proto": "https"})
    why: str = ""


@dataclass
class Release:
    line: str  # run like a Procfile line (bash -c), e.g. "bundle exec rake db:migrate"
    why: str
    proposed: bool = True  # False when it is the app's own Procfile `release:` line


@dataclass
class ConfigVar:
    kind: str  # one of CONFIG_KINDS
    reason: str = ""
    fly_value: str | None = None  # for HEROKU_HOST: what to set on Fly instead
    credential: bool = False  # for BUILD: a secret the build needs (never a [build.args] value)


@dataclass
class AppContext:
    """What the planner knows when it asks a framework; plain data, no values of config vars."""

    fly_app: str
    procfile: dict[str, str]  # Heroku process type -> line (release included)
    config_var_names: list[str]
    has_database: bool
    release_migrations: bool = True  # False with --no-release-migrations
    host_bound_vars: list[str] = field(default_factory=list)  # names whose value has .herokuapp.com
    domains: list[str] = field(default_factory=list)  # custom domains
    stack: str | None = None  # e.g. "heroku-22"
    buildpacks: list[str] = field(default_factory=list)  # Heroku app's, or app.json's offline
    user_dockerfile: Image | None = None  # the repo's own Dockerfile, when it has one


@dataclass
class Advice:
    build: dict  # {"mode": "buildpacks", "builder": ...} or {"mode": "dockerfile", ...}
    processes: dict[str, str] = field(default_factory=dict)  # Heroku type -> line to run
    replaced: dict[str, str] = field(default_factory=dict)  # type -> why it runs something else
    release: Release | None = None
    internal_port: int = 8080
    health_check: HealthCheck = field(default_factory=lambda: HealthCheck("/"))
    env: dict[str, str] = field(default_factory=dict)  # fly.toml [env], no secrets
    build_args: dict[str, str] = field(default_factory=dict)  # fly.toml [build.args]
    config: dict[str, ConfigVar] = field(default_factory=dict)  # name -> kind, when not SECRET
    image: Image | None = None  # what the build produces (for machine.fly_command_running)
    notes: list[str] = field(default_factory=list)
    manual_steps: list[dict] = field(default_factory=list)  # {"item", "why", "how"}


def module(name: str):
    """The framework module called `name` (ImportError when there is none)."""
    return importlib.import_module(f"herokufly.frameworks.{name}")


def detect_all(root: Path) -> list[Detection]:
    """Every framework that recognises the repo, primary first."""
    found = []
    for name in MODULES:
        try:
            framework = module(name)
        except ModuleNotFoundError as exc:
            if exc.name != f"herokufly.frameworks.{name}":
                raise
            continue  # not written yet
        detection = framework.detect(root)
        if detection is not None:
            found.append(detection)
    return found
