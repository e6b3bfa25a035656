"""Node: npm start default, ORM migrations from package.json, build-time vars, ioredis IPv6."""

from __future__ import annotations

import pytest

from tests.unit.frameworks._repo import assert_every_process_runs_heroku, plan_of, write

DB = {"addons": ["heroku-postgresql:standard-0", "heroku-redis"],
      "env": {"NPM_CONFIG_PRODUCTION": "false", "NODE_ENV": "production"}}


@pytest.mark.parametrize("deps, scripts, release", [
    ({"prisma": "5"}, {}, "npx prisma migrate deploy"),
    ({"knex": "3"}, {}, "npx knex migrate:latest"),
    ({"sequelize": "6", "sequelize-cli": "6"}, {}, "npx sequelize-cli db:migrate"),
    ({"typeorm": "0.3"}, {}, "npx typeorm migration:run"),
    ({"knex": "3"}, {"migrate": "knex migrate:latest --env production"}, "npm run migrate"),
])
def test_node_orm_migrations(tmp_path, deps, scripts, release):
    write(tmp_path, {"package.json": {"name": "x", "engines": {"node": "20.x"}, "dependencies": deps,
                                      "scripts": {"start": "node index.js", **scripts}},
                     "app.json": DB})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "node" and plan["release"]["line"] == release
    assert plan["process_checks"]["app"]["heroku"] == "npm start"  # Heroku's default web
    assert_every_process_runs_heroku(plan)
    assert "NPM_CONFIG_PRODUCTION" not in plan["secrets"] and "NODE_ENV" in plan["secrets"]


def test_ioredis_gets_the_ipv6_note(tmp_path):
    write(tmp_path, {"package.json": {"dependencies": {"ioredis": "5"}, "scripts": {"start": "node a"}},
                     "Procfile": "web: node a\nworker: cd worker && node jobs.js\n"})
    plan = plan_of(tmp_path)
    assert any("family: 6" in n for n in plan["notes"])
    assert plan["release_command"] is None  # no database
    assert_every_process_runs_heroku(plan)


def test_default_web_runs_the_builders_default_and_asks_for_a_procfile_line(tmp_path):
    write(tmp_path, {"package.json": {"scripts": {"start": "node server.js"}},
                     "Procfile": "worker: node worker.js\n"})
    plan = plan_of(tmp_path)
    assert plan["processes"] == {"app": "", "worker": "'node worker.js'"}
    assert plan["process_checks"]["app"]["heroku"] == "npm start"
    step = next(s for s in plan["manual_steps"] if s["item"] == "Add `web: npm start` to the Procfile")
    assert "worker" in step["why"]
    assert_every_process_runs_heroku(plan)


def test_health_route_from_the_source(tmp_path):
    write(tmp_path, {"package.json": {"scripts": {"start": "node src/app.js"}},
                     "node_modules/x/index.js": "app.get('/health', f)",
                     "src/app.js": "const app = express();\napp.get(\"/healthz\", (req, res) => res.send('ok'));\n"})
    plan = plan_of(tmp_path)
    assert plan["http_service"]["health_check_path"] == "/healthz"
    assert "src/app.js" in plan["http_service"]["health_check_why"]
