"""Decide what a migration will do: pure functions from an Inventory to a Plan.

No I/O here. Conventions chosen (and shown in every plan):
- Heroku's `web` process becomes Fly's default process group `app` (what
  `fly launch` creates and Fly's docs call it); every other process type keeps
  its name (`worker` stays `worker`). `process_sources` records the mapping.
- Each group gets a VM with at least as much memory as its dyno had.
- Config var VALUES never enter a plan: `secrets` and `excluded_config` hold names.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from dataclasses import dataclass, field

from herokufly import frameworks
from herokufly.base import machine
from herokufly.decide import names, pricing
from herokufly.base.errors import ConfigError
from herokufly.frameworks import BUILD, HEROKU_HOST, HEROKU_ONLY, Advice, AppContext, Detection
from herokufly.frameworks import _common as framework_common
from herokufly.frameworks import _runtime as framework_runtime
from herokufly.frameworks import _unsupported, dockerfile
from herokufly.base.inventory import Addon, Formation, Inventory, Repo

POSTGRES_TARGETS = ("managed", "unmanaged", "keep-heroku", "none")
WEB_GROUP = "app"

# dyno size -> (Fly size preset, cpu_kind, cpus, memory_mb); memory >= the dyno's.
DYNO_TO_VM: dict[str, tuple[str, str, int, int]] = {
    "free": ("shared-cpu-1x", "shared", 1, 512),
    "hobby": ("shared-cpu-1x", "shared", 1, 512),
    "eco": ("shared-cpu-1x", "shared", 1, 512),
    "basic": ("shared-cpu-1x", "shared", 1, 512),
    "standard-1x": ("shared-cpu-1x", "shared", 1, 512),
    "standard-2x": ("shared-cpu-2x", "shared", 2, 1024),
}
for _tier in ("performance", "private", "shield"):
    DYNO_TO_VM.update(
        {
            f"{_tier}-s": ("performance-1x", "performance", 1, 2048),
            f"{_tier}-m": ("performance-2x", "performance", 2, 4096),
            f"{_tier}-l": ("performance-4x", "performance", 4, 14336),
            f"{_tier}-l-ram": ("performance-4x", "performance", 4, 30720),
            f"{_tier}-xl": ("performance-8x", "performance", 8, 63488),
            f"{_tier}-2xl": ("performance-16x", "performance", 16, 129024),
        }
    )
DYNO_TO_VM.pop("performance-s")  # there is no such dyno
UNKNOWN_DYNO_VM = ("shared-cpu-1x", "shared", 1, 1024)

# Heroku dyno metadata (https://devcenter.heroku.com/articles/dyno-metadata) and runtime vars.
HEROKU_METADATA = {
    "HEROKU_APP_ID", "HEROKU_APP_NAME", "HEROKU_DYNO_ID", "HEROKU_RELEASE_CREATED_AT",
    "HEROKU_RELEASE_VERSION", "HEROKU_SLUG_COMMIT", "HEROKU_SLUG_DESCRIPTION",
    "HEROKU_BUILD_COMMIT", "HEROKU_BUILD_DESCRIPTION", "DYNO",
}

# Fly Managed Postgres plans flyctl v0.4.87 can create, smallest first: a Heroku database gets
# the first with at least its RAM. "performance" is left out: flyctl cannot select it (prices.json).
_PG_TO_MPG = ("basic", "starter", "launch", "scale")
# The volume must hold the copy: measured size x headroom (indexes rebuilt, growth), at least
# MPG_MIN_VOLUME_GB (flyctl's --volume-size default).
MPG_VOLUME_HEADROOM = 1.5
MPG_MIN_VOLUME_GB = 10
MPG_MAJOR_VERSIONS = (16, 17)  # internal/command/mpg/create.go accepts only these
# Heroku Key-Value Store plan -> memory (MB) from its technical characterization.
_REDIS_MB = {
    "mini": 25, "premium-0": 50, "premium-1": 100, "premium-2": 250, "premium-3": 500,
    "premium-4": 750, "premium-5": 1024, "premium-7": 7168, "premium-9": 10240,
    "premium-10": 25600, "premium-12": 51200, "premium-14": 102400,
}
ASSUMED_DB_STORAGE_GB = 10

# Add-on services herokufly knows but does not move: (category, config vars they set).
_LOGGING = ("papertrail", "logentries", "loggly", "coralogix", "solarwinds", "logdna", "mezmo",
            "sumologic", "sematext-logsene", "logtail", "timber-logging", "bonsai-logs")
_MAIL = ("sendgrid", "mailgun", "postmark", "mailersend", "mailtrap", "sparkpost")
_MONITORING = ("newrelic", "scout", "appsignal", "sentry", "honeybadger", "rollbar", "bugsnag",
               "judoscale", "rails-autoscale", "librato", "skylight", "raygun")
ADDON_CONFIG_VARS = {
    "heroku-postgresql": ["DATABASE_URL"],
    "heroku-redis": ["REDIS_URL", "REDIS_TLS_URL"],
    "papertrail": ["PAPERTRAIL_API_TOKEN"],
    "sendgrid": ["SENDGRID_USERNAME", "SENDGRID_PASSWORD", "SENDGRID_API_KEY"],
    "mailgun": ["MAILGUN_API_KEY", "MAILGUN_DOMAIN", "MAILGUN_PUBLIC_KEY", "MAILGUN_SMTP_LOGIN",
                "MAILGUN_SMTP_PASSWORD", "MAILGUN_SMTP_PORT", "MAILGUN_SMTP_SERVER"],
    "postmark": ["POSTMARK_API_KEY", "POSTMARK_API_TOKEN", "POSTMARK_SMTP_SERVER"],
    "newrelic": ["NEW_RELIC_LICENSE_KEY", "NEW_RELIC_LOG"],
    "sentry": ["SENTRY_DSN"],
    "honeybadger": ["HONEYBADGER_API_KEY"],
    "rollbar": ["ROLLBAR_ACCESS_TOKEN", "ROLLBAR_ENDPOINT"],
    "bugsnag": ["BUGSNAG_API_KEY"],
    "appsignal": ["APPSIGNAL_PUSH_API_KEY"],
    "scout": ["SCOUT_KEY", "SCOUT_MONITOR"],
    "logentries": ["LOGENTRIES_TOKEN"],
    "scheduler": [],
}


@dataclass
class PlanOptions:
    heroku_app: str
    fly_app: str | None = None
    region: str | None = None
    org: str = "personal"
    postgres: str = "managed"
    release_migrations: bool = True  # propose the framework's migration command as release


@dataclass
class Plan:
    heroku_app: str
    fly_app: str
    org: str
    region: str
    region_reason: str
    framework: str
    build: dict
    processes: dict[str, str]
    process_sources: dict[str, str]
    release_command: str | None
    vm: dict[str, dict]
    http_service: dict | None
    env: dict[str, str]
    secrets: list[str]
    excluded_config: list[dict]
    postgres: dict | None
    redis: dict | None
    domains: list[str]
    manual_steps: list[dict]
    estimate: dict
    stages: list[str]
    offline: bool = False
    offline_unknowns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Issue 8: why the framework was chosen, what each Fly group execs and whether that is
    # what Heroku ran, and config vars that are not plain runtime secrets.
    framework_evidence: list[str] = field(default_factory=list)
    process_checks: dict[str, dict] = field(default_factory=dict)
    release: dict | None = None
    config_kinds: list[dict] = field(default_factory=list)
    # fly.toml [experimental] entrypoint replacing the app image's ENTRYPOINT, and why.
    entrypoint: dict | None = None
    # Heroku process types deliberately given no Fly process group, and why (one-off tasks).
    not_run: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def make_plan(inventory: Inventory, options: PlanOptions) -> Plan:
    """The whole plan for moving `inventory` to Fly under `options`. Pure."""
    if options.postgres not in POSTGRES_TARGETS:
        raise ConfigError(
            f"--postgres must be one of {', '.join(POSTGRES_TARGETS)}, not '{options.postgres}'"
        )
    repo = inventory.repo
    notes: list[str] = []
    fly_app = names.validate_fly_app_name(
        options.fly_app or (repo.fly_toml_app if repo and repo.fly_toml_app else None)
        or names.suggest_fly_app_name(options.heroku_app)
    )
    region, region_reason = _region(inventory, options)
    framework = repo.framework if repo else "unknown"
    postgres_addon = _primary_postgres(inventory.addons)
    ctx = _app_context(inventory, options, fly_app, postgres_addon)
    detection = _detection(repo, framework)
    advice = _advice(framework, detection, ctx, repo)
    build, image = _build_and_image(inventory, framework, advice, notes)
    process_steps: list[dict] = []
    not_run: dict[str, str] = {}
    processes, sources, release_command, checks, release, image = _processes(
        inventory, advice, image, build, notes, process_steps, not_run)
    vm = _vms(inventory, processes, sources, notes)
    port, port_why = _port(framework, image, build, advice)
    http_service = _http_service(port, processes, vm, inventory, advice)
    env = _env(http_service, inventory, advice)
    if http_service:
        notes.append(f"Internal port {port}: {port_why}. The health check needs a 2xx answer "
                     f"from GET {http_service['health_check_path']}; change the path in "
                     "fly.toml if it redirects")
    for group, check in checks.items():
        if check["runs_heroku_line"] is False and not check.get("replaced"):
            notes.append(f"Check process '{group}': the Machine runs {check['machine_exec']}, "
                         f"which herokufly cannot prove equals Heroku's `{check['heroku']}`"
                         + (f" ({check['why']})" if check.get("why") else ""))
    own_build = build.get("mode") == "dockerfile" and not build.get("generated")
    # The framework's "Build: ..." note describes the build herokufly would generate.
    notes.extend(n for n in advice.notes if not (own_build and n.startswith("Build: ")))

    postgres = _postgres(postgres_addon, options, fly_app, region, notes)
    redis_addon = next((a for a in inventory.addons if a.service == "heroku-redis"), None)
    redis = _redis(redis_addon, inventory, fly_app, region)
    secrets, excluded = _config(inventory, postgres, redis, options)
    secrets, excluded, config_kinds = _config_kinds(secrets, excluded, advice)
    domains = sorted(d.hostname for d in inventory.domains if d.kind == "custom")
    manual = _manual_steps(inventory, postgres_addon, redis_addon, build, excluded)
    manual += advice.manual_steps + _config_manual_steps(config_kinds, fly_app, domains)
    manual += _process_manual_steps(checks, image) + process_steps
    manual += _missing_tool_steps(checks, release, image)
    manual += _build_manual_steps(build, inventory)
    notes.extend(repo.procfile_warnings if repo else [])

    stages = ["provision", "secrets"]
    if postgres and postgres["target"] in ("managed", "unmanaged"):
        stages.append("database")
    stages += ["deploy", "domains"]

    plan = Plan(
        heroku_app=options.heroku_app,
        fly_app=fly_app,
        org=options.org,
        region=region,
        region_reason=region_reason,
        framework=framework,
        build=build,
        processes=processes,
        process_sources=sources,
        release_command=release_command,
        vm=vm,
        http_service=http_service,
        env=env,
        secrets=secrets,
        excluded_config=excluded,
        postgres=postgres,
        redis=redis,
        domains=domains,
        manual_steps=manual,
        estimate={},
        stages=stages,
        offline=inventory.offline,
        offline_unknowns=_offline_unknowns(inventory, options) if inventory.offline else [],
        notes=_unique(notes),
        framework_evidence=list(detection.evidence) if detection else [],
        process_checks=checks,
        release=release,
        config_kinds=config_kinds,
        not_run=not_run,
        entrypoint=({"command": list(image.entrypoint), "replaces": list(image.bypassed),
                     "why": image.bypass_reason,
                     # the replaced script itself cannot start on Fly, so it is not run at all
                     "script_runs": image.bypass_keeps_script}
                    if image.bypassed else None),
    )
    plan.estimate = estimate(plan, inventory)
    return plan


# -- offline inventory ------------------------------------------------------------------------


# A Procfile type that ends instead of serving: migrations, seeds, consoles, cache clears. On
# Heroku such a type runs only through `heroku run`; a Fly group would run it on every start.
_ONE_OFF = re.compile(r"\b(?:db:(?:migrate|seed|setup|reset|drop|prepare|schema:load)|migrate|"
                      r"seed|console|irb|iex|shell|cache:clear|[\w:-]*fresh|createsuperuser|"
                      r"dbshell|tinker|repl)\b", re.I)
_LONG_RUNNING = re.compile(r"\b(?:worker|server|serve|start|listen|sidekiq|resque|celery|puma|"
                           r"unicorn|gunicorn|uvicorn|daphne|clock|clockwork|scheduler|beat|"
                           r"jobs:work|queue:work|phx\.server|--no-halt|node|npm|yarn|java|"
                           r"rq|dramatiq|huey|good_job|solid_queue|delayed_job)\b", re.I)


def one_off_task(kind: str, line: str) -> bool:
    """True for a non-web Procfile type whose line is a finite task, not a process."""
    if kind in ("web", "release"):
        return False
    text = f"{kind} {line}"
    return bool(_ONE_OFF.search(text)) and not _LONG_RUNNING.search(line)


def inventory_from_repo(repo: Repo, heroku_app: str) -> Inventory:
    """What the repo alone says (app.json formation/addons/env, Procfile): for --offline."""
    app_json = repo.app_json or {}
    formation_json = app_json.get("formation") if isinstance(app_json.get("formation"), dict) else {}
    formation = []
    for kind, command in repo.procfile.items():
        if kind == "release":
            continue
        spec = formation_json.get(kind) if isinstance(formation_json.get(kind), dict) else {}
        # Offline, a type app.json does not scale runs one dyno, unless it is a one-off task
        # (Heroku starts none of those; `heroku run` does, once).
        quantity = spec.get("quantity", 0 if one_off_task(kind, command) else 1)
        formation.append(
            Formation(
                type=kind,
                quantity=int(quantity) if isinstance(quantity, int) else 1,
                size=str(spec.get("size") or "standard-1x"),
                command=command,
            )
        )
    addons = addons_from_app_json(app_json)
    env = app_json.get("env") if isinstance(app_json.get("env"), dict) else {}
    config_names = set(env)
    for addon in addons:
        config_names.update(addon.config_vars)
    return Inventory(
        heroku_app_name=heroku_app,
        app=None,
        repo=repo,
        config_var_names=sorted(config_names),
        addons=addons,
        formation=formation,
        domains=[],
        offline=True,
    )


# Plans Heroku provisions when app.json names none (Heroku's add-on default plans).
_DEFAULT_PLANS = {"heroku-postgresql": "essential-0", "heroku-redis": "mini"}


def addons_from_app_json(app_json: dict) -> list[Addon]:
    """app.json "addons", in every spelling Heroku accepts: "service", "service:plan",
    {"plan": "service[:plan]", "as": "NAME", "options": {...}}. Anything else is a ConfigError
    naming app.json."""
    entries = app_json.get("addons")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ConfigError('app.json: "addons" must be a list of add-on plans',
                          hint='Write e.g. "addons": ["heroku-postgresql:essential-0"]')
    addons: list[Addon] = []
    for index, entry in enumerate(entries):
        plan = entry.get("plan") if isinstance(entry, dict) else entry
        attach_as = entry.get("as") if isinstance(entry, dict) else None
        if not isinstance(plan, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*(:[\w.-]+)?", plan.strip()):
            raise ConfigError(
                f"app.json: addons[{index}] is not an add-on plan (expected \"service\", "
                f"\"service:plan\" or {{\"plan\": \"service:plan\"}})",
                hint="Fix the entry in app.json, then run herokufly again")
        plan = plan.strip()
        service = plan.split(":", 1)[0]
        if ":" not in plan and service in _DEFAULT_PLANS:
            plan = f"{service}:{_DEFAULT_PLANS[service]}"
        # REDIS_TLS_URL only exists on some Key-Value Store plans; offline we cannot tell.
        known = [v for v in ADDON_CONFIG_VARS.get(service, []) if v != "REDIS_TLS_URL"]
        if isinstance(attach_as, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", attach_as) and known:
            known = [f"{attach_as}_URL"]
        name = service if not any(a.name == service for a in addons) else f"{service}-{index}"
        addons.append(Addon(name=name, service=service, plan=plan, config_vars=known))
    return addons


def _offline_unknowns(inventory: Inventory, options: PlanOptions) -> list[str]:
    app_json = (inventory.repo.app_json if inventory.repo else None) or {}
    unknowns = []
    if not options.region:
        unknowns.append("the Heroku region (assumed 'us', so Fly region iad)")
    if not isinstance(app_json.get("formation"), dict):
        unknowns.append("dyno sizes and counts (assumed 1 Standard-1X dyno per Procfile process)")
    else:
        unknowns.append("dyno sizes and counts actually running (app.json formation used; a "
                        "process type it does not list is planned with 1 Machine, or none when "
                        "it is a one-off task, although Heroku starts only web by itself: "
                        "`fly scale count GROUP=0` stops one)")
    unknowns += [
        "config vars set on Heroku but not declared in app.json env",
        "add-ons provisioned on Heroku but not declared in app.json (and their real plans and prices)",
        "custom domains",
        "the Heroku stack and buildpacks",
    ]
    return unknowns


# -- pieces -----------------------------------------------------------------------------------


def _region(inventory: Inventory, options: PlanOptions) -> tuple[str, str]:
    if options.region:
        return names.validate_region(options.region), "chosen with --region"
    heroku_region = inventory.app.region if inventory.app else "us"
    mapped = names.fly_region_for_heroku(heroku_region)
    if mapped is None:
        raise ConfigError(
            f"no Fly region is known for Heroku region '{heroku_region}'",
            hint="Choose one with --region CODE",
        )
    where = "assumed Heroku region" if inventory.app is None else "Heroku region"
    return mapped, f"nearest Fly region to {where} '{heroku_region}'"


def _app_context(inventory: Inventory, options: PlanOptions, fly_app: str,
                 postgres_addon: Addon | None) -> AppContext:
    repo = inventory.repo
    commands = _heroku_commands(inventory)  # the live formation's command is what Heroku runs
    if repo and "release" in repo.procfile:
        commands["release"] = repo.procfile["release"]
    buildpacks = list(inventory.app.buildpacks) if inventory.app else list(
        repo.buildpacks if repo else [])
    host_bound = sorted(set(inventory.host_bound_vars) | set(repo.host_bound_vars if repo else []))
    return AppContext(
        fly_app=fly_app,
        procfile=commands,
        config_var_names=list(inventory.config_var_names),
        has_database=postgres_addon is not None and options.postgres != "none",
        release_migrations=options.release_migrations,
        host_bound_vars=host_bound,
        domains=sorted(d.hostname for d in inventory.domains if d.kind == "custom"),
        stack=(inventory.app.stack if inventory.app else None) or (repo.stack if repo else None),
        buildpacks=buildpacks,
        # A development Dockerfile is never built (see _build_and_image): the builder's rules apply.
        user_dockerfile=(repo.dockerfile_image if repo and not _dev_dockerfile(inventory)
                         else None),
    )


def _detection(repo: Repo | None, framework: str) -> Detection | None:
    """The repo's detection for `framework`; None when the reader did not detect it (a Repo
    built by hand, or a framework named by an older reader)."""
    detections = repo.detections if repo else []
    for detection in detections:
        if detection.name == framework:
            return detection
    if framework in _MIX_FRAMEWORKS:
        # repo.py and frameworks/_mix.py can read an umbrella differently (phoenix in the root
        # deps, `apps_path: @attr`); the Mix project's facts are what the advice needs.
        return next((d for d in detections if d.name in _MIX_FRAMEWORKS), None)
    return None


# Modules whose advise() works from an empty Detection (facts all optional).
_FACTS_OPTIONAL = {"rails", "ruby", "django", "python", "node", "java", "php"}
# Modules whose advise() needs what detect() read from mix.exs and config/.
_MIX_FRAMEWORKS = ("phoenix", "elixir")


def _framework_module(name: str):
    try:
        module = frameworks.module(name)
    except ModuleNotFoundError:
        return None
    return module if hasattr(module, "advise") else None


def _advice(framework, detection, ctx: AppContext, repo: Repo | None) -> Advice:
    """Ask the framework module; an app no module knows gets the generic advice, when the
    CNB builder can build it (else exit 1 naming the file)."""
    module = _framework_module(framework) if framework != "unknown" else None
    if module is not None and detection is not None:
        return module.advise(detection, ctx)
    if module is not None and framework in _FACTS_OPTIONAL:
        return module.advise(Detection(framework), ctx)
    if framework in _MIX_FRAMEWORKS:
        # Only a Repo built by hand gets here: read_repo detects every mix.exs it reads.
        raise ConfigError(f"mix.exs: no Mix project was read for this {framework} app",
                          hint="Plan from the app's directory (--repo DIR) so its mix.exs and "
                               "config/ are read")
    if framework == "unknown" and repo and not _own_dockerfile(repo):
        _unsupported.refuse_unless_builder_builds(repo, ctx.buildpacks)  # exit 1
    return _generic_advice(ctx)


def _generic_advice(ctx: AppContext) -> Advice:
    """An app no framework module knows: the builder, the Procfile, its own release line."""
    advice = Advice(build={})
    advice.build = framework_common.buildpacks_build(ctx, "", None, None, advice.notes)
    advice.processes = framework_common.web_processes(ctx, None, "", advice)
    advice.release = framework_common.release_from(ctx, None, "")
    advice.health_check = framework_common.root_health_check()
    advice.config = framework_common.config_kinds(ctx, (), f"{ctx.fly_app}.fly.dev")
    advice.image = machine.image_from_buildpacks(advice.processes)
    return advice


def _build_and_image(inventory: Inventory, framework: str, advice: Advice, notes: list[str]):
    """The build the advice wants, unless the repo has its own Dockerfile: that one wins."""
    repo = inventory.repo
    build = dict(advice.build)
    image = advice.image
    if _dev_dockerfile(inventory):
        # A development image Heroku never built: build as Heroku did, beside it.
        notes.append(f"Your {repo.dockerfile_path} has neither CMD nor ENTRYPOINT, so it is a "
                     "development image, and Heroku built the app with buildpacks; herokufly "
                     "builds it as Heroku did"
                     + (f" (into {GENERATED_BESIDE_OWN}, leaving yours alone)"
                        if build.get("generated") else ""))
        if build.get("generated"):
            build["dockerfile"] = GENERATED_BESIDE_OWN
    elif _own_dockerfile(repo):
        build = {"mode": "dockerfile", "dockerfile": repo.dockerfile_path, "generated": False}
        if repo.heroku_yml_build_config:
            build["args"] = dict(repo.heroku_yml_build_config)  # heroku.yml build.config
        if advice.build.get("runtime"):
            build["runtime"] = advice.build["runtime"]
        image = repo.dockerfile_image
        notes.append("Builds with the repo's own Dockerfile; processes run through its "
                     f"ENTRYPOINT {list(image.entrypoint) or '(none)'} and the port comes from "
                     "its EXPOSE")
        return build, image
    if advice.build_args:
        build["args"] = dict(advice.build_args)  # fly.toml [build.args]; never secrets
    if build.get("mode") == "buildpacks":
        heroku_buildpacks = list(inventory.app.buildpacks) if inventory.app else list(
            repo.buildpacks if repo else [])
        build["heroku_buildpacks"] = heroku_buildpacks
        custom = [b for b in heroku_buildpacks if not _official_buildpack(b)]
        if custom:
            notes.append("Custom buildpacks are not part of Heroku's Cloud Native Buildpacks "
                         "builder: " + ", ".join(custom))
        notes.append(f"Builds with Heroku's Cloud Native Buildpacks ({build['builder']}) so the "
                     "app builds on Fly without a Dockerfile")
        if not (build.get("runtime") or {}).get("language"):
            build.pop("runtime", None)
    return build, image or machine.image_from_buildpacks({})


GENERATED_BESIDE_OWN = "Dockerfile.fly"  # herokufly's Dockerfile when the repo has its own


def _dev_dockerfile(inventory: Inventory) -> bool:
    """The repo's own Dockerfile declares no CMD or ENTRYPOINT in any stage (a development
    image, e.g. dailydrip/firestorm's `FROM elixir` + tools) and Heroku did not build it: its
    Machine would run the base image's default (`iex`), never the app."""
    repo = inventory.repo
    return (_own_dockerfile(repo) and not repo.dockerfile_image.declared
            and not _heroku_built_the_dockerfile(inventory))


