"""HerokuClient: headers, pagination, retries, one-line errors, and no leaks.

The client talks real HTTP to the in-process fake (tests/fakes/heroku_api.py);
sleeping is replaced by a recorder so retries cost no time.
"""

from __future__ import annotations

import pytest

from herokufly import __version__
from herokufly.base import masking
from herokufly.base.errors import HerokuError, UserError
from herokufly.talk.heroku import ACCEPT, HerokuClient
from herokufly.base.settings import Settings
from tests.fakes.heroku_api import FakeHeroku

TOKEN = "tok-" + "5" * 32
APP = "acme-phoenix"


def _seed(domains: int = 3, config: dict | None = None) -> dict:
    return {"apps": [{
        "name": APP,
        "formation": [{"type": "web", "quantity": 1, "size": "Standard-1X", "command": "mix phx.server"}],
        "domains": [{"hostname": f"h{i:03d}.acme.test", "kind": "custom", "cname": f"c{i}.herokudns.com"}
                    for i in range(domains)],
        "config_vars": config or {"POOL_SIZE": "10"},
    }]}


@pytest.fixture
def fake():
    with FakeHeroku(token=TOKEN) as server:
        server.seed(_seed())
        yield server


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(fake, sleeps):
    with HerokuClient(fake.url, TOKEN, backoff=0.01, max_retries=3, sleep=sleeps) as c:
        yield c


def test_sends_version_3_accept_bearer_token_and_user_agent(fake, client):
    client.app(APP)
    (request,) = fake.requests_to("GET", rf"^/apps/{APP}$")
    assert request["headers"]["Accept"] == ACCEPT == "application/vnd.heroku+json; version=3"
    assert request["authorized"] is True
    assert request["headers"]["User-Agent"] == f"herokufly/{__version__}"


def test_list_requests_ask_for_the_largest_page(fake, client):
    client.domains(APP)
    (request,) = fake.requests_to("GET", r"/domains$")
    assert request["headers"]["Range"] == "id ..; max=1000"


def test_follows_next_range_across_pages():
    with FakeHeroku(token=TOKEN, max_page_size=4) as fake:
        fake.seed(_seed(domains=10))
        client = HerokuClient(fake.url, TOKEN)
        hostnames = [d["hostname"] for d in client.domains(APP)]
        requests = fake.requests_to("GET", r"/domains$")
    assert sorted(hostnames) == [f"h{i:03d}.acme.test" for i in range(10)]
    assert len(hostnames) == 10 == len(set(hostnames))
    assert len(requests) == 3
    # The second and third requests carry the previous page's Next-Range.
    assert requests[1]["headers"]["Range"].startswith("id ]")
    assert requests[2]["headers"]["Range"] != requests[1]["headers"]["Range"]


def test_newest_releases_use_a_descending_version_range(fake, client):
    newest = client.releases(APP, limit=1)
    (request,) = fake.requests_to("GET", r"/releases$")
    assert request["headers"]["Range"] == "version ..; max=1, order=desc"
    assert len(newest) == 1 and newest[0]["current"] is True


@pytest.mark.parametrize("status", [429, 503, 500])
def test_retries_transient_failures_then_succeeds(fake, client, sleeps, status):
    fake.fail_next("GET", rf"^/apps/{APP}$", status, times=2)
    assert client.app(APP)["name"] == APP
    assert len(fake.requests_to("GET", rf"^/apps/{APP}$")) == 3
    assert sleeps == [0.01, 0.02]  # exponential backoff


def test_retries_a_dropped_connection(fake, client, sleeps):
    fake.fail_next("GET", r"/formation$", 0, times=1)
    assert [f["type"] for f in client.formation(APP)] == ["web"]
    assert len(sleeps) == 1


def test_retry_after_is_honoured(fake, client, sleeps):
    fake.fail_next("GET", rf"^/apps/{APP}$", 429, times=1, retry_after=7)
    client.app(APP)
    assert sleeps == [7.0]


def test_retry_after_is_capped(fake, client, sleeps):
    fake.fail_next("GET", rf"^/apps/{APP}$", 503, times=1, retry_after=86400)
    client.app(APP)
    assert sleeps == [60.0]


def test_retries_are_bounded_then_a_clear_error(fake, client, sleeps):
    fake.fail_next("GET", rf"^/apps/{APP}$", 503, times=100)
    with pytest.raises(HerokuError) as caught:
        client.app(APP)
    assert len(fake.requests_to("GET", rf"^/apps/{APP}$")) == 4  # 1 + max_retries
    assert len(sleeps) == 3
    line = caught.value.one_line()
    assert "HTTP 503" in line and "after 4 attempts" in line and "\n" not in line


def test_rate_limit_exhausted_says_to_wait(fake, client):
    fake.fail_next("GET", rf"^/apps/{APP}$", 429, times=100, retry_after=0)
    with pytest.raises(HerokuError, match="rate limit") as caught:
        client.app(APP)
    assert "wait" in caught.value.one_line()


def test_unreachable_api_is_one_line(sleeps):
    client = HerokuClient("http://127.0.0.1:9", TOKEN, max_retries=1, backoff=0, sleep=sleeps, timeout=2)
    with pytest.raises(HerokuError, match="could not reach the Heroku API") as caught:
        client.app(APP)
    assert "HEROKU_API_URL" in caught.value.one_line()
    assert len(sleeps) == 1


def test_401_names_the_app_and_the_fix(fake):
    client = HerokuClient(fake.url, "wrong-token-000000", max_retries=0)
    with pytest.raises(HerokuError) as caught:
        client.app(APP)
    line = caught.value.one_line()
    assert line.startswith(f"HEROKU_API_KEY is not valid for app '{APP}'")
    assert "heroku authorizations:create" in line
    assert caught.value.status == 401


