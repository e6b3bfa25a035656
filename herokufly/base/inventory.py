"""What herokufly read about the Heroku app and the repo: plain data, no I/O.

Config var VALUES are never part of the inventory: only their names. The
secrets stage reads values straight from Heroku when it writes them to Fly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class Addon:
    name: str  # e.g. "postgresql-curly-12345"
    service: str  # addon_service.name, e.g. "heroku-postgresql"
    plan: str  # plan.name, e.g. "heroku-postgresql:standard-0"
    config_vars: list[str] = field(default_factory=list)  # names the add-on sets
    monthly_cents: int | None = None  # from billed_price when given

    @property
    def plan_short(self) -> str:
        return self.plan.split(":", 1)[1] if ":" in self.plan else self.plan


@dataclass
class Formation:
    type: str  # process type, e.g. "web", "worker"
    quantity: int
    size: str  # dyno size name, e.g. "Standard-1X", "eco"
    command: str | None = None


@dataclass
class Domain:
    hostname: str
    kind: str  # "heroku" or "custom"
    cname: str | None = None  # the DNS target Heroku gave
    status: str | None = None


@dataclass
class HerokuApp:
    name: str
    region: str  # "us", "eu", or a Private Space region name
    stack: str | None = None  # e.g. "heroku-24"
    maintenance: bool = False
    space: str | None = None  # Private Space name, when the app lives in one
    team: str | None = None
    web_url: str | None = None
    buildpacks: list[str] = field(default_factory=list)  # names or URLs, in order
    release_version: int | None = None


@dataclass
class Repo:
    """What the user's repository says about the app."""

    path: str
    framework: str  # "phoenix", "elixir", "rails", "ruby", "django", "python", "node", "unknown"
    procfile: dict[str, str] = field(default_factory=dict)  # process type -> command
    app_json: dict | None = None
    mix_app: str | None = None  # OTP app name from mix.exs, e.g. "hello_web"
    mix_module: str | None = None  # e.g. "HelloWeb"
    has_oban: bool = False
    elixir_version: str | None = None
    otp_version: str | None = None
    node_version: str | None = None
    has_dockerfile: bool = False
    has_fly_toml: bool = False
    fly_toml_app: str | None = None
    # Added by the repo reader (all optional so older callers still work).
    versions_source: str | None = None  # ".tool-versions" or "elixir_buildpack.config"
    has_ecto: bool = False
    release_module: str | None = None  # e.g. "Acme.Release" when lib/<app>/release.ex exists
    release_overlay_scripts: list[str] = field(default_factory=list)  # files under rel/overlays/
    stack: str | None = None  # app.json "stack", e.g. "heroku-24"
    postdeploy: str | None = None  # app.json scripts.postdeploy
    # Issue 8: build inputs and framework facts.
    procfile_path: str = "Procfile"  # PROCFILE_PATH from app.json env, else "Procfile"
    app_base: str | None = None  # APP_BASE (monorepo buildpack): the subdirectory that is the app
    procfile_warnings: list[str] = field(default_factory=list)  # lines Heroku ignores, duplicates
    buildpacks: list[str] = field(default_factory=list)  # app.json "buildpacks" or .buildpacks
    buildpacks_source: str | None = None  # "app.json" or ".buildpacks"
    detections: list = field(default_factory=list)  # frameworks.Detection, primary first
    dockerfile_image: object | None = None  # machine.Image of the repo's own Dockerfile
    dockerfile_by_herokufly: bool = False  # the Dockerfile is one scaffold wrote earlier
    has_heroku_yml: bool = False  # heroku.yml builds the Dockerfile (build.docker: container stack)
    dockerfile_path: str = "Dockerfile"  # heroku.yml build.docker.web, else "Dockerfile"
    heroku_yml_run: dict[str, str] = field(default_factory=dict)  # run section, as lines
    heroku_yml_images: dict[str, str] = field(default_factory=dict)  # build.docker: type -> Dockerfile
    heroku_yml_release: str | None = None  # release command, as a line
    heroku_yml_build_config: dict[str, str] = field(default_factory=dict)  # build-time args
    umbrella_apps: list[str] = field(default_factory=list)  # apps/* of an Elixir umbrella
    # app.json env names whose default value names a *.herokuapp.com host (values not kept).
    host_bound_vars: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    """Everything read, before any decision is made."""

    heroku_app_name: str
    app: HerokuApp | None  # None when planning offline
    repo: Repo | None
    config_var_names: list[str] = field(default_factory=list)
    addons: list[Addon] = field(default_factory=list)
    formation: list[Formation] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)
    offline: bool = False
    # Config var names whose value names a *.herokuapp.com host (read.py; values not kept).
    host_bound_vars: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