def _own_dockerfile(repo: Repo | None) -> bool:
    """The repo has a Dockerfile of its own (not one herokufly's scaffold wrote)."""
    return bool(repo and repo.has_dockerfile and repo.dockerfile_image is not None
                and not repo.dockerfile_by_herokufly)


def _official_buildpack(name: str) -> bool:
    """A Heroku buildpack the CNB builder has a counterpart for (its language buildpacks);
    Heroku's other classic buildpacks (pgbouncer, apt, static, metrics…) are not in it."""
    return bool(framework_runtime.cnb_language_buildpacks([name])) or bool(
        _HEROKU_ONLY_BUILDPACKS.search(name))


# Buildpacks that only feed Heroku's own platform (language metrics on the dashboard); Fly
# needs nothing in their place.
_HEROKU_ONLY_BUILDPACKS = re.compile(r"^(?:heroku/metrics|https://github\.com/heroku/"
                                     r"heroku-buildpack-(?:metrics|language-metrics)(?:\.git)?/?)$")


def _processes(inventory: Inventory, advice: Advice, image: machine.Image, build: dict,
               notes: list[str], manual_steps: list[dict], not_run: dict[str, str]):
    """(group -> fly.toml command, group -> Heroku type, release_command, checks, release).

    Each Heroku line becomes the fly.toml command that makes the Machine exec it with
    Heroku's meaning (machine.fly_command_running), and is checked with
    machine.runs_heroku_line on what the Machine will really exec.
    """
    lines = dict(advice.processes)
    release_line = advice.release
    if build.get("mode") == "dockerfile" and not build.get("generated"):
        lines, release_line = _own_image_lines(inventory, advice, image, notes, not_run)
        image, lines = _bypass_entrypoint(inventory, image, lines, release_line, notes)
    heroku_commands = _heroku_commands(inventory)
    defaults = {k: v for k, v in lines.items() if v and k not in heroku_commands}
    if build.get("mode") == "buildpacks" and defaults:
        # Heroku ran its buildpack's default process; on Fly the builder's language buildpack
        # defines the same one, so the group runs the image's default. Its command form is
        # the buildpack's own, so other groups' commands are provable only with a Procfile web.
        for kind, line in defaults.items():
            lines[kind] = ""
            notes.append(f"'{kind}' runs the builder's default {kind} process (`{line}`), as "
                         "Heroku ran its buildpack's default")
        others = sorted(k for k in lines if k not in defaults)
        if others:
            shown = "; ".join(f"{k}: {v}" for k, v in defaults.items())
            manual_steps.append(_step(
                f"Add `{shown}` to the Procfile",
                "Without a Procfile web line the image's default process is the language "
                "buildpack's, which may not run the command Fly gives the "
                + ", ".join(others) + " group(s)",
                f"Add the line `{shown}` to {inventory.repo.procfile_path if inventory.repo else 'Procfile'}"
                " and plan again; every process then runs as `bash -c <line>`, as on Heroku"))
    quantities = {f.type: f.quantity for f in inventory.formation}
    for kind in sorted(lines):
        if quantities.get(kind) == 0 and one_off_task(kind, lines[kind] or ""):
            not_run[kind] = (f"`{lines[kind]}` is a one-off task Heroku ran no dyno for; as a "
                             "Fly process group it would run on every Machine start")
            notes.append(f"'{kind}' gets no process group ({not_run[kind]}); run it when needed "
                         f"with `fly ssh console -C {machine.fly_command_for([lines[kind]])}`")
            del lines[kind]
    processes, sources, checks = {}, {}, {}
    # Heroku sets PORT in every dyno (_env always sets it in [env] too); config vars become
    # secrets, so they are set on every Machine as well.
    env = dict.fromkeys(_set_on_machines(inventory), "set")
    for kind in sorted(lines, key=lambda k: (k != "web", k)):
        group = WEB_GROUP if kind == "web" else names.suggest_fly_app_name(kind) or kind
        processes[group], checks[group] = _fly_command(image, kind, lines[kind], advice, env)
        sources[group] = kind
    release_command, release = None, None
    if release_line:
        command, check = _fly_command(image, "release", release_line.line, advice, env)
        release_command = command or None
        release = {"line": release_line.line, "why": release_line.why,
                   "proposed": release_line.proposed, **check}
        tool = machine.missing_program(image, release_line.line)
        in_image = _release_in_image(inventory, image, tool) if tool else None
        if in_image:
            release_command = in_image["command"]
            release["replaced"] = (f"`{release_line.line}` needs `{tool}`, which your image "
                                   f"lacks; the release command runs {in_image['why']} instead")
            release["machine_exec"] = machine.machine_exec(image, release_command)
        elif tool and image.entrypoint_migrates:
            # The release line cannot run in this image, and the image migrates on start.
            release_command = None
            release["replaced"] = (f"`{release_line.line}` needs `{tool}`, which your image "
                                   f"lacks; its ENTRYPOINT script {image.entrypoint_source} "
                                   "runs the migrations when a Machine starts")
        elif tool:
            # A command that cannot start fails every deploy; Heroku's database arrives
            # already migrated, so the first deploy needs none and the user adds one.
            release_command = None
            release["replaced"] = (f"not run: `{release_line.line}` needs `{tool}`, which your "
                                   "image lacks")
            release["why"] = release_line.why
            manual_steps.append(_step(
                f"Release command `{release_line.line}`",
                f"It needs `{tool}`, which the final stage of your Dockerfile "
                f"({image.base_image}) does not have, so fly.toml has no release_command",
                "Add `[deploy] release_command` with a command your image has that runs the "
                "migrations (a Mix release: `/app/bin/<name> eval \"MyApp.Release.migrate\"`)"))
        if release_line.proposed and release_command:
            notes.append(f"Release command proposed: `{release_line.line}` ({release_line.why})")
    return processes, sources, release_command, checks, release, image


