"""machine: flyctl's splitting, Dockerfile ENTRYPOINT/CMD, the CNB launcher, and the proof
that what the Machine execs is what Heroku ran (`bash -c <line>` with PORT set)."""

from __future__ import annotations

import os
import subprocess

import pytest

from herokufly.base import machine
from herokufly.base.machine import (FlyctlSplitError, fly_command_for, fly_command_running,
                               image_from_buildpacks, image_from_dockerfile, machine_exec,
                               needs_shell, process_argv, runs_heroku_line)

# Procfile lines seen in real apps: expansions, env prefixes, cd/&&, quotes, comments.
HEROKU_LINES = [
    "bundle exec puma -C config/puma.rb",
    "bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5} -q default",
    "RUBYOPT=--jit bundle exec rake db:migrate",
    "cd web && npm start",
    "gunicorn app.wsgi --bind 0.0.0.0:$PORT --log-file -",
    "celery -A proj worker -l info --concurrency=${CONCURRENCY:-2}",
    "python manage.py migrate --noinput && python manage.py collectstatic --noinput",
    "bin/start-nginx bundle exec unicorn -c config/unicorn.rb # comment",
    """sh -c 'echo "it'"'"'s" && exec node server.js'""",
    "java -Dserver.port=$PORT $JAVA_OPTS -jar target/app.jar",
    "vendor/bin/heroku-php-apache2 public/",
]


# -- flyctl's split (google/shlex) ------------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    ("bundle exec puma", ["bundle", "exec", "puma"]),
    ("  a\tb\nc  ", ["a", "b", "c"]),
    ("'a b' \"c d\" e\\ f", ["a b", "c d", "e f"]),
    ("a'b c'd", ["ab cd"]),  # quotes join within a word
    ('"a \\" \\\\ \\$x"', ['a " \\ $x']),  # in double quotes \ escapes any rune
    ("'a \\ b'", ["a \\ b"]),  # nothing escapes in single quotes
    ("a # comment\nb", ["a", "b"]),  # `#` starting a word runs to end of line
    ("a#b", ["a#b"]),  # inside a word it is literal
    ('""', [""]),
    ("", []),
    ("${PORT:-5000} $X", ["${PORT:-5000}", "$X"]),  # no expansion: flyctl is not a shell
])
def test_process_argv_follows_google_shlex(text, words):
    assert process_argv(text) == words


@pytest.mark.parametrize("text", ["'open", '"open', "trailing\\", '"esc\\'])
def test_process_argv_refuses_what_flyctl_refuses(text):
    with pytest.raises(FlyctlSplitError):
        process_argv(text)


@pytest.mark.parametrize("argv", [
    ["bash", "-c", "a && b"], ["x"], [""], ["it's", 'say "hi"', "back\\slash"], ["#not-comment"],
    [line for line in HEROKU_LINES],
])
def test_fly_command_for_round_trips(argv):
    assert process_argv(fly_command_for(argv)) == argv


# -- images -----------------------------------------------------------------------------------


def test_dockerfile_exec_and_shell_forms_last_wins():
    image = image_from_dockerfile(
        "# syntax=docker/dockerfile:1\nFROM ruby:3.3 AS build\nCMD [\"irb\"]\n"
        "FROM debian:bookworm-slim\nEXPOSE 3000/tcp 9000/udp\n"
        "ENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nCMD bundle exec \\\n    puma -p $PORT\n"
    )
    assert image.entrypoint == ("/usr/bin/tini", "--")
    assert image.cmd == ("/bin/sh", "-c", "bundle exec      puma -p $PORT")
    assert image.expose == (3000,)
    assert image.base_image == "debian:bookworm-slim" and image.has_bash and image.declared


