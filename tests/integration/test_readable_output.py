"""Issue 12: a migration shows public config values readably and masks every secret.

The example Phoenix app is migrated against the fake Heroku API and the fake flyctl (the
fixtures of test_migrate.py, without its database: --postgres none). Its config holds public
values (MIX_ENV=prod, PHX_HOST=<custom domain>, POOL_SIZE=10, LANG=en_US.UTF-8, FEATURE_X=true)
and canary secrets in look-alike forms (a short ADMIN_PIN, a long random token under a neutral
name, a URL with a password).
"""

from __future__ import annotations

import json
import os
import re
import secrets as random
import shutil
import uuid
from pathlib import Path

import pytest

from tests.fakes.flyctl.harness import FAKE_FLYCTL, TOKEN, FakeFly
from tests.fakes.heroku_api import FakeHeroku
from tests.integration.test_migrate import HEROKU_APP, HEROKU_KEY, World, _smoke_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
FLY_APP = "acme-phoenix"
PUBLIC = {"MIX_ENV": "prod", "PHX_HOST": "www.acme.test", "POOL_SIZE": "10", "LANG": "en_US.UTF-8",
          "FEATURE_X": "true"}
# MIX_ENV is a build setting (the Dockerfile's ARG), so its value is never read or sent as a secret.
RUNTIME_PUBLIC = {name: value for name, value in PUBLIC.items() if name != "MIX_ENV"}


def canaries() -> dict[str, str]:
    pin = "".join(random.choice("123456789") for _ in range(4))
    return {
        "ADMIN_PIN": pin,
        # Long, random, named without a telling word; "%25" and "%0A" must reach the runner literally.
        "MAILER_ROUTE": "k" + random.token_urlsafe(30) + "%25%0A",
        "BACKUP_TARGET": f"postgres://backup:pw-{uuid.uuid4().hex[:12]}@db.acme.test:5432/archive",
    }


@pytest.fixture
def world(tmp_path):
    config = dict(PUBLIC, **canaries())
    heroku = FakeHeroku(token=HEROKU_KEY)
    heroku.start()
    heroku.load_seed(ROOT / "tests/fakes/heroku_seed_phoenix.json", config_vars={HEROKU_APP: config})
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples/phoenix_app", repo)
    fly = FakeFly(tmp_path / "fly")
    fly.dir.mkdir()
    smoke = _smoke_server()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_FLYCTL", "FLY_", "HEROKU", "GITHUB_"))}
    env.update(fly.env(), HEROKU_API_URL=heroku.url, HEROKU_API_KEY=HEROKU_KEY, FLY_API_TOKEN=TOKEN,
               FLYCTL=FAKE_FLYCTL, PYTHONPATH=str(ROOT))
    w = World(tmp_path, heroku, fly, repo, env, smoke, None, config, None)
    w.cli("scaffold", "--heroku-app", HEROKU_APP, "--repo", str(repo), check=True)
    yield w
    smoke.shutdown()
    heroku.stop()


def migrate(world: World, *extra: str, env: dict | None = None):
    return world.cli("migrate", "--heroku-app", HEROKU_APP, "--fly-app", FLY_APP, "--postgres", "none",
                     "--repo", str(world.repo), "--state-file", str(world.state_file),
                     "--smoke-url", world.smoke.url, "--yes", *extra, env=env)


def add_masks(text: str) -> list[str]:
    """Each `::add-mask::` line's data as the runner reads it (ActionCommand.cs UnescapeData)."""
    found = []
    for line in text.splitlines():
        if line.startswith("::add-mask::"):
            data = line[len("::add-mask::"):]
            for token, replacement in (("\r", "%0D"), ("\n", "%0A"), ("%", "%25")):
                data = data.replace(replacement, token)
            found.append(data)
    return found


def secret_values(world: World) -> list[str]:
    """Every secret herokufly handled: the canaries, the seed's secrets, the tokens, Fly's URLs."""
    heroku_config = world.heroku.apps[HEROKU_APP]["config_vars"]
    vault = world.fly.vault()[FLY_APP]
    copied = [heroku_config[name] for name in world.state()["secrets"]]  # what the secrets stage set
    fly_owned = [vault[name] for name in world.state()["created"]["provisioned_secret_names"]]
    return [v for v in copied if v not in PUBLIC.values()] + fly_owned + [HEROKU_KEY, TOKEN]


