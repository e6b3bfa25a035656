"""The migration state carried in the progress comment: signed, read back strictly, restored.

Attack 4 of issue 10 (docs/security.md): a forged, edited, unsigned, foreign or future-dated
state is refused with one line, and restores nothing."""

from __future__ import annotations

import copy
import json

import pytest

from herokufly.pr import comment, events, signing, state_sync
from herokufly.act.state import MigrationState

HEROKU_APP, FLY_APP = "acme-phoenix", "acme-phoenix-pr"
KEY = "k" * 64


@pytest.fixture
def state(tmp_path) -> MigrationState:
    """A state as the stages leave it after cutover (formation recorded, a secret tracked)."""
    s = MigrationState.load(tmp_path / "a" / "state.json", heroku_app=HEROKU_APP, fly_app=FLY_APP)
    for name in ("provision", "secrets", "database", "deploy", "domains", "cutover"):
        s.mark(name, "running")
        s.mark(name, "done", summary=f"{name} ok")
    s.record("postgres", {"kind": "managed", "cluster_id": "c-1", "name": f"{FLY_APP}-db"})
    s.record_secret("SECRET_KEY_BASE", fly_digest="abcd", fingerprint=s.fingerprint("SECRET_KEY_BASE", "v"))
    s.heroku["formation_before_cutover"] = {"web": 2, "worker": 1}
    s.save()
    return s


def progress_with(carried) -> dict:
    progress = comment.new_progress(app=FLY_APP, heroku_app=HEROKU_APP, command=events.Command("migrate"),
                                    actor="alice", head_sha="a" * 40)
    progress[state_sync.KEY] = carried
    return progress


def round_trip(carried) -> dict:
    """Through the real comment body, as the next workflow run reads it."""
    body = comment.render(progress_with(carried))
    return comment.decode(body)[state_sync.KEY]


def test_the_carried_copy_has_no_salt_fingerprint_or_digest(state):
    carried = state_sync.capture(state.path, KEY)
    text = json.dumps(carried)
    assert "salt" not in carried["state"] and "secrets" not in carried["state"]
    assert state.data["salt"] not in text and "abcd" not in text
    assert state.data["secrets"]["SECRET_KEY_BASE"]["fingerprint"] not in text
    assert carried["state"]["heroku"]["formation_before_cutover"] == {"web": 2, "worker": 1}


def test_restore_into_an_empty_runner(state, tmp_path):
    carried = round_trip(state_sync.capture(state.path, KEY))
    target = tmp_path / "fresh" / ".herokufly" / f"{FLY_APP}.state.json"
    assert state_sync.restore(carried, target, heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY) == "restored"
    again = MigrationState.load(target, heroku_app=HEROKU_APP, fly_app=FLY_APP)
    assert again.heroku["formation_before_cutover"] == {"web": 2, "worker": 1}
    assert again.status("cutover") == "done" and again.created("postgres")["cluster_id"] == "c-1"
    # A fresh salt so fingerprints work; no secret records, so the secrets stage compares afresh.
    assert again.data["salt"] and again.data["salt"] != state.data["salt"] and again.data["secrets"] == {}
    assert again.fingerprint("X", "y")


def test_a_newer_or_equal_local_file_is_kept(state):
    carried = state_sync.capture(state.path, KEY)
    before = state.path.read_text()
    assert state_sync.restore(carried, state.path, heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY) == "kept"
    assert state.path.read_text() == before


def test_an_older_local_file_is_replaced_but_keeps_its_salt_and_fingerprints(state, tmp_path):
    carried = copy.deepcopy(state_sync.capture(state.path, KEY))
    older = json.loads(state.path.read_text())
    older["updated_at"] = "2020-01-01T00:00:00Z"
    older["heroku"] = {}
    local = tmp_path / "older.json"
    local.write_text(json.dumps(older))
    assert state_sync.restore(carried, local, heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY) == "restored"
    data = json.loads(local.read_text())
    assert data["heroku"]["formation_before_cutover"] == {"web": 2, "worker": 1}
    assert data["salt"] == older["salt"] and data["secrets"] == older["secrets"]


def tampered(carried, change) -> dict:
    carried = copy.deepcopy(carried)
    change(carried)
    return carried


@pytest.mark.parametrize("change, why", [
    (lambda c: c["state"]["heroku"].update(formation_before_cutover={"web": 10000}), "signature does not match"),
    (lambda c: c["state"].update(updated_at="2099-01-01T00:00:00Z"), "signature does not match"),
    (lambda c: c.update(v=1), "not signed"),
    (lambda c: c.pop("hmac"), "not signed"),
    (lambda c: c.update(hmac="0" * 64), "signature does not match"),
    (lambda c: c.update(state="garbage"), "signature does not match"),
])
def test_tampered_or_foreign_records_are_refused(state, tmp_path, change, why):
    carried = tampered(state_sync.capture(state.path, KEY), change)
    target = tmp_path / "t.json"
    with pytest.raises(state_sync.Refused, match=why) as refused:
        state_sync.restore(carried, target, heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY)
    assert not target.exists() and "\n" not in refused.value.one_line()


def test_a_record_made_with_the_old_checksum_is_refused(state, tmp_path):
    """Version 1 was a plain SHA-256 anyone could recompute over a far-future, web=10000 state."""
    import hashlib

    data = copy.deepcopy(state_sync.capture(state.path, KEY)["state"])
    data["heroku"]["formation_before_cutover"] = {"web": 10000}
    data["updated_at"] = "2099-01-01T00:00:00Z"
    forged = {"v": 1, "sha256": hashlib.sha256(signing.canonical(data).encode()).hexdigest(), "state": data}
    with pytest.raises(state_sync.Refused, match="not signed"):
        state_sync.restore(forged, tmp_path / "t.json", heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY)


