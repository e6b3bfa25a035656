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
                     "app.json": DB, ".sequelizerc": "module.exports = {}\n",
                     "knexfile.js": "module.exports = {}\n", "prisma/schema.prisma": "model A {}\n",
                     "ormconfig.json": "{}"})
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


def _steps(plan: dict) -> dict[str, dict]:
    return {s["item"]: s for s in plan["manual_steps"]}


def test_sequelize_without_its_config_gets_no_guessed_release(tmp_path):
    # codimd: migrations live in lib/migrations, named only by a .sequelizerc made at build
    # time; `sequelize-cli db:migrate` with its default paths would fail the deploy.
    write(tmp_path, {"package.json": {"dependencies": {"sequelize": "5", "sequelize-cli": "5"},
                                      "scripts": {"start": "node app.js"}},
                     "package-lock.json": "{}", "app.json": DB})
    assert plan_of(tmp_path)["release"] is None


def test_start_script_that_migrates_gets_no_release(tmp_path):
    write(tmp_path, {"package.json": {"dependencies": {"sequelize-cli": "5"},
                                      "scripts": {"start": "sequelize db:migrate && node app.js"}},
                     ".sequelizerc": "x", "package-lock.json": "{}", "app.json": DB})
    plan = plan_of(tmp_path)
    assert plan["release"] is None
    assert any("already runs the migrations" in n for n in plan["notes"])


@pytest.mark.parametrize("lockfile, step", [(None, True), ("package-lock.json", False),
                                            ("yarn.lock", False), ("pnpm-lock.yaml", False)])
def test_no_lockfile_is_a_manual_step(tmp_path, lockfile, step):
    # buildpacks-nodejs README: dependencies are installed only from a lockfile.
    files = {"package.json": {"scripts": {"start": "node server.js"}}, "server.js": "x"}
    if lockfile:
        files[lockfile] = "x"
    write(tmp_path, files)
    assert ("package-lock.json" in _steps(plan_of(tmp_path))) is step


def test_build_script_that_migrates_becomes_the_release(tmp_path):
    # outline: heroku-postbuild ran `yarn db:migrate`, which a Fly build cannot (no DATABASE_URL).
    write(tmp_path, {"package.json": {"dependencies": {"sequelize": "6"}, "scripts": {
        "start": "node build/server/index.js", "heroku-postbuild": "yarn build && yarn db:migrate",
        "db:migrate": "sequelize db:migrate"}}, "yarn.lock": "", "app.json": DB})
    plan = plan_of(tmp_path)
    assert plan["release"]["line"] == "npm run db:migrate"
    step = _steps(plan)["Migrations in package.json heroku-postbuild"]
    assert "release command runs it" in step["how"]


def test_npm_config_production_is_dropped_with_the_builders_reason(tmp_path):
    write(tmp_path, {"package.json": {"scripts": {"start": "node a.js"}}, "package-lock.json": "{}",
                     "app.json": {"env": {"NPM_CONFIG_PRODUCTION": "false", "YARN_PRODUCTION": "false"}}})
    plan = plan_of(tmp_path)
    excluded = {e["name"]: e["reason"] for e in plan["excluded_config"]}
    for name in ("NPM_CONFIG_PRODUCTION", "YARN_PRODUCTION"):
        assert "prune_dev_dependencies = false" in excluded[name] and name not in plan["secrets"]
    assert not any("Build-time" in s["item"] for s in plan["manual_steps"])


@pytest.mark.parametrize("engine, eol", [("4.0.0", True), (">=14.0.0 <17.0.0", True),
                                         ("22.x", False), ("26", False)])
def test_old_node_builds_with_an_end_of_life_note(tmp_path, engine, eol):
    # buildpacks-nodejs inventory has Node.js from 0.8; majors outside 22/24/26 only warn.
    write(tmp_path, {"package.json": {"engines": {"node": engine}, "scripts": {"start": "node a"}},
                     "package-lock.json": "{}"})
    plan = plan_of(tmp_path)
    assert plan["build"]["runtime"]["supported"] is True
    assert any("end-of-life" in n and engine in n for n in plan["notes"]) is eol


