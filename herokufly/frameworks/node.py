"""Node.js apps. Heroku's Node buildpack runs `npm start` as web when the Procfile has none
(devcenter nodejs-support, "Default web process type"), reads engines.node, and honours
NPM_CONFIG_PRODUCTION / YARN_PRODUCTION / NODE_MODULES_CACHE at build time only.

Migrations, from package.json: a `migrate`-like script, else the ORM's own command
(prisma migrate deploy, knex migrate:latest, sequelize-cli db:migrate, typeorm migration:run);
none when `start` already migrates, or sequelize-cli has no config to find its migrations.

The Node.js CNB (heroku/buildpacks-nodejs @f56d560d) differs from the classic buildpack: it
installs dependencies only from a lockfile (README; src/main.rs), ignores NPM_CONFIG_PRODUCTION
and YARN_PRODUCTION and prunes devDependencies after the build unless project.toml says
`[com.heroku.buildpacks.nodejs.actions] prune_dev_dependencies = false`
(src/buildpack_config.rs), and runs heroku-prebuild, heroku-build or build, heroku-postbuild
(src/package_manager.rs) with no config vars, so a build script that migrates cannot reach the
database.
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.frameworks import BUILD, HEROKU_ONLY, Advice, AppContext, ConfigVar, Detection
from herokufly.frameworks import _classic_scripts, _common, _runtime
from herokufly.frameworks._files import (HEALTH_PATHS, find_health_route, read_json, read_text,
                                         version_tuple)

NAME = "node"
_MIGRATE_SCRIPTS = ("migrate", "db:migrate", "migrate:deploy", "migrate:latest", "migrations:run",
                    "migration:run", "db:migrate:deploy", "typeorm:migrate")
LOCKFILES = ("package-lock.json", "yarn.lock", "pnpm-lock.yaml")  # src/main.rs: no shrinkwrap
_BUILD_SCRIPTS = ("heroku-prebuild", "heroku-build", "build", "heroku-postbuild")
_MIGRATES = re.compile(r"\b(?:migrate|migration:run|db:push)\b")
# Browser-bundled variables each bundler inlines at build time (Next.js, Vite and Create React App
# docs on environment variables).
_PUBLIC_BUILD_PREFIXES = (("NEXT_PUBLIC_", "next"), ("VITE_", "vite"), ("REACT_APP_", "react-scripts"))
LOCKFILE_STEP = {
    "item": "package-lock.json",
    "why": "the Node.js Cloud Native Buildpack installs dependencies only from a lockfile (npm, "
           "yarn or pnpm); without one the image has no node_modules and no `npm start` default, "
           "where Heroku's classic buildpack ran `npm install`",
    "how": "Run `npm install` with the Node version the app pins and commit package-lock.json",
}


def detect(root: Path) -> Detection | None:
    package = read_json(root, "package.json")
    if package is None:
        return None
    deps = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(package.get(key), dict):
            deps.update(package[key])
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    engines = package.get("engines") if isinstance(package.get("engines"), dict) else {}
    node = engines.get("node") if isinstance(engines.get("node"), str) else None
    runtime_deps = package.get("dependencies") if isinstance(package.get("dependencies"), dict) else {}
    return Detection(NAME, ["package.json"], {
        "node_version": node,
        # Migration CLIs only in devDependencies: pruned from the image after the build.
        "dev_only_clis": sorted(d for d in ("prisma", "knex", "sequelize-cli", "typeorm")
                                if d in deps and d not in runtime_deps),
        "scripts": sorted(k for k in scripts if isinstance(k, str)),
        "deps": sorted(d for d in ("prisma", "@prisma/client", "knex", "sequelize", "sequelize-cli",
                                   "typeorm", "ioredis", "bull", "bullmq", "express", "next",
                                   "@nestjs/core", "pg", "mongoose", "vite", "react-scripts")
                       if d in deps),
        "build_sees_config_vars": _runtime.build_sees_config_vars(read_text(root, "project.toml")),
        "has_server_js": (Path(root) / "server.js").is_file(),
        "lockfiles": [f for f in LOCKFILES if (Path(root) / f).is_file()],
        "bin_files": _classic_scripts.bin_files(root),
        "aptfile_step": _classic_scripts.aptfile_step(read_text(root, "Aptfile"),
                                                      read_text(root, "project.toml")),
        # Script bodies the build or start runs (package.json text, not config values).
        "build_scripts": {k: scripts[k] for k in _BUILD_SCRIPTS if isinstance(scripts.get(k), str)},
        "start_script": scripts.get("start") if isinstance(scripts.get("start"), str) else None,
        "has_sequelize_config": any((Path(root) / f).is_file() for f in (
            ".sequelizerc", "config/config.json", "config/config.js")),
        "knexfile": _first_file(root, ("knexfile.js", "knexfile.ts", "knexfile.cjs",
                                       "knexfile.mjs"), ("", "server", "src", "db", "api")),
        "prisma_schema": _prisma_schema(root, package),
        "typeorm_config": _first_file(root, tuple(f"ormconfig.{e}" for e in (
            "json", "js", "ts", "yml", "yaml", "env", "xml")), ("",)) is not None,
        # Express/Koa/Fastify/Nest style: app.get("/health", ...), @Get("health").
        "health_route": find_health_route(root, (".js", ".mjs", ".cjs", ".ts"),
                                          rf"""(?:\.(?:get|all|route)\(\s*|@Get\(\s*)['"`](?P<path>{HEALTH_PATHS})/?['"`]"""),
    })