def test_dockerfile_stage_inheritance_and_entrypoint_reset():
    text = ("FROM node:20-alpine AS base\nCMD [\"node\", \"server.js\"]\n"
            "FROM base AS final\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n")
    image = image_from_dockerfile(text)
    assert image.entrypoint == ("/docker-entrypoint.sh",)
    assert image.cmd == ()  # Docker resets an inherited CMD when ENTRYPOINT is set
    assert image.base_image == "node:20-alpine" and not image.has_bash
    inherited = image_from_dockerfile("FROM node:20 AS base\nCMD [\"node\", \"a.js\"]\nFROM base\n")
    assert inherited.cmd == ("node", "a.js")


def test_dockerfile_shell_form_entrypoint_and_shell_instruction():
    image = image_from_dockerfile('FROM x\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
                                  "ENTRYPOINT exec ./run\n")
    assert image.entrypoint == ("/bin/bash", "-o", "pipefail", "-c", "exec ./run")
    assert image.entrypoint_shell_form
    assert fly_command_running(image, "worker --x") is None  # such an ENTRYPOINT ignores cmd
    assert not image_from_dockerfile("FROM some/base\n").declared


def test_buildpacks_image_follows_the_procfile_buildpack():
    image = image_from_buildpacks({"web": "a", "worker": "b"})
    assert image.entrypoint == ("/cnb/process/web",) and image.processes["worker"] == ("bash", "-c", "b")
    only = image_from_buildpacks({"worker": "b"})
    assert only.entrypoint == ("/cnb/process/worker",)
    none = image_from_buildpacks({"worker": "b", "clock": "c"})
    assert none.entrypoint == (machine.CNB_LAUNCHER,) and none.default_process is None


# -- what PID 1 runs --------------------------------------------------------------------------


def test_verbatim_procfile_line_on_a_cnb_image_runs_bash_c_bundle():
    """The bug of issue 8: the launcher replaces `bash -c`'s argument with the cmd words."""
    image = image_from_buildpacks({"web": "bundle exec puma -C config/puma.rb"})
    argv = machine_exec(image, "bundle exec puma -C config/puma.rb")
    assert argv == ["bash", "-c", "bundle", "exec", "puma", "-C", "config/puma.rb"]
    assert not runs_heroku_line(argv, "bundle exec puma -C config/puma.rb")


@pytest.mark.parametrize("procfile", [
    {"web": "w", "worker": "x"},  # ENTRYPOINT /cnb/process/web
    {"worker": "x", "clock": "y"},  # ENTRYPOINT /cnb/lifecycle/launcher
])
@pytest.mark.parametrize("line", HEROKU_LINES)
def test_every_line_runs_as_on_heroku_on_a_cnb_image(procfile, line):
    image = image_from_buildpacks(procfile)
    command = fly_command_running(image, line)
    argv = machine_exec(image, command)
    assert argv == ["bash", "-c", line]
    assert runs_heroku_line(argv, line, {"PORT": "8080"})


@pytest.mark.parametrize("dockerfile", [
    "FROM ruby:3.3\nCMD [\"bin/rails\", \"s\"]\n",
    "FROM python:3.12-alpine\nCMD gunicorn app:app\n",
    "FROM debian\nENTRYPOINT [\"tini\", \"--\"]\n",
])
@pytest.mark.parametrize("line", HEROKU_LINES)
def test_every_line_runs_as_on_heroku_on_a_dockerfile_image(dockerfile, line):
    image = image_from_dockerfile(dockerfile)
    argv = machine_exec(image, fly_command_running(image, line))
    assert runs_heroku_line(argv, line, {"PORT": "8080"}), argv


def test_no_cmd_keeps_the_image_cmd_and_experimental_entrypoint_replaces():
    image = image_from_dockerfile('FROM x\nENTRYPOINT ["/e"]\nCMD ["c"]\n')
    assert machine_exec(image, None) == ["/e", "c"]
    assert machine_exec(image, "") == ["/e", "c"]  # flyctl: "" means no init.cmd
    assert machine_exec(image, "a b") == ["/e", "a", "b"]
    assert machine_exec(image, "a", entrypoint=["/bin/sh", "-c"]) == ["/bin/sh", "-c", "a"]
    assert machine_exec(image, "a", exec_argv=["/x"]) == ["/x"]


