"""The fly.toml checker (tests/flyrules.py): a good file passes, and each rule can fail."""

import pytest

from tests import flyrules
from tests.contracts import contract_path

GOOD = """
app = "acme"
primary_region = "iad"
kill_timeout = "30s"

[build]
builder = "heroku/builder:24"

[env]
PORT = "8080"

[processes]
app = "bash -c 'bundle exec puma -C config/puma.rb'"
worker = "bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}"

[deploy]
release_command = "bundle exec rake db:migrate"
strategy = "rolling"

[http_service]
internal_port = 8080
force_https = true
auto_stop_machines = "stop"
auto_start_machines = true
processes = ["app"]

[[http_service.checks]]
interval = "30s"
timeout = "5s"
grace_period = "10s"
method = "GET"
path = "/up"
headers = { X-Forwarded-Proto = "https" }

[checks.alive]
type = "tcp"
port = 8080
interval = "15s"
processes = ["app"]

[[vm]]
size = "shared-cpu-1x"
memory = "512mb"
processes = ["app"]

[[vm]]
size = "performance-1x"
memory_mb = 2048
processes = ["worker"]
"""


def test_a_good_file_has_no_problems():
    assert flyrules.problems(GOOD) == []


def test_every_key_of_flyctls_own_full_reference_fixture_is_known():
    # flyctl's internal/appconfig/testdata/full-reference.toml, kept in the published contracts
    text = contract_path("fly-toml-full-reference.toml").read_text()
    found = flyrules.problems(text)
    assert not [p for p in found if p.startswith(("strict:", "type:", "toml:"))], found


BROKEN = [
    ("unknown top key", ('kill_timeout = "30s"', 'kill_timeout = "30s"\nauto_rollback = true'),
     "strict: unrecognized key auto_rollback"),
    ("unknown build key", ('builder = "heroku/builder:24"', 'builder = "x"\nbuildpack = "y"'),
     "strict: unrecognized key build.buildpack"),
    ("two build strategies",
     ('builder = "heroku/builder:24"', 'builder = "x"\ndockerfile = "Dockerfile"'),
     "more than one build configuration"),
    ("unclosed quote in a process", ("worker = \"bundle exec sidekiq", "worker = \"sh -c 'oops"),
     "processes.worker: cannot shell-split"),
    ("process as a number",
     ('worker = "bundle exec sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}"', "worker = 5"),
     "type: processes.worker"),
    ("bad group name", ("worker = ", "\"my worker\" = "), "not usable with `fly scale count`"),
    ("unclosed release command", ('release_command = "bundle exec rake db:migrate"',
                                  'release_command = "sh -c \\"migrate"'),
     "deploy.release_command: cannot shell-split"),
    ("bad strategy", ('strategy = "rolling"', 'strategy = "blue-green"'), "unsupported deployment"),
    ("service names a missing group", ('processes = ["app"]\n\n[[http_service.checks]]',
                                       'processes = ["web"]\n\n[[http_service.checks]]'),
     "http_service: processes names 'web'"),
    ("service without processes", ('processes = ["app"]\n\n[[http_service.checks]]',
                                    '\n[[http_service.checks]]'),
     "no processes set but the app defines [processes]"),
    ("port missing", ("internal_port = 8080", "force_http = true"), "internal_port must be a port"),
    ("port as string", ("internal_port = 8080", 'internal_port = "8080"'),
     "internal_port must be a port"),
    ("bad autostop", ('auto_stop_machines = "stop"', 'auto_stop_machines = "yes"'),
     "auto_stop_machines 'yes'"),
    ("service check too fast", ('interval = "30s"', 'interval = "500ms"'), "under 1 second"),
    ("service check too slow", ('timeout = "5s"', 'timeout = "2m"'), "over 1 minute"),
    ("duration without unit", ('grace_period = "10s"', 'grace_period = "10"'), "not a Go duration"),
    ("unknown check key", ('path = "/up"', 'path = "/up"\nexpect = 200'),
     "strict: unrecognized key http_service.checks[0].expect"),
    ("header as number", ('headers = { X-Forwarded-Proto = "https" }', "headers = { X-Count = 1 }"),
     "headers.X-Count must be a string"),
    ("top check without type", ('type = "tcp"', 'protocol = "tcp"'), "must be 'http' or 'tcp'"),
    ("top check interval", ('interval = "15s"\nprocesses', 'interval = "1s"\nprocesses'),
     "interval is too short"),
    ("top check names a missing group", ('interval = "15s"\nprocesses = ["app"]',
                                         'interval = "15s"\nprocesses = ["web"]'),
     "checks.alive: processes names 'web'"),
    ("bad vm size", ('size = "shared-cpu-1x"', 'size = "standard-1x"'), "invalid machine size"),
    ("too much memory for one shared cpu", ('memory = "512mb"', 'memory = "4gb"'),
     "4096 MB is not a multiple of 256"),
    ("memory not a multiple of 256", ("memory_mb = 2048", "memory_mb = 3000"), "3000 MB"),
    ("bad memory", ('memory = "512mb"', 'memory = "lots"'), "invalid size"),
    ("vm names a missing group", ('processes = ["worker"]', 'processes = ["jobs"]'),
     "vm[1]: processes names 'jobs'"),
    ("two vms for one group", ('processes = ["worker"]', 'processes = ["app"]'),
     "2 [[vm]] sections apply to group 'app'"),
    ("concurrency as a number", ('auto_start_machines = true\nprocesses',
                                 'auto_start_machines = true\nconcurrency = 20\nprocesses'),
     "type: [http_service.concurrency]"),
    ("bad toml", ('app = "acme"', "app = acme"), "toml: does not parse"),
]


