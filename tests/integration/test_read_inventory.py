"""read_heroku over the Phoenix seed, through the client and the fake over HTTP."""

from __future__ import annotations

import json

import pytest

from herokufly.base import masking
from herokufly.talk.heroku import HerokuClient
from herokufly.base.inventory import Addon, Domain, Formation, Repo
from herokufly.talk.read import read_heroku
from tests.fakes.heroku_api import FakeHeroku
from tests.integration.test_fake_heroku import SEED

pytestmark = pytest.mark.integration

TOKEN = "tok-" + "9" * 32
APP = "acme-phoenix"


@pytest.fixture
def fake(canary):
    with FakeHeroku(token=TOKEN) as server:
        # The canary stands in for a real secret (e.g. a local database password).
        server.load_seed(SEED, config_vars={APP: {"DATABASE_URL": f"postgres://u:{canary}@127.0.0.1:5432/acme"}})
        yield server


@pytest.fixture
def inventory(fake):
    return read_heroku(HerokuClient(fake.url, TOKEN, backoff=0), APP)


def test_app_facts(inventory):
    app = inventory.app
    assert inventory.heroku_app_name == APP and inventory.offline is False
    assert (app.name, app.region, app.stack, app.space, app.team) == (APP, "us", "heroku-24", None, "acme-team")
    assert app.maintenance is False
    assert app.web_url == "https://acme-phoenix-8c1e2f3a4b5d.herokuapp.com/"
    assert app.buildpacks == ["hashnuke/elixir", "https://github.com/gjaldon/heroku-buildpack-phoenix-static.git"]
    assert app.release_version == 142


def test_formation(inventory):
    assert inventory.formation == [
        Formation(type="web", quantity=2, size="Standard-2X", command="mix phx.server"),
        Formation(type="worker", quantity=1, size="Standard-1X", command="mix run --no-halt"),
    ]


def test_addons(inventory):
    by_service = {a.service: a for a in inventory.addons}
    assert set(by_service) == {"heroku-postgresql", "heroku-redis", "papertrail", "scheduler", "sendgrid"}
    assert by_service["heroku-postgresql"] == Addon(
        name="postgresql-curved-41235", service="heroku-postgresql", plan="heroku-postgresql:standard-0",
        config_vars=["DATABASE_URL"], monthly_cents=5000)
    assert by_service["heroku-postgresql"].plan_short == "standard-0"
    assert by_service["heroku-redis"].config_vars == ["REDIS_URL", "REDIS_TLS_URL"]
    assert by_service["heroku-redis"].plan == "heroku-redis:premium-0"
    assert by_service["sendgrid"].config_vars == ["SENDGRID_USERNAME", "SENDGRID_PASSWORD"]
    assert by_service["scheduler"].monthly_cents == 0


def test_domains(inventory):
    assert inventory.domains == [
        Domain("acme-phoenix-8c1e2f3a4b5d.herokuapp.com", "heroku", None, "none"),
        Domain("acme.test", "custom", "shallow-brook-0a9b8c7d6e5f4g3h2i1j.herokudns.com", "succeeded"),
        Domain("www.acme.test", "custom", "whispering-fern-1x2y3z4w5v6u7t8s9r0q.herokudns.com", "succeeded"),
    ]


def test_config_var_names_only(inventory, fake):
    names = inventory.config_var_names
    assert names == sorted(fake.apps[APP]["config_vars"])
    for expected in ("SECRET_KEY_BASE", "DATABASE_URL", "REDIS_URL", "REDIS_TLS_URL", "PHX_HOST", "POOL_SIZE",
                     "SENTRY_DSN", "HEROKU_APP_NAME", "HEROKU_RELEASE_VERSION", "PAPERTRAIL_API_TOKEN",
                     "SENDGRID_API_KEY", "APNS_AUTH_KEY"):
        assert expected in names


def test_no_config_value_in_the_inventory(inventory, fake, canary):
    dumped = json.dumps(inventory.to_dict()) + repr(inventory) + str(inventory)
    assert canary not in dumped
    config = fake.apps[APP]["config_vars"]
    for key in ("DATABASE_URL", "REDIS_URL", "REDIS_TLS_URL", "SECRET_KEY_BASE", "SENTRY_DSN",
                "PAPERTRAIL_API_TOKEN", "SENDGRID_PASSWORD", "SENDGRID_API_KEY", "APNS_AUTH_KEY"):
        assert config[key] not in dumped
        for line in config[key].splitlines():
            assert line not in dumped


def test_reading_names_does_not_mask_public_values(inventory):
    # Values never left the client, so the app name and hostnames stay readable in output.
    assert masking.redact("deploying acme-phoenix to www.acme.test") == "deploying acme-phoenix to www.acme.test"


def test_values_read_for_the_secrets_stage_are_masked(fake, canary):
    values = HerokuClient(fake.url, TOKEN).config_vars(APP)
    assert canary in values["DATABASE_URL"]
    assert masking.redact(f"url={canary}") == "url=***"
    pem_line = values["APNS_AUTH_KEY"].splitlines()[1]
    assert masking.redact(pem_line) == "***"


def test_repo_is_carried_and_app_found_by_id(fake):
    repo = Repo(path="/tmp/acme", framework="phoenix")
    app_id = fake.apps[APP]["app"]["id"]
    inventory = read_heroku(HerokuClient(fake.url, TOKEN), app_id, repo)
    assert inventory.repo is repo
    assert inventory.heroku_app_name == APP  # the real name, not the id


def test_space_app_region_and_legacy_size_field():
    with FakeHeroku(token=TOKEN) as fake:
        fake.seed({"apps": [{"name": "acme-private", "region": "virginia", "space": {"name": "acme-space", "shield": True},
                             "formation": [{"type": "web", "quantity": 1, "size": "Private-M"}]}]})
        inventory = read_heroku(HerokuClient(fake.url, TOKEN), "acme-private")
    assert (inventory.app.region, inventory.app.space, inventory.app.team) == ("virginia", "acme-space", None)
    assert inventory.formation == [Formation("web", 1, "Private-M", None)]
    assert inventory.addons == [] and inventory.config_var_names == []