def _set_on_machines(inventory: Inventory) -> set[str]:
    """Variables every Machine has: PORT (fly.toml [env]) and the config vars (secrets)."""
    return {"PORT", *inventory.config_var_names}


def _bypass_entrypoint(inventory: Inventory, image: machine.Image, lines: dict[str, str],
                       release_line, notes: list[str]) -> tuple[machine.Image, dict[str, str]]:
    """Replace the app image's ENTRYPOINT (fly.toml `[experimental] entrypoint`) when it cannot
    run the commands Fly gives it: it waits for a host Fly has no address for, or ignores its
    arguments (a script that never reads them, or a shell-form ENTRYPOINT) while some group or
    the release needs a command of its own. flyctl applies it to every group and the release.
    """
    if image.kind != "dockerfile" or not image.entrypoint or image.bypassed:
        return image, lines
    if _heroku_built_the_dockerfile(inventory):
        return image, lines  # Heroku ran every command behind this ENTRYPOINT too
    hosts = machine.unreachable_hosts(image, _set_on_machines(inventory))
    needs_commands = any(lines.values()) or bool(release_line)
    script = image.entrypoint_source or image.entrypoint[0]
    cannot_start = bool(hosts) or image.entrypoint_missing
    if image.entrypoint_missing:
        why = (f"your ENTRYPOINT {script} is not in the repository, so the image as built "
               "cannot start")
    elif hosts:
        why = (f"your ENTRYPOINT {script} waits for {', '.join(hosts)}, a host name (a "
               "docker-compose service) that has no address on Fly's network")
    elif needs_commands and image.entrypoint_shell_form:
        why = ("your Dockerfile's ENTRYPOINT is in shell form, which ignores the command Fly "
               "gives each process group")
    elif needs_commands and image.entrypoint_args == "ignores":
        why = (f"your ENTRYPOINT {script} never reads its arguments, so it would ignore the "
               "command Fly gives each process group")
    elif (needs_commands and image.entrypoint_args is None
          and machine.strip_pass_through(list(image.entrypoint))):
        # Not a script herokufly can read, nor an init wrapper: Heroku ran these lines
        # without it, and behind it they would only be its arguments.
        why = (f"your ENTRYPOINT {script} is a program herokufly cannot see exec its "
               "arguments, so each command Fly gives would only be its arguments")
    else:
        if image.entrypoint_args == "passes":
            notes.append(f"Every command, the release command too, runs behind your ENTRYPOINT "
                         f"script {script}, which runs first and then execs it"
                         + (" (it runs database migrations itself)" if image.entrypoint_migrates
                            else "")
                         + "; it waits for no host that Fly lacks")
        return image, lines
    bypassed = machine.bypass_entrypoint(image, keep_script=not cannot_start, reason=why)
    lines = dict(lines)
    heroku = _heroku_commands(inventory)
    for kind, line in lines.items():
        if line == "" and cannot_start and heroku.get(kind):
            lines[kind] = heroku[kind]  # the script cannot run here; Heroku's line can
            notes[:] = [n for n in notes if not n.startswith(
                f"Heroku built the app with buildpacks and ran `{heroku[kind]}`")]
            notes.append(f"'{kind}' runs Heroku's `{heroku[kind]}`, since {script} cannot "
                         "start on Fly")
    notes.append(f"fly.toml sets [experimental] entrypoint to "
                 f"{list(bypassed.entrypoint)}, so each command runs as `bash -c <line>` as on "
                 f"Heroku: {why}")
    return bypassed, lines