def test_two_language_buildpacks_are_listed(tmp_path):
    write(tmp_path, {"package.json": {"scripts": {"start": "node a"}}, "package-lock.json": "{}",
                     "app.json": {"buildpacks": [{"url": "heroku/python"},
                                                 {"url": "https://github.com/heroku/heroku-buildpack-nodejs"}]}})
    plan = plan_of(tmp_path)
    # scaffold writes them into fly.toml [build] buildpacks; the plan says why
    assert plan["build"]["buildpacks"] == ["heroku/python", "heroku/nodejs", "heroku/procfile"]
    assert any("so the builder runs the same languages" in n for n in plan["notes"])


@pytest.mark.parametrize("postbuild, step", [("heroku-nextjs-build", True),
                                             ("npm run build && ./bin/heroku", False),
                                             ("yarn build && yarn db:migrate", False)])
def test_build_and_heroku_postbuild(tmp_path, postbuild, step):
    # Classic ran heroku-postbuild instead of build; the CNB runs both.
    write(tmp_path, {"package.json": {"scripts": {"start": "next start -p $PORT", "build": "next build",
                                                  "heroku-postbuild": postbuild}},
                     "package-lock.json": "{}"})
    plan = plan_of(tmp_path)
    assert ("package.json build and heroku-postbuild" in _steps(plan)) is step
    assert any("build runs twice" in n for n in plan["notes"]) is (not step)


@pytest.mark.parametrize("procfile, files, missing", [
    ("web: bin/start-nginx-static\n", {}, "bin/start-nginx-static"),
    ("web: bin/start-pgbouncer-stunnel npm start\nworker: ./bin/worker\n", {"bin/worker": "x"},
     "bin/start-pgbouncer-stunnel"),
    ("web: node bin/www\n", {"bin/www": "x"}, None),
    ("web: node node_modules/.bin/next start\nworker: /usr/bin/env node w.js\n", {}, None),
])
def test_procfile_scripts_a_classic_buildpack_provided(tmp_path, procfile, files, missing):
    write(tmp_path, {**files, "Procfile": procfile, "package-lock.json": "{}",
                     "package.json": {"scripts": {"start": "node a"}}})
    steps = [s for s in plan_of(tmp_path)["manual_steps"] if s["item"].startswith("Buildpack scripts")]
    assert [s["item"] for s in steps] == ([f"Buildpack scripts {missing}"] if missing else [])


def test_shrinkwrap_alone_is_no_lockfile_for_the_builder(tmp_path):
    write(tmp_path, {"package.json": {"scripts": {"start": "node a"}}, "npm-shrinkwrap.json": "{}"})
    assert "package-lock.json" in _steps(plan_of(tmp_path))


@pytest.mark.parametrize("section, note", [("devDependencies", True), ("dependencies", False)])
def test_migration_cli_pruned_from_the_image_is_noted(tmp_path, section, note):
    write(tmp_path, {"package.json": {"scripts": {"start": "node a"}, section: {"prisma": "5"},
                                      "dependencies" if section == "devDependencies" else "x": {}},
                     "package-lock.json": "{}", "app.json": DB, "prisma/schema.prisma": "x"})
    plan = plan_of(tmp_path)
    assert plan["release"]["line"] == "npx prisma migrate deploy"
    assert any("only a devDependency" in n for n in plan["notes"]) is note


@pytest.mark.parametrize("engine, eol", [(">=10.13.0", False), (">= 18", False), ("*", False),
                                         ("^16.0.0", True), ("14.x || 16.x", True),
                                         ("16 || >=20", False), ("20.x || 22.x", False)])
def test_end_of_life_note_follows_the_newest_version_the_range_allows(tmp_path, engine, eol):
    write(tmp_path, {"package.json": {"engines": {"node": engine}, "scripts": {"start": "node a"}},
                     "package-lock.json": "{}"})
    assert any("end-of-life" in n for n in plan_of(tmp_path)["notes"]) is eol


@pytest.mark.parametrize("dep, name", [("next", "NEXT_PUBLIC_API_URL"), ("vite", "VITE_SENTRY_DSN"),
                                       ("react-scripts", "REACT_APP_API")])
def test_browser_bundled_variables_are_build_time(tmp_path, dep, name):
    write(tmp_path, {"package.json": {"scripts": {"start": "node a"}, "dependencies": {dep: "1"}},
                     "package-lock.json": "{}",
                     "app.json": {"env": {name: {"value": "x"}, "SESSION_SECRET": {"generator": "secret"}}}})
    plan = plan_of(tmp_path)
    assert name not in plan["secrets"] and "SESSION_SECRET" in plan["secrets"]
    assert any(name in s["item"] for s in plan["manual_steps"])