def test_launcher_without_default_process_needs_a_command_and_honours_double_dash():
    image = image_from_buildpacks({"worker": "x", "clock": "y"})
    assert machine_exec(image, None) == []
    assert machine_exec(image, "-- node a.js") == ["node", "a.js"]
    assert machine_exec(image, "/cnb/process/clock") == ["bash", "-c", "/cnb/process/clock"]


def test_runs_heroku_line_rules():
    line = "bundle exec puma -p $PORT"
    assert runs_heroku_line(["/bin/bash", "-c", line], line)
    assert runs_heroku_line(["/usr/bin/tini", "--", "bash", "-c", line], line)
    assert not runs_heroku_line(["bundle", "exec", "puma", "-p", "$PORT"], line)  # no expansion
    assert not runs_heroku_line(["bash", "-c", line], line, {})  # Fly sets no PORT by itself
    assert runs_heroku_line(["bash", "-c", line], line, {"PORT": "8080"})
    assert runs_heroku_line(["bin/worker", "--fast"], "bin/worker --fast")  # no shell needed
    assert not runs_heroku_line(["sh", "-c", "[[ -f x ]] && y"], "[[ -f x ]] && y")  # bashism
    assert not runs_heroku_line(["/docker-entrypoint.sh", "bash", "-c", line], line)
    assert not runs_heroku_line([], line)
    assert needs_shell("A=1 b") and needs_shell("cd x") and not needs_shell("rake jobs:work")


@pytest.mark.parametrize("line", [
    "echo port=$PORT conc=${CONCURRENCY:-5} && X=1 printenv X",
    "cd / && pwd; echo \"q'uote\" # trailing comment",
])
def test_real_bash_gives_the_same_output_as_heroku(line):
    """Run what the Machine would exec, and what Heroku ran, in a real shell."""
    env = {"PATH": os.environ["PATH"], "PORT": "8080"}
    heroku = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env)
    for image in (image_from_buildpacks({"web": line}),
                  image_from_dockerfile('FROM debian\nCMD ["x"]\n')):
        argv = machine_exec(image, fly_command_running(image, line))
        fly = subprocess.run(argv, capture_output=True, text=True, env=env)
        assert fly.stdout == heroku.stdout and fly.returncode == heroku.returncode
    verbatim = machine_exec(image_from_buildpacks({"web": line}), line)
    assert subprocess.run(verbatim, capture_output=True, text=True, env=env).stdout != heroku.stdout


ENTRYPOINT_SCRIPTS = {
    "bin/docker-entrypoint": '#!/bin/bash -e\nif [ "${1}" == "./bin/rails" ]; then ./bin/rails db:prepare; fi\nexec "${@}"\n',
    "boot.sh": "#!/bin/sh\n# serve\nflask db upgrade\nexec gunicorn app:app\n",
    "scripts/wait.sh": '#!/bin/sh\nuntil pg_isready; do sleep 1; done\n$@ # not exec\n',
}


def _reader(rel):
    return ENTRYPOINT_SCRIPTS.get(rel)


@pytest.mark.parametrize("dockerfile, source, verdict", [
    # Rails 7.1+'s generated Dockerfile: COPY . . under WORKDIR, script execs "${@}".
    ("FROM ruby AS base\nWORKDIR /rails\nFROM base AS build\nCOPY . .\nFROM base\n"
     "COPY --from=build /rails /rails\nENTRYPOINT [\"/rails/bin/docker-entrypoint\"]\n"
     "CMD [\"./bin/rails\", \"server\"]\n", "bin/docker-entrypoint", "passes"),
    ("FROM python\nWORKDIR /home/app\nCOPY boot.sh ./\nENTRYPOINT [\"./boot.sh\"]\n", "boot.sh", "ignores"),
    ("FROM alpine\nCOPY scripts/wait.sh /usr/bin/wfp\nENTRYPOINT [\"/usr/bin/wfp\"]\n", "scripts/wait.sh", None),
    ("FROM alpine\nENTRYPOINT [\"/missing.sh\"]\n", None, None),
])
def test_entrypoint_script_from_the_repo_is_read(dockerfile, source, verdict):
    image = image_from_dockerfile(dockerfile, _reader)
    assert (image.entrypoint_source, image.entrypoint_args) == (source, verdict)