def _release_in_image(inventory: Inventory, image: machine.Image, tool: str) -> dict | None:
    """A command of the app's own image that runs the migrations a release line needing
    `tool` ran on Heroku: a Mix release's own migrate script or Release.migrate function."""
    repo = inventory.repo
    if tool not in ("mix", "elixir") or repo is None:
        return None
    for source, dest in image.copied_from_stages:
        match = re.search(r"_build/[^/]+/rel/([\w-]+)/?$", source)
        if not match:
            continue
        name = match.group(1)
        root = posixpath.normpath(dest)  # COPY of a directory copies its contents into dest
        for script in repo.release_overlay_scripts:
            if re.fullmatch(r"migrate(?:\.sh)?", posixpath.basename(script)):
                return {"command": posixpath.join(root, script),
                        "why": f"the release's own rel/overlays/{script} (at "
                               f"{posixpath.join(root, script)} in the image)"}
        if repo.release_module:
            call = f"{repo.release_module}.migrate"
            return {"command": machine.fly_command_for([f"{root}/bin/{name}", "eval", call]),
                    "why": f"`{root}/bin/{name} eval {call}` (the release's migrate function)"}
    return None


def _own_image_lines(inventory: Inventory, advice: Advice, image: machine.Image,
                     notes: list[str], not_run: dict[str, str]
                     ) -> tuple[dict[str, str], frameworks.Release | None]:
    """What Heroku ran, to run in the app's own image: (type -> line, release).

    "" for a type means the image's own ENTRYPOINT/CMD. Source: Dev Center "Building Docker
    Images with heroku.yml" (run section, else the Dockerfile's CMD; release section).
    """
    repo = inventory.repo
    heroku = _heroku_commands(inventory)
    proposal = advice.release if (advice.release and advice.release.proposed
                                  and not advice.replaced) else None
    if _heroku_built_the_dockerfile(inventory):
        # Heroku built this Dockerfile and ran heroku.yml's commands; the Procfile was unused.
        # The process types are build.docker's (each runs its image's CMD unless `run`
        # names a command); a live container-stack app without heroku.yml has web.
        lines = dict(repo.heroku_yml_run if repo else {})
        images = dict(repo.heroku_yml_images if repo else {}) or {"web": repo.dockerfile_path
                                                                   if repo else "Dockerfile"}
        for kind in images:
            lines.setdefault(kind, "")
        for kind in sorted(lines):
            other = images.get(kind)
            if other and repo and other != repo.dockerfile_path:
                # A Fly app builds one image; this type ran in another one on Heroku.
                not_run[kind] = (f"Heroku ran it in the image {other} builds (heroku.yml), "
                                 f"not {repo.dockerfile_path}; deploy {other} as its own Fly app")
                notes.append(f"'{kind}' gets no process group: {not_run[kind]}")
                del lines[kind]
        unused = sorted(k for k in (repo.procfile if repo else {}) if k not in lines
                        and k != "release")
        if unused:
            notes.append(f"Heroku's container stack ran heroku.yml's process types "
                         f"({', '.join(sorted(lines))}), not the Procfile's "
                         f"{', '.join(unused)}, so those get no Fly group")
        if repo and repo.heroku_yml_release:
            return lines, frameworks.Release(repo.heroku_yml_release, "heroku.yml's release "
                                             "command, as on Heroku", proposed=False)
        return lines, proposal
    # Heroku built the app with buildpacks and ran the Procfile there. The Dockerfile's own
    # command is how its authors run that image, so the web group runs it; the other lines
    # run in that image.
    lines = {k: v for k, v in heroku.items() if k != "release"}
    problem = machine.own_command_problem(image, _set_on_machines(inventory))
    if "web" in lines and problem:
        notes.append(f"Heroku built the app with buildpacks and ran `{lines['web']}`; the web "
                     f"group runs it on Fly too, since your Dockerfile's own command cannot "
                     f"start the app: {problem}")
    elif image.declared or "web" not in lines:
        if "web" in lines:
            notes.append(f"Heroku built the app with buildpacks and ran `{lines['web']}`; on Fly "
                         "the web group runs your Dockerfile's ENTRYPOINT/CMD instead")
        elif lines:
            notes.append("Heroku ran no web process (the Procfile has only "
                         f"{', '.join(sorted(lines))}); the web group runs your Dockerfile's "
                         "ENTRYPOINT/CMD, which Heroku never ran (`fly scale count app=0` if it "
                         "is not meant to serve)")
        lines["web"] = ""
    if "release" in heroku:
        return lines, frameworks.Release(heroku["release"], "the Procfile's release process, "
                                         "as on Heroku", proposed=False)
    if advice.release and advice.replaced:
        notes.append(f"With your Dockerfile, no release command is proposed ({advice.release.why}"
                     "); add one that runs your migrations inside your image")
    return lines, proposal