def test_without_a_key_nothing_is_carried_and_nothing_read(state, tmp_path):
    assert state_sync.capture(state.path, None) is None
    with pytest.raises(state_sync.Refused, match="HEROKUFLY_STATE_KEY"):
        state_sync.restore(state_sync.capture(state.path, KEY), tmp_path / "t.json",
                           heroku_app=HEROKU_APP, fly_app=FLY_APP, key=None)
    with pytest.raises(state_sync.Refused, match="signature does not match"):
        state_sync.restore(state_sync.capture(state.path, KEY), tmp_path / "t.json",
                           heroku_app=HEROKU_APP, fly_app=FLY_APP, key="another-" + KEY)


def test_a_consistent_but_malformed_record_is_refused(state, tmp_path):
    """Even a correctly signed record must have the right shape, app and time."""
    def forge(mutate):
        data = copy.deepcopy(state_sync.capture(state.path, KEY)["state"])
        mutate(data)
        return {"v": state_sync.CARRIER_VERSION, "hmac": signing.mac(KEY, "state", data), "state": data}

    cases = [
        (lambda d: d["heroku"].update(formation_before_cutover={"web": -1}), "heroku.formation_before_cutover"),
        (lambda d: d.update(fly_app="someone-else"), "belongs to"),
        (lambda d: d["stages"]["deploy"].update(status="hacked"), "stage 'deploy'"),
        (lambda d: d.update(salt="known"), "secret bookkeeping"),
        (lambda d: d.update(updated_at="tomorrow"), "updated_at"),
        (lambda d: d.update(updated_at="2099-01-01T00:00:00Z"), "in the future"),
    ]
    for mutate, why in cases:
        with pytest.raises(state_sync.Invalid, match=why):
            state_sync.parse(forge(mutate), heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY)
    with pytest.raises(state_sync.Refused):
        state_sync.restore(forge(cases[0][0]), tmp_path / "x.json", heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY)


def test_the_artifact_copy_is_public_and_usable_again(state):
    """Attack 5: the file the artifact uploads has no salt and no fingerprints; the next job adds a fresh salt."""
    salt, fingerprint = state.data["salt"], state.data["secrets"]["SECRET_KEY_BASE"]["fingerprint"]
    assert state_sync.keep_only_public(state.path)
    text = state.path.read_text()
    assert salt not in text and fingerprint not in text and '"salt"' not in text and "abcd" not in text
    state_sync.add_private_fields(state.path)
    again = MigrationState.load(state.path, heroku_app=HEROKU_APP, fly_app=FLY_APP)
    assert again.data["salt"] != salt and again.data["secrets"] == {} and again.fingerprint("X", "y")
    assert again.heroku["formation_before_cutover"] == {"web": 2, "worker": 1}


def test_a_garbled_data_block_is_no_crash(state):
    body = comment.render(progress_with(state_sync.capture(state.path, KEY)))
    start = body.index("herokufly:data ") + len("herokufly:data ")
    garbled = body[:start + 10] + "!!!" + body[start + 13:]
    assert comment.decode(garbled) is None  # the whole record is dropped, the stage then starts afresh
    assert state_sync.restore(None, state.path, heroku_app=HEROKU_APP, fly_app=FLY_APP, key=KEY) == "none"


def test_size_stays_well_under_the_comment_limit(state):
    for i in range(500):  # many re-runs: the event log is trimmed
        state.data["events"].append({"at": "2026-01-01T00:00:00Z", "stage": "deploy", "status": f"done-{i}"})
    state.stage("domains")["domains"] = [
        {"hostname": f"host{i}.acme.test", "status": "Awaiting configuration",
         "records": [{"type": "CNAME", "name": f"host{i}.acme.test", "value": f"{FLY_APP}.fly.dev"}]}
        for i in range(40)]
    state.save()
    carried = state_sync.capture(state.path, KEY)
    assert len(carried["state"]["events"]) == state_sync.MAX_EVENTS
    body = comment.render(progress_with(carried))
    assert len(body) < 30000, len(body)
    assert round_trip(carried) == carried


def test_a_big_database_keeps_only_totals(state):
    """Hundreds of tables must not push the formation out of the comment."""
    tables = [{"name": f"public.t{i}", "rows": i, "bytes": 8192, "seconds": 0.1} for i in range(2000)]
    state.stage("database")["report"] = {"rows": 1999000, "ok": True, "tables": tables,
                                         "verification": {"ok": True, "tables": tables, "mismatches": []}}
    state.save()
    carried = state_sync.capture(state.path, KEY)
    report = carried["state"]["stages"]["database"]["report"]
    assert report["tables_count"] == 2000 and "tables" not in report and report["rows"] == 1999000
    assert report["verification"] == {"ok": True, "tables_count": 2000, "mismatches_count": 0}
    assert carried["state"]["heroku"]["formation_before_cutover"] == {"web": 2, "worker": 1}


def test_a_state_too_big_for_the_comment_is_left_out_with_a_warning(state, capsys):
    state.stage("domains")["domains"] = [{"hostname": "x" * 100, "records": []} for _ in range(400)]
    state.save()
    assert state_sync.capture(state.path, KEY) is None
    assert "too big for the progress comment" in capsys.readouterr().err