def test_pass_through_entrypoint_script_is_looked_through_only_when_known():
    text = ("FROM ruby\nWORKDIR /rails\nCOPY . .\nENTRYPOINT [\"/rails/bin/docker-entrypoint\"]\n"
            "CMD [\"./bin/rails\", \"server\"]\n")
    line = "bin/rake sidekiq -c ${C:-5}"
    known = image_from_dockerfile(text, _reader)
    argv = machine_exec(known, fly_command_running(known, line))
    assert argv == ["/rails/bin/docker-entrypoint", "/bin/bash", "-c", line]
    assert runs_heroku_line(argv, line, image=known)
    unknown = image_from_dockerfile(text)
    assert not runs_heroku_line(argv, line, image=unknown)
    ignoring = image_from_dockerfile("FROM x\nCOPY boot.sh ./\nENTRYPOINT [\"./boot.sh\"]\n", _reader)
    assert not runs_heroku_line(["./boot.sh", "rq", "worker"], "rq worker", image=ignoring)


# -- ENTRYPOINT scripts that cannot run Fly's commands, and images lacking a tool ------------

_WAIT_SCRIPTS = [
    ('until nc -z "${POSTGRES_HOST:-postgres}" 5432; do sleep 1; done\nexec "$@"',
     [("postgres", "POSTGRES_HOST")]),
    ("while ! pg_isready -q -h db -p 5432; do sleep 1; done\nexec \"$@\"", [("db", None)]),
    ("./wait-for-it.sh redis:6379 -t 30\nexec \"$@\"", [("redis", None)]),
    ("dockerize -wait tcp://database:5432 -timeout 60s\nexec \"$@\"", [("database", None)]),
    ('until psql "$DATABASE_URL" -c "select 1"; do sleep 1; done\nexec "$@"', []),
    ("until nc -z localhost 5432; do sleep 1; done\nexec \"$@\"", []),
    ("until nc -z db.example.com 5432; do sleep 1; done\nexec \"$@\"", []),
    ("until nc -z $DB_HOST 5432; do sleep 1; done\nexec \"$@\"", []),
    ("# nc -z postgres 5432 (a comment)\nexec \"$@\"", []),
    # shapes seen in public entrypoint scripts
    ('./docker/wait-for-it.sh ${DB_HOST:-db}:${DB_PORT:-3306} --timeout=60 -- echo up\nexec "$@"',
     [("db", "DB_HOST")]),
    ('DB_HOST="${DB_HOST:-db}"\nuntil nc -z "$DB_HOST" "$DB_PORT"; do sleep 1; done\nexec "$@"',
     [("db", "DB_HOST")]),
    (': "${REDIS_HOST:=redis}"\nuntil redis-cli -h "$REDIS_HOST" ping; do sleep 1; done\nexec "$@"',
     [("redis", "REDIS_HOST")]),
    ('if [ "${WAIT_FOR_DB:-0}" = "1" ]; then\n  until nc -z db 5432; do sleep 1; done\nfi\nexec "$@"',
     []),
    ('/app/wait-for-it.sh db:5432 -t 15 -- echo ready\nexec "$@"', [("db", None)]),
]


@pytest.mark.parametrize("script,hosts", _WAIT_SCRIPTS)
def test_entrypoint_script_hosts_are_the_names_it_writes(script, hosts):
    dockerfile = 'FROM ruby:3.3\nCOPY entry.sh /entry.sh\nENTRYPOINT ["/entry.sh"]\nCMD ["rails", "s"]\n'
    image = machine.image_from_dockerfile(dockerfile, {"entry.sh": "#!/bin/sh\n" + script}.get)
    assert list(image.entrypoint_waits_for) == hosts


def test_a_host_counts_as_reachable_only_when_its_variable_is_set():
    image = machine.Image(kind="dockerfile", entrypoint=("/entry.sh",), entrypoint_args="passes",
                          entrypoint_waits_for=(("postgres", "POSTGRES_HOST"), ("db", None)))
    assert machine.unreachable_hosts(image, set()) == ["postgres", "db"]
    assert machine.unreachable_hosts(image, {"POSTGRES_HOST"}) == ["db"]


def test_a_pass_through_script_that_waits_for_a_compose_host_is_not_looked_through():
    image = machine.Image(kind="dockerfile", entrypoint=("/entry.sh",), entrypoint_args="passes",
                          entrypoint_waits_for=(("postgres", "POSTGRES_HOST"),))
    argv = ["/entry.sh", "bundle", "exec", "sidekiq"]
    assert not runs_heroku_line(argv, "bundle exec sidekiq", {}, image)
    assert runs_heroku_line(argv, "bundle exec sidekiq", {"POSTGRES_HOST": "x"}, image)
    ignoring = machine.Image(kind="dockerfile", entrypoint=("/boot.sh",), entrypoint_args="ignores")
    assert not runs_heroku_line(["/boot.sh", "rq", "worker"], "rq worker", {}, ignoring)


_RELEASE_IMAGE = """FROM elixir:1.11.3-alpine AS builder
RUN apk add --no-cache git nodejs npm build-base
RUN mix release papercups
FROM alpine:3.13 AS app
RUN apk add --no-cache openssl ncurses-libs
COPY --from=builder /app/_build/prod/rel/papercups /app
CMD ["/app/bin/papercups", "start"]
"""


@pytest.mark.parametrize("dockerfile,line,missing", [
    (_RELEASE_IMAGE, "POOL_SIZE=2 mix ecto.migrate", "mix"),
    (_RELEASE_IMAGE, "/app/bin/papercups eval Mod.migrate", None),
    # Elixir installed, but the final stage holds only the release: no Mix project to run in
    (_RELEASE_IMAGE.replace("openssl ncurses-libs", "openssl elixir"), "mix ecto.migrate", "mix"),
    (_RELEASE_IMAGE.replace("FROM alpine:3.13 AS app", "FROM elixir:1.11.3-alpine AS app"),
     "mix ecto.migrate", "mix"),
    (_RELEASE_IMAGE.replace("openssl ncurses-libs", "openssl elixir").replace(
        "CMD [", "COPY . /src\nCMD ["), "mix ecto.migrate", None),
    ("FROM node:20 AS b\nFROM debian:bookworm-slim\nCOPY --from=b /usr/local/bin/node /usr/local/bin/node\n",
     "node server.js", None),
    ("FROM python:3.12 AS b\nFROM gcr.io/distroless/base-debian12\nCOPY --from=b /app /app\n",
     "python manage.py migrate", "python"),
    ("FROM ruby:3.3\n", "bundle exec rake db:migrate", None),
])
def test_missing_program_is_claimed_only_when_provable(dockerfile, line, missing):
    image = machine.image_from_dockerfile(dockerfile)
    assert machine.missing_program(image, line) == missing
    if missing:
        assert not runs_heroku_line(machine.shell_argv(line), line, None, image)


def test_bypassed_entrypoint_names_what_each_group_without_a_command_ran():
    script = machine.Image(kind="dockerfile", entrypoint=("./boot.sh",), cmd=("--fast",),
                           entrypoint_args="ignores")
    shell = machine.image_from_dockerfile("FROM debian\nENTRYPOINT node server.js\nCMD x\n")
    waits = machine.Image(kind="dockerfile", entrypoint=("/w.sh",), cmd=("rails", "s", "-b", "a b"),
                          base_image="ruby:3.3-alpine", has_bash=False)
    assert machine.bypass_entrypoint(script, keep_script=True).own_line == "./boot.sh --fast"
    assert machine.bypass_entrypoint(shell, keep_script=True).own_line == "node server.js"
    bypassed = machine.bypass_entrypoint(waits, keep_script=False)
    assert bypassed.own_line == "rails s -b 'a b'" and not bypassed.bypass_keeps_script
    assert bypassed.entrypoint == ("/bin/sh", "-c") and bypassed.bypassed == ("/w.sh",)
    # flyctl hands the entrypoint to every group; each command is one word: `sh -c <line>`
    command = machine.fly_command_running(bypassed, "rq worker ${QUEUE:-default}")
    argv = machine.machine_exec(bypassed, command)
    assert argv == ["/bin/sh", "-c", "rq worker ${QUEUE:-default}"]
    assert runs_heroku_line(argv, "rq worker ${QUEUE:-default}", {}, bypassed)
    assert machine.bypass_entrypoint(script, keep_script=True).entrypoint == ("/bin/bash", "-c")


def test_the_bypassed_image_runs_each_line_as_heroku_did_under_a_real_shell(tmp_path):
    bypassed = machine.bypass_entrypoint(
        machine.Image(kind="dockerfile", entrypoint=("./boot.sh",), entrypoint_args="ignores"),
        keep_script=True)
    line = 'X=1 printf "%s|" "$X" "a b" && printf "%s" "${PORT:-5000}"'
    argv = machine.machine_exec(bypassed, machine.fly_command_running(bypassed, line))
    real = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=tmp_path,
                          env={"PATH": os.environ["PATH"]})
    heroku = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True,
                            cwd=tmp_path, env={"PATH": os.environ["PATH"]})
    assert real.stdout == heroku.stdout == "|a b|5000"  # $X expands before X=1 applies


def test_from_lines_expand_build_args_declared_before_them():
    # The shape `mix phx.gen.release --docker` writes (phoenix priv/templates/phx.gen.release).
    dockerfile = ('ARG DEBIAN_VERSION=bookworm-20240701-slim\n'
                  'ARG RUNNER_IMAGE="docker.io/debian:${DEBIAN_VERSION}"\n'
                  'FROM hexpm/elixir:1.17.2-erlang-27.0-debian-${DEBIAN_VERSION} AS builder\n'
                  'FROM ${RUNNER_IMAGE} AS final\nCMD ["/app/bin/server"]\n')
    image = machine.image_from_dockerfile(dockerfile)
    assert image.base_image == "docker.io/debian:bookworm-20240701-slim"
    assert machine.missing_program(image, "mix ecto.migrate") == "mix"


def test_entrypoint_script_copied_by_a_glob_is_read():
    # Ruby-Starter-Kits/Docker-Rails-Template@87d187e2: `COPY bin/docker/entrypoints/* /usr/bin/`
    dockerfile = ("FROM ruby:3.0-alpine\nCOPY bin/docker/entrypoints/* /usr/bin/\n"
                  'ENTRYPOINT ["/usr/bin/wait-for-postgres.sh"]\nCMD ["./bin/rails", "s"]\n')
    files = {"bin/docker/entrypoints/wait-for-postgres.sh":
             "#!/bin/bash\ndockerize -wait tcp://postgres:5432 -timeout 60s\nexec \"$@\"\n"}
    image = machine.image_from_dockerfile(dockerfile, files.get)
    assert image.entrypoint_source == "bin/docker/entrypoints/wait-for-postgres.sh"
    assert image.entrypoint_args == "passes"
    assert image.entrypoint_waits_for == (("postgres", None),)