@pytest.mark.parametrize("case,edit,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_rule_catches_its_mistake(case, edit, expected):
    old, new = edit
    assert old in GOOD, f"the edit for {case!r} no longer applies"
    text = GOOD.replace(old, new, 1)
    found = flyrules.problems(text)
    assert any(expected in p for p in found), found


def test_a_check_without_a_port_needs_an_http_service():
    text = 'app = "a"\n[checks.alive]\ntype = "tcp"\ninterval = "15s"\n'
    assert any("no http_service" in p for p in flyrules.problems(text))


def test_env_that_is_not_a_table_fails_flyctls_patch():
    found = flyrules.problems('app = "a"\nenv = 5\n')
    assert any("Do not know how to process 'env'" in p for p in found), found


def test_legacy_spellings_flyctl_patches_are_accepted():
    # internal/appconfig/patches.go rewrites these before validating (flyctl's own testdata)
    text = """
app = "legacy"
kill_timeout = 30
env = [{ A = "1" }, { B = 2 }]
processes = [{ name = "web", command = "run web" }, { name = "worker", command = "run worker" }]

[[services]]
internal_port = "8080"
processes = ["web"]
concurrency = "20,25"
[[services.ports]]
port = "443"
handlers = ["tls", "http"]
[[services.http_checks]]
interval = 10000
timeout = 2000
headers = [{ name = "X-Forwarded-Proto", value = "https" }]

[mount]
source = "data"
destination = "/data"

[[compute]]
size = "shared-cpu-2x"
memory = 1024

[[vm]]
processes = ["worker"]
memory = "512mb"
"""
    assert flyrules.problems(text) == []


def test_a_global_vm_and_one_for_a_group_are_allowed_but_two_globals_are_not():
    base = 'app = "a"\n[processes]\napp = "x"\nworker = "y"\n'
    one_each = (base + '[[vm]]\nsize = "shared-cpu-2x"\n'
                '[[vm]]\nsize = "shared-cpu-1x"\nprocesses = ["worker"]\n')
    assert flyrules.problems(one_each) == []
    two_globals = base + '[[vm]]\nsize = "shared-cpu-2x"\n[[vm]]\nsize = "shared-cpu-1x"\n'
    assert any("2 [[vm]] sections" in p for p in flyrules.problems(two_globals))


def test_restart_policy_and_mount_size():
    text = ('app = "a"\n[[restart]]\npolicy = "sometimes"\n'
            '[[mounts]]\nsource = "data"\ndestination = "/data"\ninitial_size = "500mb"\n')
    found = flyrules.problems(text)
    assert any("invalid restart policy" in p for p in found), found
    assert any("smaller than 1GB" in p for p in found), found