def assert_no_canary_anywhere(world: World, *texts: str) -> None:
    everything = "\n".join([*world.outputs, *texts, world.state_file.read_text()]
                           + [p.read_text() for p in (world.repo / ".herokufly").glob("**/*") if p.is_file()])
    # The runner consumes `::add-mask::` lines and never shows them (AddMaskCommandExtension.OmitEcho).
    everything = "\n".join(ln for ln in everything.splitlines() if not ln.startswith("::add-mask::"))
    for name, value in canaries_of(world).items():
        for part in canary_parts(value):
            assert not shows(part, everything), f"{name} leaked"
    for value in secret_values(world):
        for line in value.splitlines():
            if len(line.strip()) >= 4:
                assert not shows(line.strip(), everything), "a secret leaked"


def shows(secret: str, text: str) -> bool:
    """`secret` appears in `text`. A short one (a 4-digit PIN) counts only as a value of its
    own, not as digits inside a longer run of letters and digits (a fingerprint, a UUID), where
    it turns up by chance."""
    if len(secret) >= 8:
        return secret in text
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text) is not None


def canary_parts(value: str) -> list[str]:
    """A canary, and a URL canary's password on its own."""
    match = re.match(r"[a-z]+://[^:/@]*:([^@]+)@", value)
    return [value, match.group(1)] if match else [value]


def canaries_of(world: World) -> dict[str, str]:
    return {name: world.secrets[name] for name in ("ADMIN_PIN", "MAILER_ROUTE", "BACKUP_TARGET")}


def test_public_values_read_clearly_and_canaries_stay_masked(world):
    run = migrate(world)
    assert run.returncode == 0, run.stderr
    # The values reached Fly byte for byte, the public ones included.
    vault = world.fly.vault()[FLY_APP]
    expected = {**RUNTIME_PUBLIC, **canaries_of(world)}
    assert {name: vault[name] for name in expected} == expected
    assert "MIX_ENV" not in vault
    # Hostnames stay readable where the run mentions them: the DNS records and certificates.
    assert f"CNAME www.acme.test -> {FLY_APP}.fly.dev" in run.stderr
    assert "www.acme.test: certificate" in run.stderr and "***" not in run.stderr
    assert_no_canary_anywhere(world)


def test_actions_mode_announces_exactly_the_masked_values(world):
    env = dict(world.env, GITHUB_ACTIONS="true")
    run = migrate(world, "--json", env=env)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)  # the masks went to stderr, stdout is the report alone
    announced = add_masks(run.stderr)
    assert len(announced) == len(set(announced)), "a value was announced twice"
    # Exactly the secrets: every canary (the URL's password on its own too), the seed's secrets
    # line by line, the tokens and Fly's Redis URL; not one public value.
    expected = set()
    for value in secret_values(world):
        lines = [line.strip() for line in re.split(r"[\r\n]+", value)]
        expected |= {value, value.strip()} if len(lines) == 1 else {ln for ln in lines if len(ln) >= 4}
        match = re.match(r"[a-z]+://[^:/@]*:([^@]+)@", value)
        if match:
            expected.add(match.group(1))
    assert set(announced) == expected
    assert not set(announced) & set(PUBLIC.values())
    domains = report["results"]["domains"]["details"]["domains"]
    assert {"type": "CNAME", "name": "www.acme.test", "value": f"{FLY_APP}.fly.dev"} in \
        next(d for d in domains if d["hostname"] == "www.acme.test")["records"]
    assert_no_canary_anywhere(world)


def test_mask_all_config_masks_the_public_values_too(world):
    run = migrate(world, "--mask-all-config", env=dict(world.env, GITHUB_ACTIONS="true"))
    assert run.returncode == 0, run.stderr
    announced = set(add_masks(run.stdout + run.stderr))
    assert set(RUNTIME_PUBLIC.values()) <= announced
    assert "CNAME *** ->" in run.stderr and "CNAME www.acme.test" not in run.stderr
    assert_no_canary_anywhere(world)


def test_shows_finds_a_short_secret_as_a_value_not_inside_a_fingerprint():
    assert shows("2873", 'ADMIN_PIN=2873') and shows("2873", '"value": "2873"')
    assert not shows("2873", '"fingerprint": "b9b351831328733"')
    assert shows("k" * 10, "xx" + "k" * 10 + "yy")  # long ones: anywhere
