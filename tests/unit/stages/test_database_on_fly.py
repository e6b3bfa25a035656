"""database on a Fly Machine: the fake flyctl's `machine run` runs `herokufly db transfer` for
real (a subprocess with the Machine's environment) against local PostgreSQL, and the report,
progress and exit code come back through `machine list --json` and `logs --json`."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from herokufly.base.errors import HerokuflyError
from herokufly.pg import remote
from herokufly.stages import database, provision
from tests.pgserver import PASSWORD
from tests.unit.stages.conftest import FLY_APP, HEROKU_APP, base_plan, jobs_source

REPO = Path(__file__).parents[3]
IMAGE = "registry.test/herokufly@sha256:" + "ab" * 32  # what a release build names


@pytest.fixture
def source(pg15, fake_heroku, monkeypatch):
    with jobs_source(pg15, fake_heroku, monkeypatch, rows=700) as url:
        yield url


@pytest.fixture
def machine_image(tmp_path, monkeypatch):
    """The image's files as the fake Machine sees them: /usr/local/bin/herokufly (as the
    Dockerfile writes it) running this checkout."""
    bindir = tmp_path / "image-bin"
    bindir.mkdir()
    wrapper = bindir / "herokufly"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m herokufly "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("FAKE_FLYCTL_MACHINE_PATH", str(bindir))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setattr(remote, "POLL_SECONDS", 0.3)
    monkeypatch.setattr(remote, "release_image", lambda: IMAGE)  # as in a release build


def _ctx(make_ctx, plan, lines, **options):
    ctx = make_ctx(plan, **options)
    ctx.say = lines.append
    return ctx


def test_copy_runs_on_a_machine_and_reports_back(make_ctx, fake_fly, fake_heroku, source, machine_image):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    lines: list[str] = []
    result = database.run(_ctx(make_ctx, plan, lines, copy_on_fly="always", copy_image="registry.test/herokufly:1"))

    assert result.status == "done" and result.details["copy_path"]["path"] == "fly-machine"
    report = result.details["report"]
    assert report["ok"] and report["verification"]["ok"] and report["rows"] == 700
    assert {t["name"]: t["rows"] for t in report["tables"]} == {"public.jobs": 700}
    target = fake_fly.vault()[FLY_APP]["DATABASE_URL"]
    with psycopg.connect(target) as conn:
        assert conn.execute("select count(*) from jobs").fetchone() == (700,)
    # Progress came back from the Machine's logs.
    assert any(line.startswith("[fly machine] copy") for line in lines)
    assert any("on a Fly Machine" in line for line in lines)

    [run] = fake_fly.calls("machine run")
    dash = run.index("--")
    assert run[2] == "registry.test/herokufly:1"
    assert run[dash + 1:dash + 4] == ["db", "transfer", "--report-line"] and "--fly-target" in run
    # The cluster's own extension list (`mpg databases extensions list --json`) goes along.
    [allowed] = [a for a in run if a.startswith("--allowed-extensions=")]
    assert {"citext", "pg_stat_monitor"} <= set(allowed.split("=", 1)[1].split(","))
    assert "pg_stat_statements" not in allowed
    [listed] = fake_fly.calls("mpg databases extensions list")
    assert listed[-1] == "--json" and "--database" in listed
    flags = dict(zip(run[3:dash:1], run[4:dash:1]))
    assert flags["--entrypoint"] == "herokufly" and flags["--restart"] == "no"
    assert flags["--region"] == "iad" and flags["--app"] == FLY_APP
    # Secrets went in as app secrets (stdin), never argv, and are gone afterwards; so is the Machine.
    for entry in fake_fly.log():
        assert PASSWORD not in " ".join(entry["argv"]) and "postgres" not in " ".join(entry["argv"][2:])
    assert not {remote.SOURCE_ENV, remote.TARGET_ENV} & set(fake_fly.state()["apps"][FLY_APP]["secrets"])
    [destroy] = fake_fly.calls("machine destroy")
    [machine] = fake_fly.state()["run_machines"].values()
    assert machine["name"] == run[run.index("--name") + 1] and destroy[2] == machine["id"]
    assert machine["state"] == "destroyed" and "--force" in destroy
    for line in lines:
        assert PASSWORD not in line
    # What Fly would keep as the Machine's logs holds no secret either (masked on the Machine).
    machine_logs = (fake_fly.dir / "fly-state.json.machines" / f"{machine['id']}.jsonl").read_text()
    assert "copy" in machine_logs and PASSWORD not in machine_logs and "postgres://" not in machine_logs


def test_failed_copy_on_a_machine_reopens_heroku_and_cleans_up(
        make_ctx, fake_fly, fake_heroku, source, machine_image):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    with psycopg.connect(fake_fly.vault()[FLY_APP]["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("create table in_the_way (id int)")
    lines: list[str] = []
    with pytest.raises(HerokuflyError) as caught:
        database.run(_ctx(make_ctx, plan, lines, copy_on_fly="always"))
    message = caught.value.message
    assert "the copy on Fly Machine" in message and "(exit 1)" in message and "not empty" in message
    assert fake_heroku.apps[HEROKU_APP]["app"]["maintenance"] is False
    assert all(m["state"] == "destroyed" for m in fake_fly.state()["run_machines"].values())
    assert not {remote.SOURCE_ENV, remote.TARGET_ENV} & set(fake_fly.state()["apps"][FLY_APP]["secrets"])
    assert PASSWORD not in message + "".join(lines)


def test_auto_copies_from_here_below_the_threshold(make_ctx, fake_fly, fake_heroku, source, machine_image):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    result = database.run(make_ctx(plan))  # copy_on_fly="auto"
    assert result.details["copy_path"]["path"] == "runner"
    assert "at most 5 GB" in result.details["copy_path"]["why"]
    assert not fake_fly.calls("machine run")


def test_choose_path():
    assert remote.choose_path("auto", 6 * 10**9).on_fly
    assert "above 5 GB" in remote.choose_path("auto", 6 * 10**9).why
    assert not remote.choose_path("auto", 10**9).on_fly
    assert not remote.choose_path("auto", None).on_fly
    assert remote.choose_path("always", 1).on_fly and not remote.choose_path("never", 10**12).on_fly
    with pytest.raises(HerokuflyError):
        remote.choose_path("sometimes", 1)


def test_machine_exit_code_follows_fly_go():
    from herokufly.talk.fly import machine_exit_code
    assert machine_exit_code({"events": [{"type": "start"}]}) is None
    ok = {"type": "exit", "timestamp": 2, "request": {"exit_event": {"exited_at": "x"}}}  # omitempty: 0
    assert machine_exit_code({"events": [ok]}) == 0
    monitor = {"type": "exit", "timestamp": 3, "request": {"MonitorEvent": {"exit_event": {"exit_code": 3}},
                                                          "exit_event": {"exit_code": 1}}}
    assert machine_exit_code({"events": [ok, monitor]}) == 3


def test_auto_above_the_threshold_copies_on_a_machine(make_ctx, fake_fly, fake_heroku, source,
                                                      machine_image, monkeypatch):
    monkeypatch.setattr(remote, "COPY_ON_FLY_BYTES", 1000)  # the 700-row source is larger
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    result = database.run(make_ctx(plan))
    assert result.details["copy_path"]["path"] == "fly-machine"
    assert "above 1e-06 GB" in result.details["copy_path"]["why"]
    assert len(fake_fly.calls("machine run")) == 1


def test_a_target_outside_fly_cannot_be_copied_on_a_machine(make_ctx, fake_fly, fake_heroku, source,
                                                            machine_image, monkeypatch, pg15):
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    monkeypatch.setenv(database.TARGET_URL_ENV, pg15.create_database("t_" + uuid.uuid4().hex[:8]))
    with pytest.raises(HerokuflyError, match="needs a target inside Fly's network"):
        database.run(make_ctx(plan, copy_on_fly="always"))
    monkeypatch.setattr(remote, "COPY_ON_FLY_BYTES", 1000)
    result = database.run(make_ctx(plan))  # auto: large, but only reachable from here
    assert result.details["copy_path"]["path"] == "runner"
    assert "outside Fly's network" in result.details["copy_path"]["why"]
    assert not fake_fly.calls("machine run")


def test_verification_failed_on_the_machine_is_exit_3_with_its_report(tmp_path, fake_fly, monkeypatch):
    """The image's `herokufly` here is a stand-in that prints progress and a failed report and
    exits 3, as `herokufly db transfer` does on a mismatch: the caller gets VerificationFailed
    (exit 3) with the Machine's report, and the Machine and secrets are gone."""
    from herokufly.base.errors import VerificationFailed

    bindir = tmp_path / "image-bin"
    bindir.mkdir()
    report = '{"ok":false,"verification":{"ok":false,"mismatches":["table public.t: 3 rows on the source, 2 on the target"]}}'
    (bindir / "herokufly").write_text(
        "#!/bin/sh\necho \"copy: done\"\n"
        f"echo '{remote.REPORT_PREFIX}{report}'\nexit 3\n")
    (bindir / "herokufly").chmod(0o755)
    monkeypatch.setenv("FAKE_FLYCTL_MACHINE_PATH", str(bindir))
    monkeypatch.setattr(remote, "POLL_SECONDS", 0.2)
    client = fake_fly.client()
    client.run(["apps", "create", FLY_APP, "--org", "personal"])
    lines: list[str] = []
    job = remote.MachineCopy(app=FLY_APP, region="iad", image=IMAGE)
    with pytest.raises(VerificationFailed) as caught:
        remote.copy_on_fly(client, job, "postgres://u:src-secret@heroku.example:5432/d",
                           "postgres://u:dst-secret@[fdaa::1]:5432/d", say=lines.append)
    assert caught.value.exit_code == 3
    assert "3 rows on the source, 2 on the target" in caught.value.message
    assert caught.value.report["ok"] is False
    assert "[fly machine] copy: done" in lines
    assert not any(remote.REPORT_PREFIX in line for line in lines)
    assert all(m["state"] == "destroyed" for m in fake_fly.state()["run_machines"].values())
    assert not fake_fly.state()["apps"][FLY_APP]["secrets"]
    for entry in fake_fly.log():
        assert "src-secret" not in " ".join(entry["argv"]) and "dst-secret" not in " ".join(entry["argv"])
    assert not any("secret" in line for line in lines)