@pytest.mark.parametrize("entrypoint,runs,missing", [
    ("./docker-entrypoint.sh", "", True),   # rubyforgood/casa@5ad2d6ae: not in the repo
    ("./docker-entrypoint.sh", "RUN curl -o docker-entrypoint.sh https://x", False),
    ("docker-entrypoint.sh", "", False),    # on PATH: the base image (node, postgres) has it
    ("/usr/local/bin/start", "", False),    # absolute: may come from the base image
])
def test_an_entrypoint_the_build_context_lacks_is_missing(entrypoint, runs, missing):
    dockerfile = f'FROM ruby:3.3-alpine\nWORKDIR /app\nCOPY . .\n{runs}\nENTRYPOINT ["{entrypoint}"]\n'
    image = machine.image_from_dockerfile(dockerfile, {}.get)
    assert image.entrypoint_missing is missing


@pytest.mark.parametrize("dockerfile,problem", [
    # TrimAgency/rails-api-starter@be476ffc: a literal "&&" in an exec-form CMD
    ('FROM ruby:2.5\nCMD ["rm", "-f", "tmp/pids/server.pid", "&&", "bundle", "exec", "rails", "s"]\n',
     "'&&'"),
    # zunda/mastodon: tini and no CMD
    ('FROM ruby:3.3\nENTRYPOINT ["/usr/bin/tini", "--"]\n', "no command"),
    ('FROM ruby:3.3\nCMD ["bundle", "exec", "puma"]\n', None),
    ('FROM ruby:3.3\nCMD ["/bin/sh", "-c", "rm -f x && bundle exec puma"]\n', None),
    ("FROM ruby:3.3\nCMD rm -f x && bundle exec puma\n", None),
])
def test_own_command_problem(dockerfile, problem):
    found = machine.own_command_problem(machine.image_from_dockerfile(dockerfile))
    assert (found is None) if problem is None else (problem in found)


def test_an_init_wrapper_entrypoint_is_looked_through_with_the_image_given():
    # zunda/mastodon: ENTRYPOINT ["/usr/bin/tini", "--"] and Procfile lines as the cmd
    image = machine.image_from_dockerfile('FROM ruby:3.3\nENTRYPOINT ["/usr/bin/tini", "--"]\n')
    argv = machine.machine_exec(image, "bundle exec sidekiq")
    assert runs_heroku_line(argv, "bundle exec sidekiq", {}, image)


def test_mix_is_missing_from_a_release_only_final_stage():
    # AlloyCI/alloy_ci@89a6c4e8: `FROM elixir:1.10-slim` has Mix, but only the release is copied
    dockerfile = ("FROM elixir:1.10 AS build\nWORKDIR /opt/app\nCOPY . .\nRUN mix release\n"
                  "FROM elixir:1.10-slim\nWORKDIR /app\n"
                  "COPY --from=build /opt/app/_build/prod/rel/alloy_ci ./\nENTRYPOINT [\"bin/alloy_ci\"]\n")
    image = machine.image_from_dockerfile(dockerfile)
    assert machine.missing_program(image, "mix ecto.migrate") == "mix"
    with_source = dockerfile.replace("WORKDIR /app\n", "WORKDIR /app\nCOPY mix.exs ./\n")
    assert machine.missing_program(machine.image_from_dockerfile(with_source), "mix ecto.migrate") is None


def test_a_cmd_script_that_waits_for_a_compose_host_is_a_problem_of_the_image_s_own_command():
    # helpyio/helpy@26aff0e4: CMD ["/bin/bash", "/support/docker/run.sh"], no ENTRYPOINT
    dockerfile = 'FROM ruby:2.5\nWORKDIR /support\nCOPY . .\nCMD ["/bin/bash", "/support/docker/run.sh"]\n'
    script = "#!/bin/bash\nuntil pg_isready -h postgres; do sleep 1; done\nexec bundle exec unicorn\n"
    image = machine.image_from_dockerfile(dockerfile, {"docker/run.sh": script}.get)
    assert image.cmd_source == "docker/run.sh" and image.cmd_waits_for == (("postgres", None),)
    assert "waits for postgres" in machine.own_command_problem(image)
    quiet = machine.image_from_dockerfile(dockerfile, {"docker/run.sh": "exec bundle exec unicorn\n"}.get)
    assert machine.own_command_problem(quiet) is None