def test_project_toml_build_config_vars_is_a_manual_step(tmp_path):
    # heroku-examples/luminaire-solar-ui-demo: Heroku Fir passed config vars to the build.
    write(tmp_path, {"package.json": {"scripts": {"start": "next start"}, "dependencies": {"next": "15"}},
                     "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
                     "project.toml": "[com.heroku.build.labs]\nbuild_config_vars = true\n"})
    assert "Config vars the build read (project.toml build_config_vars)" in _steps(plan_of(tmp_path))


@pytest.mark.parametrize("aptfile, project, how", [
    ("libvips-dev\n# images\n\nhttps://example.com/x.deb\n", None,
     ['install = ["libvips-dev"]', 'download = ["https://example.com/x.deb"]']),
    ("mysql-*\n", None, ["wildcard"]),
    (":repo:deb http://apt.example.com stable main\nfoo\n", None, ["Dockerfile", '"foo"']),
    ("libpq-dev\n", "[com.heroku.buildpacks.deb-packages]\ninstall = ['libpq-dev']\n", None),
])
def test_aptfile_becomes_deb_packages_config(tmp_path, aptfile, project, how):
    files = {"package.json": {"scripts": {"start": "node a"}}, "package-lock.json": "{}",
             "Aptfile": aptfile}
    if project:
        files["project.toml"] = project
    write(tmp_path, files)
    step = _steps(plan_of(tmp_path)).get("Aptfile")
    if how is None:
        assert step is None
    else:
        assert all(h in step["how"] for h in how), step


@pytest.mark.parametrize("files, package, release", [
    ({"knexfile.js": "x"}, {}, "npx knex migrate:latest"),
    ({"server/knexfile.js": "x"}, {}, "npx knex migrate:latest --knexfile server/knexfile.js"),
    ({}, {}, None),
])
def test_knex_release_finds_the_knexfile(tmp_path, files, package, release):
    write(tmp_path, {**files, "package.json": {"scripts": {"start": "node a"}, "dependencies": {"knex": "3"}},
                     "package-lock.json": "{}", "app.json": DB})
    assert (plan_of(tmp_path)["release"] or {}).get("line") == release


@pytest.mark.parametrize("files, prisma, release", [
    ({"prisma/schema.prisma": "x"}, None, "npx prisma migrate deploy"),
    ({"db/schema.prisma": "x"}, {"schema": "db/schema.prisma"},
     "npx prisma migrate deploy --schema db/schema.prisma"),
    ({"prisma/schema/base.prisma": "x"}, None, "npx prisma migrate deploy --schema prisma/schema"),
    ({}, None, None),
])
def test_prisma_release_finds_the_schema(tmp_path, files, prisma, release):
    package = {"scripts": {"start": "node a"}, "dependencies": {"@prisma/client": "6"}}
    if prisma:
        package["prisma"] = prisma
    write(tmp_path, {**files, "package.json": package, "package-lock.json": "{}", "app.json": DB})
    assert (plan_of(tmp_path)["release"] or {}).get("line") == release


def test_typeorm_without_ormconfig_gets_a_note_not_a_failing_release(tmp_path):
    write(tmp_path, {"package.json": {"scripts": {"start": "node dist/main"}, "dependencies": {"typeorm": "0.3"}},
                     "package-lock.json": "{}", "src/data-source.ts": "export default {}", "app.json": DB})
    plan = plan_of(tmp_path)
    assert plan["release"] is None
    assert any("-d <data source>" in n for n in plan["notes"])


def test_old_engines_pin_is_not_the_builders_concern_with_an_own_dockerfile(tmp_path):
    write(tmp_path, {"package.json": {"engines": {"node": "8.x"}, "scripts": {"start": "node a"}},
                     "package-lock.json": "{}",
                     "Dockerfile": 'FROM node:20-alpine\nCOPY . /app\nCMD ["node", "a"]\n'})
    plan = plan_of(tmp_path)
    assert plan["build"]["runtime"]["supported"] is None
    assert not any("end-of-life" in n for n in plan["notes"])
    assert any("Node.js comes from your Dockerfile" in n for n in plan["notes"])
