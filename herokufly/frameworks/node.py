"""Node.js apps. Heroku's Node buildpack runs `npm start` as web when the Procfile has none
(devcenter nodejs-support, "Default web process type"), reads engines.node, and honours
NPM_CONFIG_PRODUCTION / YARN_PRODUCTION / NODE_MODULES_CACHE at build time only.

Migrations, from package.json: a `migrate`-like script, else the ORM's own command
(prisma migrate deploy, knex migrate:latest, sequelize-cli db:migrate, typeorm migration:run).
"""

from __future__ import annotations

from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import HEALTH_PATHS, find_health_route, read_json

NAME = "node"
_MIGRATE_SCRIPTS = ("migrate", "db:migrate", "migrate:deploy", "migrate:latest", "migrations:run",
                    "migration:run", "db:migrate:deploy", "typeorm:migrate")


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
    return Detection(NAME, ["package.json"], {
        "node_version": node,
        "scripts": sorted(k for k in scripts if isinstance(k, str)),
        "deps": sorted(d for d in ("prisma", "@prisma/client", "knex", "sequelize", "sequelize-cli",
                                   "typeorm", "ioredis", "bull", "bullmq", "express", "next",
                                   "@nestjs/core", "pg", "mongoose") if d in deps),
        "has_server_js": (Path(root) / "server.js").is_file(),
        # Express/Koa/Fastify/Nest style: app.get("/health", ...), @Get("health").
        "health_route": find_health_route(root, (".js", ".mjs", ".cjs", ".ts"),
                                          rf"""(?:\.(?:get|all|route)\(\s*|@Get\(\s*)['"`](?P<path>{HEALTH_PATHS})/?['"`]"""),
    })


def migration_command(facts: dict) -> str | None:
    scripts, deps = facts.get("scripts", []), facts.get("deps", [])
    for name in _MIGRATE_SCRIPTS:
        if name in scripts:
            return f"npm run {name}"
    if "prisma" in deps or "@prisma/client" in deps:
        return "npx prisma migrate deploy"
    if "knex" in deps:
        return "npx knex migrate:latest"
    if "sequelize-cli" in deps or "sequelize" in deps:
        return "npx sequelize-cli db:migrate"
    if "typeorm" in deps:
        return "npx typeorm migration:run"
    return None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    advice.build = _common.buildpacks_build(ctx, "nodejs", facts.get("node_version"),
                                            "package.json engines.node"
                                            if facts.get("node_version") else None, advice.notes)
    default_web = "npm start" if "start" in facts.get("scripts", []) else (
        "node server.js" if facts.get("has_server_js") else None)
    advice.processes = _common.web_processes(ctx, default_web, "what Heroku's Node.js "
                                             "buildpack runs", advice)
    command = migration_command(facts)
    advice.release = _common.release_from(ctx, command, "the database migrations, from "
                                          "package.json")
    if command and command.startswith("npx typeorm"):
        advice.notes.append("typeorm migration:run needs `-d <data source file>`; check the "
                            "release command")
    route = facts.get("health_route")
    if route:
        advice.health_check = _common.health_check(route[0], f"{route[1]} routes {route[0]}")
    else:
        advice.health_check = _common.health_check("/", "the app's root; no health route found")
    advice.config = _common.config_kinds(ctx, ("node",), f"{ctx.fly_app}.fly.dev")
    note = (f"{_common.IPV6_PRIVATE}; Node's `pg` resolves it, but bind the server to 0.0.0.0 "
            "or `::` (not localhost)")
    if {"ioredis", "bull", "bullmq"} & set(facts.get("deps", [])):
        note += ("; ioredis (and Bull/BullMQ through it) must be given `family: 6` (or "
                 "`?family=6` in REDIS_URL) to reach Fly's Upstash Redis")
    advice.notes.append(note)
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice
