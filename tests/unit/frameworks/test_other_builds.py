"""Java, PHP, apps with their own Dockerfile, and apps no framework module knows."""

from __future__ import annotations

import json

import pytest

from herokufly.base.errors import ConfigError
from tests.unit.frameworks._repo import assert_every_process_runs_heroku, plan_of, write


def test_java_maven_actuator(tmp_path):
    write(tmp_path, {"pom.xml": "<dependency>spring-boot-starter-actuator</dependency>",
                     "system.properties": "java.runtime.version=17\n",
                     "Procfile": "web: java -Dserver.port=$PORT $JAVA_OPTS -jar target/app.jar\n"})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "java"
    assert plan["build"]["runtime"]["version"] == "17"
    assert plan["http_service"]["health_check_path"] == "/actuator/health"
    assert_every_process_runs_heroku(plan)


def test_laravel_default_web_and_migrate(tmp_path):
    write(tmp_path, {"composer.json": {"require": {"php": "^8.2", "laravel/framework": "^11.0"}},
                     "artisan": "", "bootstrap/app.php": "->withRouting(health: '/up')",
                     "public/index.php": "", "app.json": {"addons": ["heroku-postgresql"]}})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "php"
    # Heroku's and the builder's default web serves the repository root, not public/.
    assert plan["process_checks"]["app"]["heroku"] == "heroku-php-apache2"
    assert any(s["item"] == "Serve public/" for s in plan["manual_steps"])
    assert plan["release"]["line"] == "php artisan migrate --force"
    assert plan["http_service"]["health_check_path"] == "/up"
    assert_every_process_runs_heroku(plan)


def test_own_dockerfile_processes_and_port(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nEXPOSE 5000\nCMD [\"gunicorn\", \"app:app\"]\n",
                     "requirements.txt": "flask\n",
                     "Procfile": "worker: cd jobs && python run.py --concurrency ${C:-2}\n"})
    plan = plan_of(tmp_path)
    assert plan["build"] == {"mode": "dockerfile", "dockerfile": "Dockerfile", "generated": False,
                             "runtime": plan["build"]["runtime"]}
    assert plan["processes"]["app"] == ""  # the image's own CMD
    assert plan["process_checks"]["app"]["machine_exec"] == ["gunicorn", "app:app"]
    assert plan["processes"]["worker"] == "/bin/bash -c 'cd jobs && python run.py --concurrency ${C:-2}'"
    assert plan["http_service"]["internal_port"] == 5000 and plan["env"]["PORT"] == "5000"
    assert_every_process_runs_heroku(plan)


def test_heroku_yml_commands_run_in_the_image_and_the_procfile_is_unused(tmp_path):
    write(tmp_path, {"docker/Dockerfile.prod": "FROM python:3.12\nEXPOSE 8000\nCMD [\"python\", \"serve.py\"]\n",
                     "heroku.yml": "build:\n  docker:\n    web: docker/Dockerfile.prod\n"
                                   "  config:\n    NIGHTLY: 0\n"
                                   "release:\n  image: web\n  command:\n    - ./manage.py migrate --noinput\n"
                                   "run:\n  worker:\n    command:\n      - celery -A app worker -c ${C:-2}\n",
                     "requirements.txt": "django\n",
                     "Procfile": "web: gunicorn wrong\nrelease: wrong\n"})
    plan = plan_of(tmp_path)
    assert plan["build"]["dockerfile"] == "docker/Dockerfile.prod"
    assert plan["build"]["args"] == {"NIGHTLY": "0"}
    assert plan["processes"]["app"] == ""  # no run.web: the image's CMD, as on Heroku
    assert plan["process_checks"]["app"]["machine_exec"] == ["python", "serve.py"]
    assert plan["processes"]["worker"] == "/bin/bash -c 'celery -A app worker -c ${C:-2}'"
    assert plan["release_command"] == "./manage.py migrate --noinput"
    assert plan["http_service"]["internal_port"] == 8000
    assert_every_process_runs_heroku(plan)
    assert "wrong" not in json.dumps(plan["processes"]) + str(plan["release_command"])


def test_without_heroku_yml_the_web_group_runs_the_images_command(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM python:3.12\nCMD [\"python\", \"dev.py\"]\n",
                     "Procfile": "web: gunicorn app:app -b 0.0.0.0:$PORT\n"})
    assert plan_of(tmp_path)["processes"]["app"] == ""


def test_invalid_heroku_yml_names_the_file(tmp_path):
    write(tmp_path, {"heroku.yml": "build: [\n", "Dockerfile": "FROM x\n"})
    with pytest.raises(ConfigError, match=r"^heroku.yml:\d+:\d+: invalid YAML"):
        plan_of(tmp_path)


def test_shell_form_entrypoint_is_replaced_so_every_group_runs_its_line(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM debian\nENTRYPOINT ./start.sh\n",
                     "Procfile": "web: ./start.sh\nworker: ./work.sh\n"})
    plan = plan_of(tmp_path)
    assert plan["entrypoint"]["command"] == ["/bin/bash", "-c"]
    assert "shell form" in plan["entrypoint"]["why"]
    # web ran the image's own command: the shell-form ENTRYPOINT's text, now named explicitly
    assert plan["process_checks"]["app"]["machine_exec"] == ["/bin/bash", "-c", "./start.sh"]
    assert plan["process_checks"]["worker"]["machine_exec"] == ["/bin/bash", "-c", "./work.sh"]
    assert_every_process_runs_heroku(plan)
    assert not any(s["item"].startswith("Process groups") for s in plan["manual_steps"])


def test_unknown_app_and_custom_buildpacks(tmp_path):
    # .NET: the builder builds it (heroku/dotnet), though no framework module knows it.
    write(tmp_path, {"Procfile": "web: ./bin/server --port $PORT\n", "Shop.csproj": "<Project/>\n",
                     ".buildpacks": "https://github.com/heroku/heroku-buildpack-apt\n"
                                    "https://example.com/custom.tgz\n"})
    plan = plan_of(tmp_path)
    assert plan["framework"] == "unknown" and plan["build"]["mode"] == "buildpacks"
    assert plan["build"]["heroku_buildpacks"][1] == "https://example.com/custom.tgz"
    assert any(s["item"] == "Custom buildpacks" for s in plan["manual_steps"])
    assert_every_process_runs_heroku(plan)


def test_entrypoint_script_that_ignores_its_arguments_is_replaced(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM python:3.12\nCOPY boot.sh ./\nENTRYPOINT [\"./boot.sh\"]\n",
                     "boot.sh": "#!/bin/sh\nflask db upgrade\nexec gunicorn app:app\n",
                     "requirements.txt": "flask\n",
                     "Procfile": "web: flask db upgrade; gunicorn app:app\nworker: rq worker tasks\n"})
    plan = plan_of(tmp_path)
    # boot.sh ignores the worker's command, so fly.toml replaces the ENTRYPOINT for every
    # group; web still runs boot.sh, now named as its command.
    assert "boot.sh never reads its arguments" in plan["entrypoint"]["why"]
    assert plan["processes"]["app"] == "./boot.sh"
    assert plan["process_checks"]["worker"]["machine_exec"] == ["/bin/bash", "-c", "rq worker tasks"]
    assert_every_process_runs_heroku(plan)


def test_pass_through_entrypoint_runs_every_line(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM ruby\nWORKDIR /rails\nCOPY . .\n"
                                   "ENTRYPOINT [\"/rails/bin/docker-entrypoint\"]\nCMD [\"./bin/rails\", \"s\"]\n",
                     "bin/docker-entrypoint": "#!/bin/bash\nexec \"$@\"\n", "Gemfile": "gem 'rails'\n",
                     "Procfile": "web: bin/rails s\nworker: RAILS_MAX_THREADS=5 bin/rake jobs:work\n"
                                 "release: bin/rails db:migrate\n"})
    plan = plan_of(tmp_path)
    assert_every_process_runs_heroku(plan)
    assert plan["release_command"] == "bin/rails db:migrate"


def test_release_line_needing_a_tool_the_image_lacks_is_a_manual_step(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM elixir:1.14 AS build\nRUN mix release\n"
                                   "FROM alpine:3.13\nCOPY --from=build /app/_build/prod/rel/shop ./\n"
                                   "CMD [\"bin/shop\", \"start\"]\n",
                     "Procfile": "web: mix phx.server\nrelease: POOL_SIZE=2 mix ecto.migrate\n"})
    plan = plan_of(tmp_path)
    step = next(s for s in plan["manual_steps"] if s["item"].startswith("Release command"))
    assert "needs `mix`" in step["why"] and "alpine:3.13" in step["why"]
    assert plan["release_command"] is None  # a command that cannot start fails every deploy
    assert "needs `mix`" in plan["release"]["replaced"]
    assert not any("(app)" in s["item"] for s in plan["manual_steps"])  # web runs the image CMD


def test_release_line_runs_the_mix_release_s_own_migrate_script(tmp_path):
    # `mix phx.gen.release --docker` (phoenix priv/templates/phx.gen.release): the release gets
    # rel/overlays/bin/migrate and the final stage has no Mix.
    write(tmp_path, {
        "Dockerfile": ("ARG RUNNER_IMAGE=debian:bookworm-slim\n"
                       "FROM hexpm/elixir:1.17.2-erlang-27.0-debian-bookworm-20240701-slim AS builder\n"
                       "RUN mix release\nFROM ${RUNNER_IMAGE}\nWORKDIR \"/app\"\n"
                       "COPY --from=builder /app/_build/${MIX_ENV}/rel/shop ./\n"
                       "CMD [\"/app/bin/server\"]\n"),
        "mix.exs": ("defmodule Shop.MixProject do\n"
                    "  def project, do: [app: :shop, deps: [{:phoenix, \"~> 1.7\"}]]\nend\n"),
        "rel/overlays/bin/migrate": "#!/bin/sh\nexec ./shop eval Shop.Release.migrate\n",
        "rel/overlays/bin/server": "#!/bin/sh\nPHX_SERVER=true exec ./shop start\n",
        "Procfile": "web: mix phx.server\nrelease: mix ecto.migrate\n"})
    plan = plan_of(tmp_path)
    assert plan["release_command"] == "/app/bin/migrate"
    assert "rel/overlays/bin/migrate" in plan["release"]["replaced"]
    assert plan["release"]["machine_exec"] == ["/app/bin/migrate"]


def test_heroku_yml_languages_build_is_a_buildpack_build_with_its_run_section(tmp_path):
    write(tmp_path, {"heroku.yml": "build:\n  languages:\n    - ruby\nrun:\n  web: bundle exec puma\n",
                     "Gemfile": "gem 'sinatra'\n", "config.ru": "run App\n",
                     "Dockerfile": "FROM ruby\nCMD [\"ruby\", \"app.rb\"]\n"})
    plan = plan_of(tmp_path)
    # A Dockerfile in the repo is still the app's own; the web line comes from heroku.yml run.
    assert plan["build"]["mode"] == "dockerfile"
    assert plan["processes"]["app"] == ""  # Heroku built with buildpacks: the image's command
    assert any("ran `bundle exec puma`" in n for n in plan["notes"])


def test_release_line_the_image_cannot_run_is_replaced_when_its_entrypoint_migrates(tmp_path):
    write(tmp_path, {"Dockerfile": "FROM elixir:1.14 AS build\nRUN mix release\nFROM alpine:3.13\n"
                                   "COPY docker-entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n"
                                   "CMD [\"run\"]\n",
                     "docker-entrypoint.sh": "#!/bin/sh\n/app/bin/shop eval Shop.Release.migrate\nexec \"$@\"\n",
                     "Procfile": "web: mix phx.server\nrelease: POOL_SIZE=2 mix ecto.migrate\n"})
    plan = plan_of(tmp_path)
    assert plan["release_command"] is None
    assert "runs the migrations when a Machine starts" in plan["release"]["replaced"]
    assert not any("(release)" in s["item"] for s in plan["manual_steps"])


def test_container_stack_keeps_the_entrypoint_heroku_ran_too(tmp_path):
    # heroku.yml build.docker: Heroku ran every command behind this ENTRYPOINT as well, so
    # fly.toml keeps it (no [experimental] entrypoint).
    write(tmp_path, {"heroku.yml": "build:\n  docker:\n    web: Dockerfile\nrun:\n  worker: rq worker\n",
                     "Dockerfile": "FROM python:3.12\nCOPY boot.sh ./\nENTRYPOINT [\"./boot.sh\"]\n",
                     "boot.sh": "#!/bin/sh\nexec gunicorn app:app\n", "requirements.txt": "flask\n"})
    plan = plan_of(tmp_path)
    assert plan["entrypoint"] is None
    assert plan["process_checks"]["worker"]["machine_exec"][:1] == ["./boot.sh"]


def test_only_buildpacks_the_cnb_builder_lacks_are_custom(tmp_path):
    # heroku/heroku-buildpack-pgbouncer is Heroku's own but not in the CNB builder; the
    # metrics buildpack only feeds Heroku's dashboard.
    write(tmp_path, {"Procfile": "web: ./bin/server\n", "go.mod": "module example.com/server\n\ngo 1.22\n",
                     "main.go": "package main\n\nfunc main() {}\n",
                     ".buildpacks": "heroku/metrics\nhttps://github.com/heroku/heroku-buildpack-pgbouncer\n"
                                    "https://github.com/heroku/heroku-buildpack-go\n"})
    plan = plan_of(tmp_path)
    step = next(s for s in plan["manual_steps"] if s["item"] == "Custom buildpacks")
    assert "heroku-buildpack-pgbouncer" in step["why"] and "metrics" not in step["why"]
    assert "heroku-buildpack-go" not in step["why"]


def test_an_entrypoint_program_herokufly_cannot_read_is_replaced_for_other_groups(tmp_path):
    # AlloyCI/alloy_ci: ENTRYPOINT is the release's own script, built in the image; Heroku ran
    # the Procfile lines (buildpacks) without it, and behind it they would be its arguments.
    write(tmp_path, {"Dockerfile": "FROM python:3.12\nENTRYPOINT [\"/usr/local/bin/appctl\"]\nCMD [\"serve\"]\n",
                     "requirements.txt": "flask\n",
                     "Procfile": "web: gunicorn app:app\nworker: rq worker default\n"})
    plan = plan_of(tmp_path)
    assert plan["entrypoint"]["replaces"] == ["/usr/local/bin/appctl"]
    assert plan["processes"]["app"] == "'/usr/local/bin/appctl serve'"  # the image's own command
    assert plan["process_checks"]["worker"]["machine_exec"] == ["/bin/bash", "-c", "rq worker default"]
    assert_every_process_runs_heroku(plan)