def _heroku_built_the_dockerfile(inventory: Inventory) -> bool:
    """Heroku's container stack built this Dockerfile (heroku.yml `build.docker`, or the app's
    stack is `container`), so its ENTRYPOINT ran on Heroku too."""
    repo = inventory.repo
    return bool(repo and repo.has_heroku_yml) or bool(
        inventory.app and inventory.app.stack == "container")


def _heroku_commands(inventory: Inventory) -> dict[str, str]:
    """Heroku's commands: the live formation's, else the Procfile's."""
    repo = inventory.repo
    commands = {f.type: f.command for f in inventory.formation if f.command}
    for kind, command in (repo.procfile if repo else {}).items():
        commands.setdefault(kind, command)
    return commands


def _fly_command(image: machine.Image, kind: str, line: str, advice: Advice, env: dict):
    if line == "" and image.bypassed:
        if not image.own_line:
            return "", {"heroku": None, "fly": "", "machine_exec": machine.machine_exec(image, None),
                        "runs_heroku_line": None,
                        "why": "no Procfile line, and the image's ENTRYPOINT is replaced: give "
                               "this group a command in fly.toml"}
        command = machine.fly_command_for([image.own_line])
        return command, {"heroku": None, "fly": command,
                         "machine_exec": machine.machine_exec(image, command),
                         "runs_heroku_line": None,
                         "why": "the image's own command, named because fly.toml replaces its "
                                "ENTRYPOINT"}
    if line == "":
        argv = machine.machine_exec(image, None)
        default = advice.processes.get(kind)
        if image.kind == "buildpacks" and default:
            return "", {"heroku": default, "fly": "", "machine_exec": argv,
                        "runs_heroku_line": machine.runs_heroku_line(argv, default, env, image),
                        "why": "the builder's default process, as Heroku ran its buildpack's"}
        return "", {"heroku": None, "fly": "", "machine_exec": argv, "runs_heroku_line": None,
                    "why": "no Procfile line: the image's own ENTRYPOINT/CMD runs"}
    command = machine.fly_command_running(image, line)
    if command is None:
        return "", {"heroku": line, "fly": "", "machine_exec": machine.machine_exec(image, None),
                    "runs_heroku_line": False,
                    "why": "the Dockerfile's shell-form ENTRYPOINT ignores every command"}
    argv = machine.machine_exec(image, command)
    check = {"heroku": line, "fly": command, "machine_exec": argv,
             "runs_heroku_line": machine.runs_heroku_line(argv, line, env, image)}
    if kind in advice.replaced:
        check["replaced"] = advice.replaced[kind]
    elif not check["runs_heroku_line"] and image.entrypoint and not image.entrypoint_shell_form:
        check["why"] = (f"it runs through the image's ENTRYPOINT {list(image.entrypoint)}, which "
                        "must exec its arguments")
    return command, check