def test_a_failed_machine_start_still_unsets_the_secrets(tmp_path, fake_fly, monkeypatch):
    monkeypatch.setenv("FAKE_FLYCTL_FAIL", "machine run")
    client = fake_fly.client()
    client.run(["apps", "create", FLY_APP, "--org", "personal"])
    with pytest.raises(HerokuflyError, match="injected failure"):
        remote.copy_on_fly(client, remote.MachineCopy(app=FLY_APP, region="iad", image=IMAGE),
                           "postgres://u:src-secret@heroku.example:5432/d",
                           "postgres://u:dst-secret@[fdaa::1]:5432/d", say=lambda line: None)
    assert not fake_fly.state()["apps"][FLY_APP]["secrets"]
    assert fake_fly.calls("secrets unset")


def test_without_a_release_image_the_copy_stays_here_or_asks_for_one(make_ctx, fake_fly, fake_heroku, source,
                                                                     monkeypatch):
    monkeypatch.setattr(remote, "COPY_ON_FLY_BYTES", 1000)
    assert remote.release_image() is None  # a source checkout is not a release build
    plan = base_plan(redis=None)
    provision.run(make_ctx(plan))
    with pytest.raises(HerokuflyError, match="needs herokufly's image") as caught:
        database.run(make_ctx(plan, copy_on_fly="always"))
    assert "--copy-image" in caught.value.hint
    result = database.run(make_ctx(plan))  # auto: large, but no image to run the copy in
    assert result.details["copy_path"]["path"] == "runner"
    assert "no herokufly image" in result.details["copy_path"]["why"]
    assert not fake_fly.calls("machine run")
