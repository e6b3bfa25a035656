"""Where the copy runs (the plan says it), and `fly mpg proxy`'s wait: readiness is a real
login through the proxy, a slow first tunnel is waited for, a dead one ends in one clear error
with the proxy process gone."""

from __future__ import annotations

import socket
import time

import pytest

from herokufly.talk import fly as flyctl
from herokufly.base.errors import FlyError
from herokufly.pg import remote
from herokufly.decide.plan import PlanOptions, make_plan
from herokufly.report import render_plan_text
from tests.fakes.flyctl.harness import FakeFly
from tests.unit.decide.test_plan import online_inventory


def test_plan_says_where_the_copy_runs():
    plan = make_plan(online_inventory(), PlanOptions(heroku_app="acme-phoenix")).to_dict()
    copy = plan["postgres"]["copy"]
    assert copy["path"] == "auto" and "above 5 GB on a Fly Machine in iad" in copy["why"]
    assert "copy: measured at the database stage" in render_plan_text(plan)
    assert remote.planned_path("always", "ams")["path"] == "fly-machine"
    assert remote.planned_path("never")["path"] == "runner"


@pytest.fixture
def fly(tmp_path, monkeypatch):
    fake = FakeFly(tmp_path / "fly")
    fake.dir.mkdir()
    fake.install(monkeypatch)
    client = fake.client()
    # A cluster to proxy to: created through the fake's own `mpg create` would need a real
    # server; the proxy only needs the cluster record and a URL in the vault.
    import json
    state = {"apps": {}, "mpg": {"c1": {"id": "c1", "name": "db", "org": "personal", "region": "iad",
                                        "status": "ready", "plan": "basic", "disk": 10, "replicas": 0,
                                        "attached_apps": []}},
             "redis": {}, "failed_once": [], "serial": 1}
    fake.state_path.write_text(json.dumps(state))
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen(4)
    port = upstream.getsockname()[1]
    (fake.dir / "fly-state.json.vault.json").write_text(json.dumps(
        {"_mpg": {"c1": f"postgres://u:p@127.0.0.1:{port}/db"}}))
    monkeypatch.setenv("FAKE_FLYCTL_PG_ADMIN_URL", f"postgres://admin:x@127.0.0.1:{port}/postgres")
    yield fake, client, upstream
    upstream.close()


def test_waits_for_a_slow_first_tunnel_then_yields_the_port(fly, monkeypatch):
    fake, client, upstream = fly
    monkeypatch.setenv("FAKE_FLYCTL_TUNNEL_DELAY", "1.5")
    started = time.monotonic()

    def ready(port):  # a real round trip through the proxy to the "cluster"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                peer, _ = upstream.accept()
                peer.sendall(b"R")
                ok = conn.recv(1) == b"R"
                peer.close()
                return ok
        except OSError:
            return False

    with flyctl.mpg_proxy(client, "c1", ready, wait=20, poll=0.1) as port:
        assert time.monotonic() - started >= 1.5
        assert isinstance(port, int)
    [entry] = [e for e in fake.log() if e["command"] == "mpg proxy"]
    assert entry["argv"] == ["mpg", "proxy", "c1", "--local-port", str(port), "--bind-addr", "127.0.0.1"]
    assert entry["exit"] == 143  # stopped when the block ended


def test_a_tunnel_that_never_comes_up_is_one_clear_error_and_no_leftover(fly, monkeypatch):
    fake, client, _upstream = fly
    monkeypatch.setenv("FAKE_FLYCTL_TUNNEL_DELAY", "30")
    with pytest.raises(FlyError) as caught:
        with flyctl.mpg_proxy(client, "c1", lambda port: False, wait=1, poll=0.1):
            pytest.fail("must not yield")
    assert "did not connect within 1s" in caught.value.message
    assert "UDP 51820" in caught.value.hint
    deadline = time.monotonic() + 10
    while not [e for e in fake.log() if e["command"] == "mpg proxy"] and time.monotonic() < deadline:
        time.sleep(0.1)
    [entry] = [e for e in fake.log() if e["command"] == "mpg proxy"]
    assert entry["exit"] == 143


def test_flyctl_failing_to_proxy_is_reported_at_once(fly):
    _fake, client, _upstream = fly
    started = time.monotonic()
    with pytest.raises(FlyError) as caught:
        with flyctl.mpg_proxy(client, "nope", lambda port: False, wait=30, poll=0.1):
            pass
    assert "not found" in caught.value.message and time.monotonic() - started < 15


def test_default_wait_covers_tunnel_and_dns_waits():
    # agent/client.go: WaitForTunnel and WaitForDNS each allow 4 minutes.
    assert flyctl.MPG_PROXY_OPEN_TIMEOUT >= 8 * 60