def _port(framework: str, image: machine.Image, build: dict, advice: Advice) -> tuple[int, str]:
    if build.get("mode") == "dockerfile" and not build.get("generated"):
        return dockerfile.port(image, advice.internal_port)
    if build.get("mode") == "buildpacks":
        return advice.internal_port, "the app listens on $PORT, which fly.toml [env] sets"
    return advice.internal_port, "the port the generated Dockerfile's server listens on"


def _vms(inventory: Inventory, processes: dict, sources: dict, notes: list[str]) -> dict:
    by_type = {f.type: f for f in inventory.formation}
    vms = {}
    for group in processes:
        formation = by_type.get(sources[group])
        size = pricing.normalize_dyno(formation.size) if formation else "standard-1x"
        count = formation.quantity if formation else 1
        preset = DYNO_TO_VM.get(size)
        if preset is None:
            preset = UNKNOWN_DYNO_VM
            notes.append(f"Unknown dyno size '{size}' for '{sources[group]}'; planned 1 GB of memory")
        dyno = pricing.heroku_dyno(size)
        memory = max(preset[3], dyno["memory_mb"] if dyno else 0)
        if count == 0:
            notes.append(f"'{sources[group]}' runs 0 dynos on Heroku; on Fly, scale it with "
                         f"`fly scale count {group}=0` after the first deploy")
        vms[group] = {
            "size": preset[0],
            "cpu_kind": preset[1],
            "cpus": preset[2],
            "memory_mb": memory,
            "count": count,
            "heroku_size": formation.size if formation else "standard-1x",
            "heroku_quantity": count,
        }
    return vms


def _http_service(port: int, processes, vm, inventory, advice: Advice) -> dict | None:
    if WEB_GROUP not in processes:
        return None
    web_sizes = [f.size.lower() for f in inventory.formation if f.type == "web"]
    sleeps = bool(web_sizes) and all(s in ("eco", "free") for s in web_sizes)
    return {
        "internal_port": port,
        "processes": [WEB_GROUP],
        # Heroku dynos run all the time (except Eco, which sleeps): keep that many running.
        "min_machines_running": 0 if sleeps else vm[WEB_GROUP]["count"],
        "auto_stop_machines": "stop",
        "auto_start_machines": True,
        "health_check_path": advice.health_check.path,
        # Fly's proxy adds X-Forwarded-Proto; its health checker does not, so we send it.
        "health_check_headers": dict(advice.health_check.headers),
        "health_check_why": advice.health_check.why,
    }


def _env(http_service, inventory, advice: Advice) -> dict[str, str]:
    # Heroku sets PORT in every dyno, workers included, and lines read it ($PORT).
    env: dict[str, str] = {"PORT": str(http_service["internal_port"] if http_service else 8080)}
    # The framework read which variables the app uses (PHX_HOST, ECTO_IPV6, ...); a config
    # var moved from Heroku keeps its own value.
    env.update({k: v for k, v in advice.env.items()
                if k not in inventory.config_var_names and k != "PORT"})
    return env


def _primary_postgres(addons: list[Addon]) -> Addon | None:
    pgs = [a for a in addons if a.service == "heroku-postgresql"]
    for addon in pgs:
        if "DATABASE_URL" in addon.config_vars:
            return addon
    return pgs[0] if pgs else None


def _postgres(addon, options, fly_app, region, notes) -> dict | None:
    if addon is None:
        return None
    if options.postgres == "none":
        notes.append("--postgres none: the Heroku database is not moved and Fly gets no DATABASE_URL")
        return None
    result = {
        "source_addon": addon.name,
        "source_plan": addon.plan,
        "target": options.postgres,
        "config_var": "DATABASE_URL",
    }
    if options.postgres == "managed":
        mpg_region = names.managed_postgres_region(region)
        result.update(name=f"{fly_app}-db", region=mpg_region, **_mpg_sizing(addon.plan_short, notes))
        # Where the database copy runs (pg/remote.py): decided from the measured size.
        from herokufly.pg.remote import planned_path
        result["copy"] = planned_path(getattr(options, "copy_on_fly", "auto"), mpg_region)
        if mpg_region != region:
            notes.append(f"Managed Postgres is not offered in {region}; the database goes to {mpg_region}")
    elif options.postgres == "unmanaged":
        result.update(name=f"{fly_app}-db", region=region, vm_size="shared-cpu-1x",
                      memory_mb=1024, volume_gb=ASSUMED_DB_STORAGE_GB, volume_headroom=MPG_VOLUME_HEADROOM,
                      volume_basis=f"measured at provision: database size x {MPG_VOLUME_HEADROOM}, at least "
                                   f"{ASSUMED_DB_STORAGE_GB} GB")
    else:  # keep-heroku
        result.update(name=addon.name, note="Fly points DATABASE_URL at the Heroku database")
    return result


def _mpg_sizing(heroku_plan: str, notes: list[str]) -> dict:
    """Plan, volume and major version for Managed Postgres from the Heroku plan (any spelling).

    RAM decides the plan; the volume and the version are settled at provision from the source
    database itself (pg_database_size, server_version_num); here they are what the plan knows."""
    spec = pricing.heroku_postgres_spec(heroku_plan)
    plans = pricing.managed_postgres_plans()
    ram = (spec or {}).get("ram_mb")
    if spec is None:
        notes.append(f"Heroku Postgres plan '{heroku_plan}' is not in herokufly's table; Managed Postgres "
                     f"is sized as {_PG_TO_MPG[0]} and the volume from the database measured at provision")
    plan = next((p for p in _PG_TO_MPG if ram is None or plans[p]["memory_mb"] >= ram), _PG_TO_MPG[-1])
    if ram is not None and plans[plan]["memory_mb"] < ram:
        notes.append(f"Heroku {heroku_plan} has {ram // 1024} GB RAM, more than any Managed Postgres plan "
                     f"flyctl can create ({plan}: {plans[plan]['memory_mb'] // 1024} GB); resize the cluster "
                     "in the Fly dashboard after the move")
    storage = (spec or {}).get("storage_gb")
    basis = (f"Heroku {heroku_plan}: {ram // 1024} GB RAM" if ram else
             f"Heroku {heroku_plan}: shared RAM" if spec else f"Heroku {heroku_plan}: unknown plan")
    return {
        "plan": plan,
        "plan_basis": f"{basis} -> {plan} ({plans[plan]['memory_mb'] // 1024} GB RAM, {plans[plan]['cpu']})",
        "volume_gb": MPG_MIN_VOLUME_GB,
        "volume_basis": (f"measured at provision: database size x {MPG_VOLUME_HEADROOM}, at least "
                         f"{MPG_MIN_VOLUME_GB} GB" + (f" (Heroku plan limit {storage} GB)" if storage else "")),
        "volume_headroom": MPG_VOLUME_HEADROOM,
        "source_storage_limit_gb": storage,
        "pg_major": pricing.heroku_postgres_plans()["default_major_version"],
        "pg_major_basis": ("Heroku's default; at provision the source's server_version_num decides "
                           f"(at least its major; Fly offers {', '.join(map(str, MPG_MAJOR_VERSIONS))})"),
    }