def test_403_says_no_access(fake, client):
    fake.fail_next("GET", rf"^/apps/{APP}/config-vars$", 403)
    with pytest.raises(HerokuError) as caught:
        client.config_vars(APP)
    line = caught.value.one_line()
    assert f"no access to Heroku app '{APP}'" in line and "collaborator" in line


def test_404_app_not_found(client):
    with pytest.raises(HerokuError) as caught:
        client.app("no-such-app")
    line = caught.value.one_line()
    assert line.startswith("Heroku app 'no-such-app' not found")
    assert "heroku apps" in line


def test_app_exists(client):
    assert client.app_exists(APP) is True
    assert client.app_exists("no-such-app") is False


def test_other_4xx_carries_herokus_id_and_message(client):
    with pytest.raises(HerokuError) as caught:
        client.update_formation(APP, [{"type": "web", "quantity": 2, "size": "Basic"}])
    line = caught.value.one_line()
    assert "HTTP 422 invalid_params" in line and "Basic" in line and "\n" not in line


def test_update_formation_sends_the_batch_shape(fake, client):
    result = client.update_formation(APP, [{"type": "web", "quantity": 3, "size": "Standard-2X"}])
    (request,) = fake.requests_to("PATCH", r"/formation$")
    assert request["body"] == {"updates": [{"type": "web", "quantity": 3, "dyno_size": {"name": "Standard-2X"}}]}
    assert result[0]["quantity"] == 3
    assert fake.apps[APP]["formation"][0]["dyno_size"]["name"] == "Standard-2X"


def test_set_maintenance(fake, client):
    assert client.set_maintenance(APP, True)["maintenance"] is True
    assert fake.apps[APP]["app"]["maintenance"] is True
    assert client.set_maintenance(APP, False)["maintenance"] is False


def test_config_vars_registers_every_value(fake, client, canary):
    fake.set_config_vars(APP, {"MULTI": f"line one {canary}\nline two {canary}", "PLAIN": canary})
    values = client.config_vars(APP)
    assert values["PLAIN"] == canary
    assert masking.redact(f"x {canary} y") == "x *** y"
    assert canary not in masking.redact(values["MULTI"])


def test_config_vars_subset_registers_only_what_it_returns(fake, client, canary):
    fake.set_config_vars(APP, {"SECRET_KEY_BASE": canary, "PHX_HOST": "www.public-host.test",
                               "HEROKU_APP_NAME": "acme-phoenix"})
    assert client.config_vars(APP, ["SECRET_KEY_BASE"]) == {"SECRET_KEY_BASE": canary}
    assert canary not in masking.redact(canary)
    shown = masking.redact("www.public-host.test acme-phoenix")
    assert shown == "www.public-host.test acme-phoenix"
    # Heroku's dyno metadata is public even when all values are read.
    client.config_vars(APP)
    assert masking.redact("acme-phoenix") == "acme-phoenix"


def test_config_vars_show_the_apps_domains_and_plain_values_but_mask_secrets(fake, client, canary):
    # h001.acme.test is in the app's domain list (see _seed); the client reads it before classifying.
    fake.set_config_vars(APP, {"PHX_HOST": "h001.acme.test", "MIX_ENV": "prod", "ADMIN_PIN": "4821",
                               "OTHER_HOST": "h999.acme.test", "NEUTRAL": canary})
    client.config_vars(APP)
    assert masking.redact("CNAME h001.acme.test prod") == "CNAME h001.acme.test prod"
    assert masking.redact(f"{canary} 4821 h999.acme.test") == "*** *** ***"


def test_the_apps_name_and_region_are_known_public(fake, client):
    seed = _seed(config={"HEROKU_REGION_NAME": "frankfurt", "APP_LABEL": APP})
    seed["apps"][0]["region"] = "frankfurt"
    fake.seed(seed)
    client.app(APP)
    client.config_vars(APP)
    assert masking.registered() == [TOKEN]
    assert masking.redact(f"{APP} in frankfurt") == f"{APP} in frankfurt"


def test_no_secret_in_errors_or_repr(fake, client, canary):
    fake.set_config_vars(APP, {"SECRET_KEY_BASE": canary})
    client.config_vars(APP)
    # A server that echoes a value back in its error message must not leak it.
    fake.fail_next("PATCH", r"/config-vars$", 422,
                   body={"id": "invalid_params", "message": f"value {canary} rejected"})
    with pytest.raises(HerokuError) as caught:
        client._request("PATCH", f"/apps/{APP}/config-vars", APP, json={"X": "y"})
    for text in (caught.value.one_line(), str(caught.value), repr(client), str(client)):
        assert canary not in text
        assert TOKEN not in text


def test_missing_key_is_a_user_error():
    with pytest.raises(UserError, match="HEROKU_API_KEY is not set"):
        HerokuClient.from_settings(Settings(heroku_api_key=None))


def test_from_settings_uses_url_and_masks_key():
    client = HerokuClient.from_settings(Settings(heroku_api_url="http://127.0.0.1:1", heroku_api_key=TOKEN))
    assert client.api_url == "http://127.0.0.1:1"
    assert masking.redact(TOKEN) == "***"
    assert TOKEN not in repr(client)


def test_retry_after_as_an_http_date(fake, client, sleeps):
    import email.utils
    import time

    fake.fail_next("GET", rf"^/apps/{APP}$", 503, times=1,
                   retry_after=email.utils.formatdate(time.time() + 30, usegmt=True))
    client.app(APP)
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_404_on_a_sub_resource_names_it(client):
    with pytest.raises(HerokuError) as caught:
        client._request("GET", f"/apps/{APP}/formation/clock", APP)
    line = caught.value.one_line()
    assert line.startswith(f"Heroku formation not found for app '{APP}'") and "process type" in line
