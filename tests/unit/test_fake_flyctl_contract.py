"""The fake flyctl and herokufly's flyctl calls both match flyctl-commands.json."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.fakes.flyctl import contract
from tests.fakes.flyctl.harness import FAKE_FLYCTL, TOKEN, FakeFly


def test_embedded_surface_is_the_contract():
    assert contract.embedded_surface() == contract.full_surface()
    full, published = contract.full_surface(), contract.surface_from_contract()
    # Beyond the contract: only the commands the database copy on a Machine needs, each
    # with its v0.4.87 source in contract.DATABASE_COPY_COMMANDS.
    assert set(full) == set(published) | set(contract.DATABASE_COPY_COMMANDS)
    full = {name: spec for name, spec in full.items() if name in published}
    assert [name for name in full if full[name] != published[name]] == ["version"]  # needs no token


@pytest.mark.parametrize("argv, error", [
    (["apps", "create", "x", "--bogus"], "unknown flag: --bogus"),
    (["apps", "create", "x", "-Z"], "unknown shorthand flag: 'Z' in -Z"),
    (["deploy", "--vm-cpus", "two"], 'invalid argument "two" for "--vm-cpus"'),
    (["deploy", "--max-unavailable", "lots"], "strconv.ParseFloat"),
    (["tokens", "create", "deploy", "--expiry", "1 year"], "invalid duration"),
    (["certs", "add"], "accepts 1 arg(s), received 0"),
    (["certs", "list", "extra"], 'unknown command "extra" for "fly certs list"'),
    (["secrets", "set"], "requires at least 1 arg(s), only received 0"),
    (["frobnicate"], 'unknown command "frobnicate" for "fly"'),
    (["apps", "frob"], 'unknown command "frob" for "fly apps"'),
    (["apps", "create", "--name"], "flag needs an argument: --name"),
])
def test_fake_refuses_what_flyctl_refuses(tmp_path, argv, error):
    env = {"PATH": "/usr/bin:/bin", "FLY_API_TOKEN": TOKEN, "FAKE_FLYCTL_STATE": str(tmp_path / "s.json")}
    proc = subprocess.run([FAKE_FLYCTL, *argv], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: ") and error in proc.stderr
    assert contract.check_argv(argv) is not None


@pytest.mark.parametrize("argv", [
    ["apps", "ls", "-j"], ["pg", "create", "--name", "x", "-r", "iad"], ["certs", "show", "a.b", "-a", "x"],
    ["-t", "tok", "apps", "list"], ["launch", "--db"], ["launch", "--db=mpg"], ["deploy", "--ha=false"],
    ["scale", "count", "web=2", "worker=1", "--yes"], ["machine", "run", "img", "--autostop"],
])
def test_real_spellings_are_accepted(argv):
    assert contract.check_argv(argv) is None


def test_every_flyctl_call_herokufly_makes_is_in_the_contract(tmp_path, monkeypatch):
    """Exercise every FlyClient method against the fake and check each argv."""
    fake = FakeFly(tmp_path)
    fake.install(monkeypatch, FAKE_FLYCTL_PG_ADMIN_URL="postgres://unused@127.0.0.1:1/x")
    client = fake.client()
    app = "contract-app"
    client.check_version()
    client.create_app(app, "personal")
    client.apps("personal")
    client.app(app)
    client.status(app)
    client.import_secrets(app, {"A": "1", "B": "two\r\nlines"}, stage=True)
    client.secrets(app)
    client.unset_secrets(app, ["A"])
    client.mpg_clusters("personal")
    client.ips(app)
    client.allocate_ipv6(app)
    client.allocate_shared_ipv4(app)
    client.add_cert(app, "www.example.test")
    client.check_cert(app, "www.example.test")
    client.certs(app)
    client.check_org_token("personal")
    client.redis_create(f"{app}-redis", "personal", "iad", "Fixed 250MB")
    assert client.redis_status(f"{app}-redis").startswith("redis://")
    (tmp_path / "fly.toml").write_text(f'app = "{app}"\n[build]\n  image = "nginx"\n')
    client.deploy(app, str(tmp_path / "fly.toml"), str(tmp_path))
    # Postgres calls need a database server: their argv is recorded as FlyClient builds it.
    from herokufly.talk.fly import FlyClient, FlyResult

    recorded = []

    class Recorder(FlyClient):
        def run(self, args, **kw):
            recorded.append(list(args))
            return FlyResult(list(args), 0, "", "")

    rec = Recorder(flyctl=FAKE_FLYCTL, token=TOKEN)
    rec.mpg_create("n", "personal", "iad", plan="launch", volume_gb=25, pg_major=17)
    rec.mpg_status("id")
    rec.mpg_attach("id", app)
    rec.postgres_create("n", "personal", "iad", vm_size="shared-cpu-2x", volume_gb=20)
    rec.postgres_attach("n", app)
    argvs = list(client.calls) + recorded + [
        ["proxy", "15432:5432", "db.flympg.net", "--app", app, "--bind-addr", "127.0.0.1", "--quiet"],
    ]
    # Keep this list in step with FlyClient: every method that runs flyctl appears above.
    methods = {"check_version", "create_app", "apps", "app", "status", "import_secrets", "secrets",
               "unset_secrets", "mpg_clusters", "mpg_create", "mpg_status", "mpg_attach", "postgres_create",
               "postgres_attach", "redis_create", "redis_status", "check_org_token", "ips", "allocate_ipv6", "allocate_shared_ipv4", "certs",
               "add_cert", "check_cert", "deploy", "proxy"}
    public = {n for n in vars(FlyClient) if not n.startswith("_") and callable(getattr(FlyClient, n))}
    assert public - {"run", "json", "from_settings"} == methods
    problems = {" ".join(a): contract.check_argv(a) for a in argvs if contract.check_argv(a)}
    assert problems == {}
    assert all(e["exit"] == 0 for e in fake.log()), fake.log()


def test_fake_runs_on_the_standard_library_alone(tmp_path):
    """It is copied into a stand-in flyio/flyctl image without our packages: -I -S proves it."""
    env = {"PATH": "/usr/bin:/bin", "FLY_API_TOKEN": TOKEN, "FAKE_FLYCTL_STATE": str(tmp_path / "s.json")}
    for argv in (["version", "--json"], ["apps", "create", "std-only", "--json"], ["apps", "list", "--json"]):
        proc = subprocess.run(["python3", "-I", "-S", FAKE_FLYCTL, *argv], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
    source = open(FAKE_FLYCTL).read()
    assert "psycopg" not in source and "import requests" not in source


def test_fake_and_herokufly_read_the_import_grammar_alike():
    """Two copies of flyctl's parser (the fake must stay stdlib-only): same answers on random input."""
    import random

    from herokufly.talk.fly import encode_import_line, parse_import

    fake = contract.load_fake()
    rng = random.Random(4)
    alphabet = ['"', "'", "#", "=", " ", "\n", "\r", "$", "`", "\\", "a", "Z", "é", "✓", '"""']
    for _ in range(1500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        text = f"K={value}\nOTHER=1\n"
        try:
            expected = parse_import(text)
        except ValueError:
            expected = None
        try:
            got = fake.parse_secrets_import(text)
        except fake.Failure:
            got = None
        assert got == expected, repr(text)
        line = encode_import_line("K", value)
        if line is not None:
            assert fake.parse_secrets_import(line) == {"K": value}, repr(value)


def _minimal_argv(name: str, cluster: str = "c1") -> list[str]:
    """Enough arguments for the command to reach its token check."""
    extra = {"apps create": ["tok-x", "--org", "personal"], "apps list": [], "mpg create": [
        "--name", "m", "--org", "personal", "--region", "iad", "--plan", "basic"],
        "mpg list": ["--org", "personal"], "mpg status": [cluster], "mpg attach": [cluster, "--app", "mine"],
        "mpg destroy": [cluster, "--yes"], "mpg proxy": [cluster], "redis create": [
        "--name", "r", "--org", "personal", "--region", "iad", "--no-replicas", "--disable-eviction",
        "--enable-prodpack=false"], "postgres create": [
        "--name", "p", "--org", "personal", "--region", "iad", "--vm-size", "shared-cpu-1x",
        "--initial-cluster-size", "1", "--volume-size", "10"]}
    return name.split() + extra[name]


@pytest.mark.parametrize("name", sorted(contract.TOKEN_RULES))
def test_fake_enforces_who_may_run_what(tmp_path, name, request):
    """Each rule in TOKEN_RULES (read from flyctl's source) holds in the fake: a user token is
    refused by every macaroon command with flyctl's own words, a deploy token by every org action."""
    from tests.fakes.flyctl.harness import USER_TOKEN, deploy_token

    rule = contract.TOKEN_RULES[name]
    assert name in contract.full_surface() and rule["source"].startswith("internal/command/")
    base = {"PATH": "/usr/bin:/bin", "FAKE_FLYCTL_STATE": str(tmp_path / "s.json")}
    subprocess.run([FAKE_FLYCTL, "apps", "create", "mine", "--org", "personal"], env=dict(base, FLY_API_TOKEN=TOKEN),
                   check=True, capture_output=True)
    cluster = "c1"
    if name in ("mpg status", "mpg attach", "mpg destroy", "mpg proxy"):  # a real cluster to hide
        pg15 = request.getfixturevalue("pg15")
        base["FAKE_FLYCTL_PG_ADMIN_URL"] = pg15.url()
        subprocess.run([FAKE_FLYCTL, *_minimal_argv("mpg create")], env=dict(base, FLY_API_TOKEN=TOKEN),
                       check=True, capture_output=True)
        cluster = next(iter(json.loads((tmp_path / "s.json").read_text())["mpg"]))
        seen = subprocess.run([FAKE_FLYCTL, "mpg", "status", cluster, "--json"], capture_output=True, text=True,
                              env=dict(base, FLY_API_TOKEN=TOKEN))
        assert seen.returncode == 0, seen.stderr  # the org token sees it
    argv = _minimal_argv(name, cluster)
    user = subprocess.run([FAKE_FLYCTL, *argv], capture_output=True, text=True, env=dict(base, FLY_API_TOKEN=USER_TOKEN))
    if rule.get("macaroon"):
        assert user.returncode == 1 and "MPG commands require updated tokens" in user.stderr
    else:
        assert "MPG commands require" not in user.stderr
    deploy = subprocess.run([FAKE_FLYCTL, *argv], capture_output=True, text=True,
                            env=dict(base, FLY_API_TOKEN=deploy_token("mine")))
    assert deploy.returncode == 1
    # org actions are refused; a cluster looked up by id is "not found" (mpg.go ClusterFromArgOrSelect
    # swallows the lookup errors)
    assert "Not authorized" in deploy.stderr or "not found" in deploy.stderr, deploy.stderr


@pytest.mark.parametrize("extra, error", [
    (["--pg-major-version", "15"], "invalid Postgres major version: 15. Supported versions are 16 and 17"),
    (["--region", "jnb"], "region jnb is not available for Managed Postgres"),
    (["--region", ""], "prompt: non interactive"),
])
def test_fake_mpg_create_refuses_like_flyctl(tmp_path, extra, error):
    env = {"PATH": "/usr/bin:/bin", "FLY_API_TOKEN": TOKEN, "FAKE_FLYCTL_STATE": str(tmp_path / "s.json")}
    argv = ["mpg", "create", "--name", "m", "--org", "personal", "--region", "iad", *extra]
    proc = subprocess.run([FAKE_FLYCTL, *argv], capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and error in proc.stderr


def test_fake_mpg_create_keeps_flyctls_performance_lookup(tmp_path, pg15):
    """plans.go keys "Performance", create.go looks up lowercase: without a terminal it is basic."""
    env = {"PATH": "/usr/bin:/bin", "FLY_API_TOKEN": TOKEN, "FAKE_FLYCTL_STATE": str(tmp_path / "s.json"),
           "FAKE_FLYCTL_PG_ADMIN_URL": pg15.url()}
    for name, plan in (("perf", "performance"), ("lau", "Launch")):
        proc = subprocess.run([FAKE_FLYCTL, "mpg", "create", "--name", name, "--org", "personal", "--region", "iad",
                               "--plan", plan, "--volume-size", "20", "--pg-major-version", "17"],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        assert "Connection string: postgres://" in proc.stdout  # v2/run_create.go prints it
    clusters = {c["name"]: c for c in json.loads((tmp_path / "s.json").read_text())["mpg"].values()}
    assert clusters["perf"]["plan"] == "basic" and clusters["lau"]["plan"] == "launch"
    assert clusters["lau"]["disk"] == 20 and clusters["lau"]["pg_major"] == 17
