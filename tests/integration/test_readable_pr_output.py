"""Issue 12 in the pull-request flow: the action runs the migration stage by stage (in process,
against the fake GitHub, the fake Heroku API and the fake flyctl). The DNS record reads
`CNAME www.acme.test -> <app>.fly.dev` in the log, the job summary and the PR comment, and no
canary shows in any of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from herokufly import action, cli
from herokufly.base import masking
from herokufly.talk.github import ACTIONS_BOT, marker
from tests.fakes.flyctl.harness import FAKE_FLYCTL, TOKEN, FakeFly
from tests.fakes.github_api import FakeGitHub
from tests.fakes.heroku_api import FakeHeroku
from tests.integration.test_migrate import HEROKU_APP, HEROKU_KEY, _smoke_server
from tests.integration.test_readable_output import PUBLIC, add_masks, canaries, canary_parts, shows

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EVENTS = ROOT / "tests" / "fixtures" / "events"
GH_TOKEN = "ghs_readable_output_token_4242"
HEAD = "9" * 40
FLY_APP = "acme-phoenix"


@pytest.fixture
def pr(tmp_path, monkeypatch):
    """A PR whose comment asked for a migration, and a function that runs one action step."""
    gh = FakeGitHub("acme/shop")
    gh.add_token(GH_TOKEN, ACTIONS_BOT, bot=True)
    gh.set_role("alice", "write")
    gh.add_pull(7, head_sha=HEAD)
    config = dict(PUBLIC, **canaries())
    heroku = FakeHeroku(token=HEROKU_KEY)
    heroku.start()
    heroku.load_seed(ROOT / "tests/fakes/heroku_seed_phoenix.json", config_vars={HEROKU_APP: config})
    workspace = tmp_path / "ws"
    shutil.copytree(ROOT / "examples/phoenix_app", workspace)
    fly = FakeFly(tmp_path / "fly")
    fly.dir.mkdir()
    smoke = _smoke_server()
    for key in ("GITHUB_ACTIONS", "HEROKUFLY_MASK_ALL_CONFIG", "FLY_API_TOKEN", "HEROKU_API_KEY", "GITHUB_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    fly.install(monkeypatch)
    monkeypatch.setenv("HEROKU_API_URL", heroku.url)
    monkeypatch.setenv("FLYCTL", FAKE_FLYCTL)
    monkeypatch.setenv("HEROKUFLY_SMOKE_URL", smoke.url)
    monkeypatch.chdir(workspace)
    payload = json.loads((EVENTS / "issue_comment_writer_migrate.json").read_text())
    gh.add_comment(7, "alice", payload["comment"]["body"], comment_id=payload["comment"]["id"])
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(payload))
    summary = tmp_path / "summary"
    summary.write_text("")

    def step(**inputs: str) -> int:
        # The steps share one job: the runner's masks last the whole job, as masking's do here,
        # so a value masked in the secrets step would blank it in the domains step too.
        output = tmp_path / "output"
        output.write_text("")
        env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "issue_comment", "GITHUB_EVENT_PATH": str(event_path),
               "GITHUB_API_URL": gh.url, "GITHUB_REPOSITORY": "acme/shop", "GITHUB_WORKSPACE": str(workspace),
               "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "42", "HEROKUFLY_GITHUB_THROTTLE": "0",
               "INPUT_GITHUB_TOKEN": GH_TOKEN, "INPUT_HEROKU_API_KEY": HEROKU_KEY, "INPUT_FLY_API_TOKEN": TOKEN,
               "INPUT_HEROKU_APP": HEROKU_APP, "INPUT_FLY_APP": FLY_APP, "INPUT_POSTGRES": "none"}
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return action.run()

    with gh:
        assert cli.main(["scaffold", "--heroku-app", HEROKU_APP, "--repo", "."]) == 0
        yield gh, step, summary, config
    smoke.shutdown()
    heroku.stop()
    masking.clear()
    assert gh.violations == []


def sticky_body(gh: FakeGitHub) -> str:
    ours = [c for c in gh.comments_on(7) if c["login"] == ACTIONS_BOT and marker(HEROKU_APP) in c["body"]] or \
        [c for c in gh.comments_on(7) if c["login"] == ACTIONS_BOT]
    return ours[0]["body"]


def test_hostnames_read_clearly_in_log_summary_and_comment(pr, capfd):
    gh, step, summary, config = pr
    assert step(command="auto") == 0
    for stage in ("provision", "secrets", "deploy", "domains"):
        assert step(command="migrate", stage=stage, head_sha=HEAD) == 0, stage
    out, err = capfd.readouterr()
    log = out + err
    record = f"CNAME www.acme.test -> {FLY_APP}.fly.dev"
    assert record in log  # the terminal / job log
    body, summary_text = sticky_body(gh), summary.read_text()
    for text in (body, summary_text):
        assert f"| `www.acme.test` | CNAME | `{FLY_APP}.fly.dev` |" in text
        assert "***" not in text

    # No canary anywhere (the runner never shows `::add-mask::` lines), and the public values
    # were never announced as masks.
    shown = "\n".join(ln for ln in log.splitlines() if not ln.startswith("::add-mask::"))
    files = [p.read_text() for p in Path.cwd().joinpath(".herokufly").glob("*") if p.is_file()]
    comments = [c["body"] for c in gh.comments_on(7)]
    for name in ("ADMIN_PIN", "MAILER_ROUTE", "BACKUP_TARGET"):
        value = config[name]
        for part in canary_parts(value):
            for where, text in (("log", shown), ("summary", summary_text), ("comments", "\n".join(comments)),
                                ("files", "\n".join(files))):
                assert not shows(part, text), f"{name} leaked into the {where}"
    announced = set(add_masks(log))
    assert {config["ADMIN_PIN"], config["MAILER_ROUTE"], config["BACKUP_TARGET"]} <= announced
    assert not announced & set(PUBLIC.values())