def _redis(addon, inventory, fly_app, region) -> dict | None:
    if addon is None:
        return None
    memory = _REDIS_MB.get(addon.plan_short)
    plan = pricing.upstash_plan_for(memory) if memory else "fixed-250mb"
    config_vars = [v for v in (addon.config_vars or ["REDIS_URL"]) if v.startswith("REDIS")]
    if "REDIS_TLS_URL" in inventory.config_var_names and "REDIS_TLS_URL" not in config_vars:
        config_vars.append("REDIS_TLS_URL")
    return {
        "source_addon": addon.name,
        "source_plan": addon.plan,
        "target": "upstash",
        "name": f"{fly_app}-redis",
        "plan": plan,
        # what `fly redis create --plan` matches (a plan's display name; redis/create.go)
        "flyctl_plan": pricing.upstash_plan(plan)["display_name"] if plan else None,
        "region": region,
        "config_vars": sorted(set(config_vars)),
    }


def _config(inventory, postgres, redis, options) -> tuple[list[str], list[dict]]:
    """Split config var names into secrets to copy and names left behind (with why)."""
    unmoved_vars: dict[str, str] = {}
    for addon in inventory.addons:
        if addon.service in ("heroku-postgresql", "heroku-redis"):
            continue
        for var in addon.config_vars or ADDON_CONFIG_VARS.get(addon.service, []):
            unmoved_vars[var] = addon.service
    secrets, excluded = [], []
    for name in sorted(set(inventory.config_var_names)):
        reason = None
        if name == "PORT":
            reason = "Fly sets the port from fly.toml ([env] PORT and internal_port)"
        elif name in HEROKU_METADATA:
            reason = "Heroku dyno metadata; Fly sets its own (FLY_APP_NAME, FLY_IMAGE_REF, ...)"
        elif name == "DATABASE_URL" or re.fullmatch(r"HEROKU_POSTGRESQL_\w+_URL", name):
            if options.postgres in ("managed", "unmanaged") and postgres:
                reason = "set by Fly when the new Postgres is attached"
            elif options.postgres == "none":
                reason = "--postgres none: the database is not moved"
            elif name != "DATABASE_URL":
                reason = "Heroku Postgres attachment URL; Fly uses DATABASE_URL only"
        elif name in ("REDIS_URL", "REDIS_TLS_URL") and redis:
            reason = "pointed at the new Upstash Redis by the provision stage"
        elif name in unmoved_vars:
            reason = f"set by the {unmoved_vars[name]} add-on, which is not moved (see manual steps)"
        if reason:
            excluded.append({"name": name, "reason": reason})
        else:
            secrets.append(name)
    return secrets, excluded


def _manual_steps(inventory, postgres_addon, redis_addon, build, excluded) -> list[dict]:
    steps = []
    for addon in inventory.addons:
        service = addon.service
        if addon is postgres_addon or addon is redis_addon:
            continue
        if service == "heroku-postgresql":
            steps.append(_step(f"Extra Heroku Postgres database {addon.name} ({addon.plan})",
                               "Only the database attached as DATABASE_URL is moved",
                               "Create another Fly Postgres and copy it with pg_dump/pg_restore, "
                               "or keep it on Heroku"))
        elif service == "heroku-redis":
            steps.append(_step(f"Extra Heroku Key-Value Store {addon.name}",
                               "Only one Redis is provisioned on Fly",
                               "Create another with `fly redis create` and set its URL as a secret"))
        elif service == "scheduler":
            steps.append(_step("Heroku Scheduler jobs",
                               "Fly has no Scheduler add-on and Heroku's API does not list the jobs",
                               "Recreate each job as a scheduled Machine "
                               "(`fly machine run . --schedule daily --command ...`) "
                               "or a cron process group (e.g. supercronic)"))
        elif service in _LOGGING:
            steps.append(_step(f"Log drain add-on {service}",
                               "Heroku add-ons end with the Heroku app; Fly apps do not use Logplex",
                               "Ship logs with fly-log-shipper to the vendor (open a direct account) "
                               "and set its token with `fly secrets set`"))
        elif service in _MAIL:
            steps.append(_step(f"Mail add-on {service}",
                               "The add-on's account and API key are deleted with the Heroku app",
                               "Open a direct account with the provider and set its keys under the "
                               "same names with `fly secrets set`"))
        elif service in _MONITORING:
            steps.append(_step(f"Monitoring add-on {service}",
                               "The add-on's account is deleted with the Heroku app",
                               "Use a direct account with the vendor (Fly also offers Sentry via "
                               "`fly ext sentry create`) and set its keys as secrets"))
        else:
            steps.append(_step(f"Add-on {service} ({addon.plan})",
                               "herokufly does not know how to move this add-on",
                               "Provision an equivalent service and set its config vars on Fly "
                               "with `fly secrets set`"))
    app_json = (inventory.repo.app_json if inventory.repo else None) or {}
    if isinstance(app_json.get("environments"), dict) and app_json["environments"].get("review"):
        steps.append(_step("Review apps and pipelines",
                           "Heroku Pipelines and review apps have no Fly equivalent",
                           "Use a GitHub workflow that deploys pull requests to their own Fly app "
                           "(e.g. superfly/fly-pr-review-apps)"))
    if inventory.app and inventory.app.space:
        steps.append(_step(f"Private Space {inventory.app.space}",
                           "Trusted IP ranges, VPN and peering do not carry over",
                           "Use Fly's private network (WireGuard) and static egress IPs where needed"))
    if build.get("mode") == "buildpacks" and any(
        not _official_buildpack(b) for b in build.get("heroku_buildpacks", [])
    ):
        steps.append(_step("Custom buildpacks",
                           "Heroku's CNB builder has only its language buildpacks, not "
                           + ", ".join(b for b in build.get("heroku_buildpacks", [])
                                       if not _official_buildpack(b)),
                           "Add a Dockerfile that does what the custom buildpacks did"))
    if inventory.offline:
        steps.append(_step("Complete the plan online",
                           "Offline plans only see the repo",
                           "Run `herokufly plan` with HEROKU_API_KEY set to read the live app"))
    return steps


def _config_kinds(secrets: list[str], excluded: list[dict], advice: Advice):
    """Move build-time and Heroku-only names out of the secrets; flag host-bound ones."""
    kinds = []
    kept, dropped = [], list(excluded)
    for name in secrets:
        var = advice.config.get(name)
        if var is None:
            kept.append(name)
            continue
        kinds.append({"name": name, "kind": var.kind, "reason": var.reason,
                      **({"fly_value": var.fly_value} if var.fly_value else {}),
                      **({"credential": True} if var.credential else {})})
        if var.kind == HEROKU_ONLY:
            dropped.append({"name": name, "reason": var.reason})
        elif var.kind == BUILD:
            dropped.append({"name": name, "reason": "build-time only: " + var.reason})
        else:  # HEROKU_HOST: still copied, then changed by the user (manual step)
            kept.append(name)
    return kept, sorted(dropped, key=lambda e: e["name"]), kinds


def _config_manual_steps(config_kinds: list[dict], fly_app: str, domains: list[str]) -> list[dict]:
    steps = []
    build = [k["name"] for k in config_kinds if k["kind"] == BUILD and not k.get("credential")]
    credentials = [k["name"] for k in config_kinds if k["kind"] == BUILD and k.get("credential")]
    if credentials:
        steps.append(_step(
            "Build-time credentials: " + ", ".join(credentials),
            "Heroku's build read them from config vars; on Fly they must reach the build "
            "without being stored in the image ([build.args] are stored)",
            "Build with a Dockerfile that reads them with `RUN --mount=type=secret,id=NAME` and "
            "deploy with `fly deploy --build-secret NAME=...`; they are not copied as runtime "
            "secrets"))
    if build:
        steps.append(_step(
            "Build-time config vars: " + ", ".join(build),
            "Heroku's build saw config vars; Fly's build sees only [build.args], and herokufly "
            "keeps no config values in files",
            "Add each under [build.args] in fly.toml with its value from "
            "`heroku config:get NAME` (they are not secrets: build args are stored in the image)"))
    host = [k["name"] for k in config_kinds if k["kind"] == HEROKU_HOST]
    if host:
        targets = " and ".join([f"{fly_app}.fly.dev", *domains])
        steps.append(_step(
            "Config vars naming the Heroku host: " + ", ".join(host),
            "Their values name *.herokuapp.com, which stops working after cutover",
            f"After the secrets stage, set each to name {targets} instead "
            "(`fly secrets set NAME=...`)"))
    return steps


