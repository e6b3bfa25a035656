"""deploy, domains, cutover and rollback against the fake flyctl and the fake Heroku API."""

from __future__ import annotations

import http.server
import threading

import pytest

from herokufly.act import rollback
from herokufly.base.errors import ConfigError, FlyError
from herokufly.stages import cutover, deploy, domains
from tests.fakes.flyctl.harness import fail_once
from tests.unit.stages.conftest import FLY_APP, HEROKU_APP

FLY_TOML = f'''app = "{FLY_APP}"
primary_region = "iad"

[deploy]
  release_command = "/app/bin/migrate"

[processes]
  web = "/app/bin/server"
  worker = "/app/bin/worker"

[http_service]
  internal_port = 4000
  processes = ["web"]
'''


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    (path / "fly.toml").write_text(FLY_TOML)
    (path / "Dockerfile").write_text("FROM scratch\n")
    return path


@pytest.fixture
def smoke_server():
    codes = {"code": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(codes["code"])
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    codes["url"] = f"http://127.0.0.1:{server.server_address[1]}/"
    yield codes
    server.shutdown()


def _deploy_ctx(make_ctx, repo, smoke, **kw):
    return make_ctx(repo=str(repo), smoke_url=smoke["url"], smoke_attempts=2, smoke_delay=0.01, **kw)


def test_deploy_then_noop_then_redeploy_for_staged_secrets(make_ctx, fake_fly, repo, smoke_server):
    fake_fly.client().create_app(FLY_APP, "personal")
    ctx = _deploy_ctx(make_ctx, repo, smoke_server)
    result = deploy.run(ctx)
    assert result.status == "done" and "answered 200" in result.summary
    # Machine.image_ref is an object (fly-go MachineImageRef); the state keeps readable names
    assert ctx.state.stage("deploy")["images"][0].startswith("registry.fly.io/")
    assert "@sha256:" in ctx.state.stage("deploy")["images"][0]
    release = fake_fly.state()["apps"][FLY_APP]["releases"][-1]
    assert release["release_command"] == "/app/bin/migrate" and release["remote_only"] is True
    assert release["processes"] == ["web", "worker"]
    assert deploy.run(_deploy_ctx(make_ctx, repo, smoke_server)).status == "unchanged"
    assert len(fake_fly.calls("deploy")) == 1
    fake_fly.client().import_secrets(FLY_APP, {"NEW_SECRET": "v"}, stage=True)
    again = deploy.run(_deploy_ctx(make_ctx, repo, smoke_server))
    assert again.status == "done" and again.details["rolled_out_secrets"] == ["NEW_SECRET"]


def test_deploy_failure_is_shown_and_resumable(make_ctx, fake_fly, repo, smoke_server, monkeypatch):
    fake_fly.client().create_app(FLY_APP, "personal")
    fail_once(monkeypatch, "deploy")
    with pytest.raises(FlyError, match="injected failure"):
        deploy.run(_deploy_ctx(make_ctx, repo, smoke_server))
    assert deploy.run(_deploy_ctx(make_ctx, repo, smoke_server)).status == "done"


def test_smoke_check_fails_clearly_or_is_skipped(make_ctx, fake_fly, repo, smoke_server):
    fake_fly.client().create_app(FLY_APP, "personal")
    smoke_server["code"] = 503
    with pytest.raises(FlyError, match="did not answer .*HTTP 503 after 2 tries"):
        deploy.run(_deploy_ctx(make_ctx, repo, smoke_server))
    skipped = deploy.run(_deploy_ctx(make_ctx, repo, smoke_server, smoke_check=False))
    assert "smoke check skipped" in skipped.summary


def test_missing_fly_toml_says_run_scaffold(make_ctx, tmp_path):
    with pytest.raises(ConfigError) as info:
        deploy.run(make_ctx(repo=str(tmp_path / "empty")))
    assert "does not exist" in info.value.one_line() and "herokufly scaffold" in info.value.one_line()


def test_domains_add_certs_and_print_records(make_ctx, fake_fly):
    client = fake_fly.client()
    client.create_app(FLY_APP, "personal")
    client.allocate_ipv6(FLY_APP)
    client.allocate_shared_ipv4(FLY_APP)
    lines = []
    ctx = make_ctx()
    ctx.say = lines.append
    result = domains.run(ctx)
    assert result.status == "done" and result.details["added"] == ["acme.test", "www.acme.test"]
    by_host = {d["hostname"]: d for d in result.details["domains"]}
    ips = {ip["Type"]: ip["Address"] for ip in client.ips(FLY_APP)}
    apex = by_host["acme.test"]["records"]
    assert apex[:2] == [{"type": "A", "name": "acme.test", "value": ips["shared_v4"]},
                        {"type": "AAAA", "name": "acme.test", "value": ips["v6"]}]
    ownership = next(r for r in apex if r["type"] == "TXT")
    assert ownership["name"] == "_fly-ownership.acme.test" and ownership["optional"] is False
    assert not any(r["type"] == "CNAME" and r["name"] == "acme.test" for r in apex)
    sub = by_host["www.acme.test"]["records"]
    assert sub[0] == {"type": "CNAME", "name": "www.acme.test", "value": f"{FLY_APP}.fly.dev"}
    assert not any(r["type"] in ("A", "AAAA") for r in sub)
    assert {r["name"] for r in sub if r.get("optional")} >= {"_acme-challenge.www.acme.test"}
    assert by_host["www.acme.test"]["status"] == "pending_validation"
    assert any("www.acme.test -> " in line for line in lines)
    # the certificates flyctl lists (snake_case since v0.4.11) are recognised: nothing added twice
    assert domains.run(make_ctx()).status == "unchanged"
    assert len(fake_fly.calls("certs add")) == 2


@pytest.mark.parametrize("host, apex", [
    ("acme.test", True), ("www.acme.test", False), ("shop.co.uk", True), ("www.shop.co.uk", False),
    ("*.acme.test", False), ("a.b.example.com", False),
])
def test_apex_or_subdomain(host, apex):
    assert domains.is_apex(host) is apex


def test_image_ref_object_is_named():
    ref = {"registry": "registry.fly.io", "repository": "app", "tag": "deployment-1", "digest": "sha256:ab"}
    assert deploy.image_name(ref) == "registry.fly.io/app:deployment-1@sha256:ab"
    assert deploy.image_name("plain:tag") == "plain:tag"


def _heroku(fake_heroku):
    app = fake_heroku.apps[HEROKU_APP]
    return app["app"]["maintenance"], {f["type"]: f["quantity"] for f in app["formation"]}


def test_cutover_needs_deploy_and_domains(make_ctx):
    with pytest.raises(ConfigError, match="cutover needs deploy, domains"):
        cutover.run(make_ctx())


def test_cutover_then_rollback_restores_heroku(make_ctx, fake_fly, fake_heroku):
    fake_fly.client().create_app(FLY_APP, "personal")
    ctx = make_ctx()
    ctx.state.mark("deploy", "done")
    ctx.state.mark("domains", "done")
    result = cutover.run(ctx)
    assert result.status == "done" and result.details["formation_before"] == {"web": 2, "worker": 1}
    assert _heroku(fake_heroku) == (True, {"web": 0, "worker": 0})
    assert cutover.run(make_ctx()).status == "unchanged"

    back = rollback.run(make_ctx())
    assert back.status == "done"
    assert _heroku(fake_heroku) == (False, {"web": 2, "worker": 1})
    assert back.details["fly"]["app"].startswith(FLY_APP)
    assert rollback.run(make_ctx()).status == "unchanged"


def test_rollback_without_record_needs_formation(make_ctx, fake_heroku, heroku_client):
    heroku_client.update_formation(HEROKU_APP, [{"type": "web", "quantity": 0}, {"type": "worker", "quantity": 0}])
    with pytest.raises(ConfigError) as info:
        rollback.run(make_ctx())
    assert "--formation" in info.value.one_line()
    rollback.run(make_ctx(), rollback.parse_formation("web=1,worker=1"))
    assert _heroku(fake_heroku)[1] == {"web": 1, "worker": 1}
