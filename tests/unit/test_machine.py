"""machine: flyctl's splitting, Dockerfile ENTRYPOINT/CMD, the CNB launcher, and the proof
that what the Machine execs is what Heroku ran (`bash -c <line>` with PORT set)."""

from __future__ import annotations

import os
import subprocess

import pytest

from herokufly import machine
from herokufly.machine import (FlyctlSplitError, fly_command_for, fly_command_running,
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
