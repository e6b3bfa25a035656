"""The fake Heroku API, over real HTTP, checked against Heroku's published schema.

These tests keep the fake honest: its responses must fit the schema (and the
validator must really reject bad ones), it must refuse what Heroku refuses, and
it must run standalone the way the end-to-end tests start it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from herokufly.talk.heroku import ACCEPT, HerokuClient
from tests.fakes.heroku_api import SCHEMA_PATH, ContractViolation, FakeHeroku, heroku_schema
from tests.contracts import contract_path

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json"
SHARED_SCHEMA = contract_path("heroku-platform-api-schema.json")
TOKEN = "tok-" + "7" * 32
APP = "acme-phoenix"
HEADERS = {"Accept": ACCEPT, "Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def fake():
    with FakeHeroku(token=TOKEN) as server:
        server.load_seed(SEED)
        yield server


@pytest.fixture
def client(fake):
    return HerokuClient(fake.url, TOKEN, backoff=0)


def _get(fake, path, **headers):
    return requests.get(fake.url + path, headers={**HEADERS, **headers}, timeout=10)


def _patch(fake, path, body):
    return requests.patch(fake.url + path, headers=HEADERS, json=body, timeout=10)


# ---------------------------------------------------------------- the validator is real

def test_bundled_schema_is_the_published_contract():
    if not SHARED_SCHEMA.exists():
        pytest.skip("the shared contracts folder is not on this machine")
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(SCHEMA_PATH) == digest(SHARED_SCHEMA)


def test_client_reads_validate_against_the_schema(fake, client):
    schema = heroku_schema()
    app_id = fake.apps[APP]["app"]["id"]
    reads = {
        f"/apps/{APP}": client.app(APP),
        f"/apps/{app_id}": client.app(app_id),  # identity by id works too
        f"/apps/{APP}/config-vars": client.config_vars(APP),
        f"/apps/{APP}/addons": client.addons(APP),
        f"/apps/{APP}/addon-attachments": client.addon_attachments(APP),
        f"/apps/{APP}/formation": client.formation(APP),
        f"/apps/{APP}/domains": client.domains(APP),
        f"/apps/{APP}/buildpack-installations": client.buildpacks(APP),
        f"/apps/{APP}/releases": client.releases(APP),
        "/dyno-sizes": client.dyno_sizes(),
    }
    for path, body in reads.items():
        assert body, path
        schema.check_response("GET", path, body)  # raises on any mismatch
    assert fake.violations == []


def test_every_single_resource_endpoint_answers_within_the_schema(fake):
    for path in (f"/apps/{APP}/formation/web", f"/apps/{APP}/domains/www.acme.test",
                 f"/apps/{APP}/releases/142", f"/apps/{APP}/addons/postgresql-curved-41235",
                 "/dyno-sizes/standard-2x"):
        response = _get(fake, path)
        assert response.status_code == 200, (path, response.text)
    assert fake.violations == []


def _formation_list(fake):
    return _get(fake, f"/apps/{APP}/formation").json()


@pytest.mark.parametrize("breakage", [
    lambda body: body[0].__setitem__("quantity", "2"),  # wrong type
    lambda body: body[0].pop("command"),  # a documented field missing
    lambda body: body[0].__setitem__("colour", "red"),  # an undocumented field
    lambda body: body[0]["app"].__setitem__("id", "not-a-uuid"),  # wrong format
    lambda body: body[0].__setitem__("updated_at", "yesterday"),  # not a date-time
])
def test_the_validator_rejects_a_broken_response(fake, breakage):
    body = _formation_list(fake)
    heroku_schema().check_response("GET", f"/apps/{APP}/formation", body)
    broken = copy.deepcopy(body)
    breakage(broken)
    with pytest.raises(ContractViolation):
        heroku_schema().check_response("GET", f"/apps/{APP}/formation", broken)


@pytest.mark.parametrize("breakage", [
    lambda app: app["region"].pop("id"),  # strictProperties: every property required
    lambda app: app["region"].__setitem__("country", "US"),  # ... and no others
    lambda app: app.__setitem__("git_url", "https://example.com/x.git"),  # pattern
])
def test_the_validator_rejects_bad_nested_strict_objects(fake, breakage):
    app = _get(fake, f"/apps/{APP}").json()
    heroku_schema().check_response("GET", f"/apps/{APP}", app)
    breakage(app)
    with pytest.raises(ContractViolation):
        heroku_schema().check_response("GET", f"/apps/{APP}", app)


def test_an_invalid_fake_state_becomes_a_recorded_violation():
    server = FakeHeroku(token=TOKEN)
    server.load_seed(SEED)
    server.start()
    try:
        server.apps[APP]["domains"][0]["kind"] = "vanity"  # not in the schema's enum
        response = _get(server, f"/apps/{APP}/domains")
        assert response.status_code == 500
        assert response.json()["id"] == "fake_contract_violation"
        assert len(server.violations) == 1 and "kind" in server.violations[0]
    finally:
        server.stop()
    with pytest.raises(ContractViolation):
        server.__exit__(None, None, None)


def test_unknown_paths_have_no_schema_link():
    with pytest.raises(ContractViolation, match="no link"):
        heroku_schema().check_response("GET", "/apps/x/made-up", {})


# ---------------------------------------------------------------- refusing what Heroku refuses

def test_requires_the_version_3_accept_header(fake):
    response = requests.get(fake.url + f"/apps/{APP}", headers={"Authorization": f"Bearer {TOKEN}",
                                                                "Accept": "application/json"}, timeout=10)
    assert response.status_code == 406
    assert response.json()["id"] == "not_acceptable"


@pytest.mark.parametrize("auth", [None, "Bearer wrong", f"Basic {TOKEN}"])
def test_requires_the_bearer_token(fake, auth):
    headers = {"Accept": ACCEPT} | ({"Authorization": auth} if auth else {})
    response = requests.get(fake.url + f"/apps/{APP}", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["id"] == "unauthorized" and response.json()["message"]


def test_unknown_app_is_not_found(fake):
    response = _get(fake, "/apps/no-such-app/formation")
    assert response.status_code == 404
    assert response.json() == {"id": "not_found", "message": "Couldn't find that app.", "resource": "app"}


@pytest.mark.parametrize("body", [
    {},  # updates is required
    {"updates": [{"quantity": 1}]},  # each update needs a type
    {"updates": [{"type": "web", "quantity": "1"}]},  # quantity is an integer
    {"updates": [{"type": "web", "quantity": 1, "colour": "red"}]},  # no other keys
    {"updates": "web=1"},
])
def test_formation_batch_update_refuses_invalid_bodies(fake, body):
    response = _patch(fake, f"/apps/{APP}/formation", body)
    assert response.status_code == 422, response.text
    assert response.json()["id"] == "invalid_params"
    assert fake.apps[APP]["formation"][0]["quantity"] in (1, 2)  # unchanged


def test_formation_batch_update_is_all_or_nothing(fake):
    response = _patch(fake, f"/apps/{APP}/formation",
                      {"updates": [{"type": "web", "quantity": 0}, {"type": "clock", "quantity": 0}]})
    assert response.status_code == 404
    assert {f["type"]: f["quantity"] for f in fake.apps[APP]["formation"]} == {"web": 2, "worker": 1}


def test_formation_scale_to_zero_and_back(fake, client):
    before = {f["type"]: (f["quantity"], f["size"]) for f in client.formation(APP)}
    client.update_formation(APP, [{"type": t, "quantity": 0} for t in before])
    assert all(f["quantity"] == 0 for f in fake.apps[APP]["formation"])
    client.update_formation(APP, [{"type": t, "quantity": q, "size": s} for t, (q, s) in before.items()])
    assert {f["type"]: (f["quantity"], f["size"]) for f in client.formation(APP)} == before


def test_single_formation_update_by_type(fake):
    response = _patch(fake, f"/apps/{APP}/formation/worker", {"quantity": 3, "dyno_size": {"name": "performance-m"}})
    assert response.status_code == 200, response.text
    assert response.json()["dyno_size"]["name"] == "Performance-M"
    assert _patch(fake, f"/apps/{APP}/formation/worker", {"quantity": 1.5}).status_code == 422


@pytest.mark.parametrize("body", [{"BAD-KEY": "x"}, {"N": 5}, {"N": ["a"]}])
def test_config_vars_update_refuses_invalid_bodies(fake, body):
    response = _patch(fake, f"/apps/{APP}/config-vars", body)
    assert response.status_code == 422
    assert response.json()["id"] == "invalid_params"


def test_config_vars_update_sets_and_deletes_and_makes_a_release(fake):
    releases_before = len(fake.apps[APP]["releases"])
    response = _patch(fake, f"/apps/{APP}/config-vars", {"NEW_VAR": "v", "POOL_SIZE": None})
    assert response.status_code == 200
    assert response.json()["NEW_VAR"] == "v" and "POOL_SIZE" not in response.json()
    assert len(fake.apps[APP]["releases"]) == releases_before + 1
    assert fake.apps[APP]["releases"][-1]["current"] is True


def test_app_update_refuses_bad_types_and_names(fake):
    assert _patch(fake, f"/apps/{APP}", {"maintenance": "on"}).status_code == 422
    assert _patch(fake, f"/apps/{APP}", {"name": "Not A Name"}).status_code == 422
    assert fake.apps[APP]["app"]["maintenance"] is False


def test_malformed_json_is_a_bad_request(fake):
    response = requests.patch(fake.url + f"/apps/{APP}", headers={**HEADERS, "Content-Type": "application/json"},
                              data=b"{not json", timeout=10)
    assert response.status_code == 400 and response.json()["id"] == "bad_request"


# ---------------------------------------------------------------- ranges

def test_range_pages_with_206_and_next_range(fake):
    first = _get(fake, f"/apps/{APP}/addons", Range="name ..; max=2")
    assert first.status_code == 206
    assert [a["name"] for a in first.json()] == ["papertrail-spherical-30021", "postgresql-curved-41235"]
    assert first.headers["Next-Range"] == "name ]postgresql-curved-41235..; max=2"
    second = _get(fake, f"/apps/{APP}/addons", Range=first.headers["Next-Range"])
    third = _get(fake, f"/apps/{APP}/addons", Range=second.headers["Next-Range"])
    assert (second.status_code, third.status_code) == (206, 200)
    assert "Next-Range" not in third.headers
    assert len(first.json() + second.json() + third.json()) == 5


def test_default_page_is_200():
    with FakeHeroku(token=TOKEN) as fake:
        fake.seed({"apps": [{"name": "many-domains", "domains": [
            {"hostname": f"d{i}.acme.test"} for i in range(205)]}]})
        response = _get(fake, "/apps/many-domains/domains")
        assert response.status_code == 206 and len(response.json()) == 200
        assert len(HerokuClient(fake.url, TOKEN).domains("many-domains")) == 205


def test_descending_version_range(fake):
    response = _get(fake, f"/apps/{APP}/releases", Range="version ..; max=2, order=desc")
    assert [r["version"] for r in response.json()] == [142, 141]
    assert response.status_code == 206


@pytest.mark.parametrize("header", ["colour ..; max=5", "id ..; max=5000", "id ..; max=0", "nonsense"])
def test_bad_ranges_are_416(fake, header):
    response = _get(fake, f"/apps/{APP}/domains", Range=header)
    assert response.status_code == 416
    assert response.json()["id"] == "requested_range_not_satisfiable"


# ---------------------------------------------------------------- standalone process

def test_runs_standalone_with_state_file_and_config_overrides(tmp_path, canary):
    state_file = tmp_path / "state.json"
    overrides = tmp_path / "config.json"
    overrides.write_text(json.dumps({APP: {"DATABASE_URL": f"postgres://u:{canary}@127.0.0.1:5432/db"}}))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.heroku_api", "--host", "127.0.0.1", "--port", "0",
         "--token", TOKEN, "--seed", str(SEED), "--state-file", str(state_file),
         "--config-vars-file", str(overrides)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("FAKE_HEROKU_URL=http://127.0.0.1:"), line
        client = HerokuClient(line.split("=", 1)[1], TOKEN, backoff=0)
        assert client.config_vars(APP)["DATABASE_URL"].endswith(f"{canary}@127.0.0.1:5432/db")
        client.set_maintenance(APP, True)
        client.update_formation(APP, [{"type": "web", "quantity": 0}])
        state = json.loads(state_file.read_text())
        assert state["apps"][APP]["app"]["maintenance"] is True
        assert {f["type"]: f["quantity"] for f in state["apps"][APP]["formation"]} == {"web": 0, "worker": 1}
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert canary not in out + err