def _pin_file(runtime: dict) -> str:
    """Where the builder reads the version: the CNB Python buildpack reads only .python-version
    (heroku/buildpacks-python src/python_version.rs: runtime.txt fails, Pipfile.lock is not read)."""
    if runtime.get("language") == "python" and runtime.get("source") in ("runtime.txt", "Pipfile.lock"):
        return ".python-version"
    return runtime["source"]


def _build_manual_steps(build: dict, inventory: Inventory) -> list[dict]:
    steps = []
    runtime = build.get("runtime") or {}
    if runtime.get("supported") is False:
        steps.append(_step(
            f"{runtime['language']} {runtime['version']} (from {runtime['source']})",
            f"{build.get('builder', 'the builder')} installs no {runtime['language']} that old",
            f"Raise the version in {_pin_file(runtime)} to one the builder supports "
            "(see herokufly/data/builders.json), test it, then deploy"))
    repo = inventory.repo
    if repo and repo.app_base:
        steps.append(_step(
            f"Build from {repo.app_base}/",
            f"On Heroku a monorepo buildpack (APP_BASE={repo.app_base}/) made {repo.app_base}/ "
            "the app; the plan's processes, framework and build come from there",
            f"Put fly.toml in {repo.app_base}/ and run `fly deploy` there (or `fly deploy "
            f"{repo.app_base}`), so the build sees only that directory"))
    if repo and "PROCFILE_PATH" in inventory.config_var_names and repo.procfile_path == "Procfile":
        steps.append(_step("PROCFILE_PATH is set on Heroku",
                           "herokufly reads config var names only, so it planned from ./Procfile",
                           "If Heroku used another file, put PROCFILE_PATH with that path in "
                           "app.json env (or copy that file to ./Procfile) and plan again"))
    return steps


def _missing_tool_steps(checks: dict, release: dict | None, image: machine.Image) -> list[dict]:
    """Lines whose program the app's own image cannot have: its final stage is a bare OS."""
    steps = []
    named = dict(checks, **({"release": release} if release else {}))
    for group, check in sorted(named.items()):
        tool = machine.missing_program(image, check.get("heroku"))
        if check.get("fly") and tool and not check.get("replaced"):
            steps.append(_step(
                f"`{check['heroku']}` ({group})",
                f"It needs `{tool}`, which the final stage of your Dockerfile "
                f"({image.base_image}) does not have",
                "Run the equivalent your image has (e.g. a Mix release's `bin/<name> eval`), or "
                "change the command in fly.toml"))
    return steps


def _process_manual_steps(checks: dict, image: machine.Image) -> list[dict]:
    broken = sorted(g for g, c in checks.items()
                    if c.get("heroku") and c.get("fly") and not c["runs_heroku_line"])
    if image.entrypoint_args == "ignores" and broken:
        return [_step(
            "Process groups " + ", ".join(broken),
            f"The Dockerfile's ENTRYPOINT {image.entrypoint_source or image.entrypoint[0]} never "
            "reads its arguments, so the command Fly gives each group is ignored and every "
            "Machine runs what the script runs",
            "End the script with `exec \"$@\"` (and keep its own start command as the "
            "Dockerfile's CMD), or give those groups their own image")]
    broken = sorted(g for g, c in checks.items() if c.get("heroku") and not c["runs_heroku_line"])
    if not image.entrypoint_shell_form or not broken:
        return []
    return [_step(
        "Process groups " + ", ".join(broken),
        "The Dockerfile's ENTRYPOINT is in shell form, which ignores the command Fly gives "
        "each process group",
        "Write the ENTRYPOINT in exec form (`ENTRYPOINT [\"/entrypoint.sh\"]` ending in "
        "`exec \"$@\"`), or drop it and keep CMD")]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _step(item: str, why: str, how: str) -> dict:
    return {"item": item, "why": why, "how": how}


# -- estimate ---------------------------------------------------------------------------------


def estimate(plan: Plan, inventory: Inventory) -> dict:
    """Monthly cost now on Heroku and after the move, with the line items behind both."""
    items: list[dict] = []
    notes: list[str] = []

    def add(side, item, quantity, unit, note=None):
        monthly = None if unit is None else round(unit * quantity, 2)
        items.append({"side": side, "item": item, "quantity": quantity, "unit_usd": unit,
                      "monthly_usd": monthly, **({"note": note} if note else {})})

    eco = [f for f in inventory.formation if f.size.lower() == "eco" and f.quantity]
    for f in inventory.formation:
        if f.size.lower() == "eco":
            continue
        add("heroku", f"{f.type} dynos ({f.size})", f.quantity, pricing.heroku_dyno_monthly(f.size))
    if eco:
        add("heroku", "Eco dynos plan (1000 hours, shared)", 1, pricing.heroku_dyno_monthly("eco"))
    for addon in inventory.addons:
        add("heroku", f"add-on {addon.plan}", 1, pricing.heroku_addon_monthly(addon))

    for group, vm in plan.vm.items():
        unit = pricing.fly_machine_monthly(vm["cpu_kind"], vm["cpus"], vm["memory_mb"], plan.region)
        add("fly", f"{group} Machines ({vm['size']}, {vm['memory_mb']} MB, {plan.region})",
            vm["count"], unit)
    pg = plan.postgres
    if pg and pg["target"] == "managed":
        mpg = pricing.managed_postgres_plan(pg["plan"])
        add("fly", f"Managed Postgres {pg['plan']} ({mpg['memory_mb'] // 1024} GB RAM, {mpg['cpu']}; "
            f"Postgres {pg['pg_major']})", 1, mpg["monthly_usd"], pg["plan_basis"])
        add("fly", f"Managed Postgres storage ({pg['volume_gb']} GB; {pg['volume_basis']})", 1,
            pricing.managed_postgres_storage_monthly(pg["volume_gb"]))
    elif pg and pg["target"] == "unmanaged":
        add("fly", "Postgres Machine (shared-cpu-1x, 1024 MB, single node)", 1,
            pricing.fly_machine_monthly("shared", 1, pg["memory_mb"], plan.region))
        add("fly", f"Postgres volume ({pg['volume_gb']} GB)", 1,
            pricing.fly_volume_monthly(pg["volume_gb"]))
    elif pg and pg["target"] == "keep-heroku":
        addon = next((a for a in inventory.addons if a.name == pg["source_addon"]), None)
        add("fly", f"Heroku Postgres kept ({pg['source_plan']})", 1,
            pricing.heroku_addon_monthly(addon) if addon else None)
    if plan.redis:
        add("fly", f"Upstash Redis {plan.redis['plan']}", 1,
            pricing.upstash_plan(plan.redis["plan"])["monthly_usd"] if plan.redis["plan"] else None)
    if plan.domains:
        add("fly", f"TLS certificates ({len(plan.domains)}; first 10 free)", 1,
            pricing.certificates_monthly(len(plan.domains)))
    add("fly", "Shared IPv4 and IPv6 addresses", 1, 0.0)

    unpriced = [i["item"] for i in items if i["monthly_usd"] is None]
    if unpriced:
        notes.append("No published price for: " + "; ".join(unpriced) + " (left out of the totals)")
    unmoved = [s["item"] for s in plan.manual_steps if s["item"].split()[0] in
               ("Log", "Mail", "Monitoring", "Add-on")]
    if unmoved:
        notes.append("Replacements for add-ons that are not moved are not in the Fly total")
    notes.append("Fly prices assume Machines run all month; auto-stopped Machines cost less")

    def total(side):
        return round(sum(i["monthly_usd"] or 0 for i in items if i["side"] == side), 2)

    return {
        "heroku_monthly_usd": total("heroku"),
        "fly_monthly_usd": total("fly"),
        "currency": "USD",
        "items": items,
        "complete": not unpriced,
        "notes": notes,
        "prices_date": pricing.taken(),
        "source": pricing.sources(),
    }