def _first_file(root: Path, names: tuple[str, ...], dirs: tuple[str, ...]) -> str | None:
    for directory in dirs:
        for name in names:
            rel = f"{directory}/{name}" if directory else name
            if (Path(root) / rel).is_file():
                return rel
    return None


def _prisma_schema(root: Path, package: dict) -> str | None:
    """Where `prisma migrate deploy` finds the schema: package.json prisma.schema, else
    prisma/schema.prisma or schema.prisma (Prisma CLI docs, "Prisma schema location")."""
    configured = package.get("prisma", {}).get("schema") if isinstance(
        package.get("prisma"), dict) else None
    if isinstance(configured, str) and (Path(root) / configured).exists():
        return configured
    return _first_file(root, ("schema.prisma",), ("prisma", "")) or (
        "prisma/schema" if (Path(root) / "prisma" / "schema").is_dir() else None)


def migration_command(facts: dict) -> str | None:
    scripts, deps = facts.get("scripts", []), facts.get("deps", [])
    for name in _MIGRATE_SCRIPTS:
        if name in scripts:
            return f"npm run {name}"
    if "prisma" in deps or "@prisma/client" in deps:
        schema = facts.get("prisma_schema", "prisma/schema.prisma")
        if schema is None:
            return None  # no schema to migrate from: a guessed command would fail the deploy
        return "npx prisma migrate deploy" + (
            "" if schema in ("prisma/schema.prisma", "schema.prisma") else f" --schema {schema}")
    if "knex" in deps:
        knexfile = facts.get("knexfile", "knexfile.js")
        if knexfile is None:
            return None  # the knex CLI finds no knexfile, so a guessed command would fail
        return "npx knex migrate:latest" + (
            "" if "/" not in knexfile else f" --knexfile {knexfile}")
    if ("sequelize-cli" in deps or "sequelize" in deps) and facts.get("has_sequelize_config", True):
        return "npx sequelize-cli db:migrate"
    if "typeorm" in deps and facts.get("typeorm_config", True):
        return "npx typeorm migration:run"  # TypeORM 0.2: ormconfig.* at the root
    return None


def builds_own_image(ctx: AppContext) -> bool:
    """The plan builds the repo's own Dockerfile (one with a CMD or ENTRYPOINT; one without is
    a development image the plan builds beside, with buildpacks, as decide/plan.py does)."""
    return ctx.user_dockerfile is not None and ctx.user_dockerfile.declared


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    source = "package.json engines.node" if facts.get("node_version") else None
    if builds_own_image(ctx):
        advice.build = _common.buildpacks_build(ctx, "nodejs", None, None, [])
        advice.build["runtime"] = {"language": "nodejs", "version": facts.get("node_version"),
                                   "source": source, "supported": None}
        advice.notes.append("Node.js comes from your Dockerfile's base image, so the CNB "
                            "builder's Node.js versions do not apply")
    else:
        advice.build = _common.buildpacks_build(ctx, "nodejs", facts.get("node_version"),
                                                source, advice.notes)
    default_web = "npm start" if "start" in facts.get("scripts", []) else (
        "node server.js" if facts.get("has_server_js") else None)
    advice.processes = _common.web_processes(ctx, default_web, "what Heroku's Node.js "
                                             "buildpack runs", advice)
    command = migration_command(facts)
    if (command or ctx.has_database) and _MIGRATES.search(facts.get("start_script") or ""):
        advice.notes.append("package.json `start` already runs the migrations when the app "
                            "starts, so no release command is proposed")
        command = None
    advice.release = _common.release_from(ctx, command, "the database migrations, from "
                                          "package.json")
    cli = command.split()[1] if command and command.startswith("npx ") else None
    if advice.release and advice.release.proposed and cli in facts.get("dev_only_clis", []):
        advice.notes.append(f"{cli} is only a devDependency, which the build prunes (on Heroku "
                            f"too, unless NPM_CONFIG_PRODUCTION=false): `npx {cli}` in the "
                            f"release command would download the latest {cli}; move it to "
                            "dependencies so the release runs the version the app pins")
    if "typeorm" in facts.get("deps", []) and not facts.get("typeorm_config", True) and (
            ctx.has_database and not advice.release):
        advice.notes.append("No migration release command proposed: TypeORM 0.3 needs "
                            "`typeorm migration:run -d <data source>` and the repo has no "
                            "ormconfig; add the release command to fly.toml if the app migrates")
    route = facts.get("health_route")
    if route:
        advice.health_check = _common.health_check(route[0], f"{route[1]} routes {route[0]}")
    else:
        advice.health_check = _common.health_check("/", "the app's root; no health route found")
    advice.config = _common.config_kinds(ctx, ("node",), f"{ctx.fly_app}.fly.dev")
    for prefix, dep in _PUBLIC_BUILD_PREFIXES:
        for name in ctx.config_var_names:
            if name.startswith(prefix) and dep in facts.get("deps", []) and name not in advice.config:
                advice.config[name] = ConfigVar(
                    BUILD, f"{dep} builds {prefix}* variables into the bundle while building (they "
                    "reach the browser, so they are not secrets); set it under [build.args]")
    if facts.get("build_sees_config_vars"):
        advice.manual_steps.append(dict(_runtime.BUILD_CONFIG_VARS_STEP))
    if ctx.user_dockerfile is None:
        _cnb_differences(facts, ctx, advice)
    note = (f"{_common.IPV6_PRIVATE}; Node's `pg` resolves it, but bind the server to 0.0.0.0 "
            "or `::` (not localhost)")
    if {"ioredis", "bull", "bullmq"} & set(facts.get("deps", [])):
        note += ("; ioredis (and Bull/BullMQ through it) must be given `family: 6` (or "
                 "`?family=6` in REDIS_URL) to reach Fly's Upstash Redis")
    advice.notes.append(note)
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice


def _cnb_differences(facts: dict, ctx: AppContext, advice: Advice) -> None:
    """Where the Node.js Cloud Native Buildpack would build something other than Heroku did."""
    _runtime.carry_language_buildpacks(ctx.buildpacks, advice)
    scripts = _classic_scripts.missing_scripts_step(ctx.procfile, facts.get("bin_files", []))
    if scripts:
        advice.manual_steps.append(scripts)
    if facts.get("aptfile_step"):
        advice.manual_steps.append(dict(facts["aptfile_step"]))
    if not facts.get("lockfiles"):
        advice.manual_steps.append(dict(LOCKFILE_STEP))
    for name in ("NPM_CONFIG_PRODUCTION", "YARN_PRODUCTION"):
        if name in ctx.config_var_names:
            advice.config[name] = ConfigVar(
                HEROKU_ONLY, "the Node.js Cloud Native Buildpack ignores it: it installs "
                "devDependencies for the build and prunes them afterwards; if the app needs "
                "them at run time, add project.toml with [com.heroku.buildpacks.nodejs.actions] "
                "prune_dev_dependencies = false")
    migrating = [k for k, v in facts.get("build_scripts", {}).items() if _MIGRATES.search(v)]
    if migrating:
        advice.manual_steps.append({
            "item": f"Migrations in package.json {migrating[0]}",
            "why": "Heroku's build saw DATABASE_URL and migrated while building; Fly's build "
                   "has no config vars and cannot reach the database, so the build fails",
            "how": f"Remove the migration from the {migrating[0]} script; "
                   + ("the release command runs it before each deploy"
                      if advice.release else "run it as the release command in fly.toml "
                      "([deploy] release_command)"),
        })
    scripts = facts.get("build_scripts", {})
    if "build" in scripts and "heroku-postbuild" in scripts and "heroku-build" not in scripts:
        # heroku-buildpack-nodejs lib/dependencies.sh run_build_script: heroku-postbuild
        # replaces build; buildpacks-nodejs src/package_manager.rs runs build, then it.
        if re.search(r"\b(?:npm run|yarn(?: run)?|pnpm(?: run)?)\s+build\b",
                     scripts["heroku-postbuild"]):
            advice.notes.append("package.json has `build` and `heroku-postbuild`, which runs it: "
                                "Heroku ran only heroku-postbuild; the builder runs build and "
                                "then heroku-postbuild, so build runs twice")
        else:
            advice.manual_steps.append({
                "item": "package.json build and heroku-postbuild",
                "why": "Heroku's classic buildpack ran heroku-postbuild instead of build; the "
                       "Node.js Cloud Native Buildpack runs build (or heroku-build) and then "
                       "heroku-postbuild",
                "how": "Check that `build` succeeds in a build without config vars, or add a "
                       "`heroku-build` script (run instead of build) that does what Heroku "
                       "needed",
            })
    node = facts.get("node_version")
    # The buildpack installs the newest version the range allows: only a bounded range is old.
    newest_allowed = (node or "").split("||")[-1].strip()
    unbounded = bool(re.fullmatch(r">=?\s*[\d.x*]+|[*x]|latest|", newest_allowed))
    major = version_tuple(newest_allowed)[:1]
    supported = _runtime.data()["runtimes"]["nodejs"].get("supported_majors", [])
    if major and not unbounded and supported and major[0] not in supported and major[0] < max(supported):
        advice.notes.append(f"Node.js {node} (package.json engines.node) is end-of-life: the "
                            "builder installs it with a warning, and Heroku says a future "
                            "buildpack release will refuse it; supported majors are "
                            + ", ".join(str(m) for m in supported))
