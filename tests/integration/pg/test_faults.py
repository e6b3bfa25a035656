"""Failures a user meets: each gives one clear line, changes nothing it should not, and leaks
no password; an interrupted transfer can simply be run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from herokufly.base.errors import DatabaseError
from herokufly.pg.preflight import preflight
from herokufly.pg.transfer import TransferOptions, transfer
from herokufly.pg.verify import verify
from tests import pgserver
from tests.conftest import PG17_ROOT
from tests.integration.pg.conftest import REPO, run_cli, scalar

pytestmark = pytest.mark.integration


def relation_names(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {r[0] for r in conn.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%'").fetchall()}


def test_non_empty_target_needs_force(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=300)
    target = make_db(pg15)
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE precious (id int)")
        conn.execute("INSERT INTO precious VALUES (42)")
    before = relation_names(target.url)

    result = run_cli("db", "transfer", "--from", source.url, "--to", target.url)
    assert result.returncode == 1
    assert "not empty" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert relation_names(target.url) == before  # nothing changed
    assert scalar(target.url, "SELECT id FROM precious") == 42
    assert canary not in result.stdout + result.stderr

    forced = run_cli("db", "transfer", "--from", source.url, "--to", target.url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "public.precious" not in relation_names(target.url)
    assert verify(source.url, target.url, checksums=True).ok


def test_wrong_password_and_unreachable_source_reported_together(pg15, make_db, canary):
    target = make_db(pg15)
    wrong = target.url.replace(canary, canary + "-wrong")
    unreachable = f"postgres://someone:{canary}@127.0.0.1:{pgserver.free_port()}/nothing"
    result = run_cli("db", "transfer", "--from", unreachable, "--to", wrong)
    assert result.returncode == 1
    err = result.stderr
    assert "2 problems" in err
    assert "cannot reach the source database" in err
    assert "target database" in err and "refused the password" in err
    assert [ln for ln in err.splitlines() if ln.startswith("error:")] == [err.splitlines()[-1]]
    assert "Traceback" not in err
    assert canary not in result.stdout + err


def test_target_missing_an_extension_is_refused_in_preflight(pg15, pg17, make_db, canary):
    # An extension only the PostgreSQL 17 server has.
    extdir = os.path.join(PG17_ROOT, "usr/share/postgresql/17/extension")
    with open(os.path.join(extdir, "herokufly_probe.control"), "w") as fh:
        fh.write("comment = 'test only'\ndefault_version = '1.0'\nrelocatable = true\ntrusted = true\n")
    with open(os.path.join(extdir, "herokufly_probe--1.0.sql"), "w") as fh:
        fh.write("CREATE FUNCTION herokufly_probe() RETURNS int LANGUAGE sql AS 'SELECT 1';\n")
    source = make_db(pg17, fill_rows=200)
    with psycopg.connect(source.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION herokufly_probe SCHEMA heroku_ext")
        # A column default needs it: leaving the extension out would break the table, so it
        # is a problem, not a skip (pg/extensions.py).
        conn.execute("CREATE TABLE probe_use (n int DEFAULT heroku_ext.herokufly_probe())")
    target = make_db(pg15)
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE in_the_way (id int)")

    with pytest.raises(DatabaseError) as info:
        preflight(source.url, target.url)
    message = info.value.one_line()
    # Both problems at once, each with what to do.
    assert "herokufly_probe" in message and "does not have it installed" in message
    assert "default value for column n of table probe_use" in message
    assert "not empty" in message and "--force" in message
    assert relation_names(target.url) == {"public.in_the_way"}

    result = run_cli("db", "transfer", "--from", source.url, "--to", target.url, "--force")
    assert result.returncode == 1 and "herokufly_probe" in result.stderr
    assert relation_names(target.url) == {"public.in_the_way"}
    assert canary not in result.stdout + result.stderr


def _slow_copy_into_orders(target_url: str, owner: str) -> None:
    """Make COPY into public.orders crawl on the target, so a transfer can be caught mid-copy.

    The functions belong to the target's user (so the next run's cleaning may drop them);
    only the event trigger needs the superuser."""
    with psycopg.connect(target_url, autocommit=True) as conn:
        conn.execute("""
            CREATE SCHEMA testhook;
            CREATE FUNCTION testhook.slow_row() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$;
            CREATE FUNCTION testhook.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
                         WHERE command_tag = 'CREATE TABLE' AND object_identity = 'public.orders' LOOP
                    EXECUTE 'CREATE TRIGGER slow BEFORE INSERT ON public.orders'
                            ' FOR EACH ROW EXECUTE FUNCTION testhook.slow_row()';
                END LOOP;
            END $$;
            CREATE EVENT TRIGGER slow_orders ON ddl_command_end EXECUTE FUNCTION testhook.on_ddl();
        """)
        conn.execute(f"ALTER SCHEMA testhook OWNER TO {owner}")
        conn.execute(f"ALTER FUNCTION testhook.slow_row() OWNER TO {owner}")


def _remove_slow_copy(target_url: str) -> None:
    # Only the event trigger: the slow row trigger stays on the half-filled orders table,
    # whose interrupted COPY session may still hold it; the next run must cope with that.
    with psycopg.connect(target_url, autocommit=True) as conn:
        conn.execute("DROP EVENT TRIGGER IF EXISTS slow_orders")


def _copying_into_orders(admin_url: str, dbname: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return bool(conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query LIKE 'COPY %%orders%%'"
            " AND state = 'active'", (dbname,)).fetchone()[0])


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except (OSError, ValueError):
            continue
        # Client tools only (server backends show the database name in their title).
        if os.path.basename(args[0]) in (b"psql", b"pg_dump", b"setpriv", b"chroot") \
                and any(text.encode() in a for a in args):
            found.append(int(pid))
    return found


def _start_transfer(source_url: str, target_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "herokufly", "db", "transfer", "--from", source_url, "--to", target_url,
         "--jobs", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"})


def _wait_for_copy(proc: subprocess.Popen, admin_url: str, dbname: str) -> None:
    deadline = time.monotonic() + 120
    while not _copying_into_orders(admin_url, dbname):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the transfer never reached the copy of orders"
        time.sleep(0.1)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_interrupted_during_copy_then_run_again(pg15, make_db, canary, how):
    source = make_db(pg15, fill_rows=3000)
    target = make_db(pg15)
    source_before = verify(source.url, source.url, checksums=True)
    as_superuser = pg15.url(target.name)  # event triggers need a superuser
    _slow_copy_into_orders(as_superuser, target.role)

    proc = _start_transfer(source.url, target.url)
    _wait_for_copy(proc, pg15.url(), target.name)
    proc.send_signal(getattr(signal, how))
    out, err = proc.communicate(timeout=60)
    if how == "SIGTERM":
        assert proc.returncode == 130
        assert "Interrupted" in err and "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert canary not in out + err
    # No client process outlives the transfer (they die with it even on SIGKILL).
    deadline = time.monotonic() + 30
    while _processes_mentioning(target.name):
        assert time.monotonic() < deadline, "a psql outlived the transfer"
        time.sleep(0.2)
    if how == "SIGTERM":
        # A clean stop also ends its server sessions. After SIGKILL a COPY whose client
        # vanished can never commit; the next run ends such sessions before cleaning.
        assert not _copying_into_orders(pg15.url(), target.name)

    # The target says it is a partial herokufly copy; the source is untouched.
    assert scalar(target.url, "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                              " WHERE datname = current_database()").startswith("herokufly:")
    after = verify(source.url, source.url, checksums=True)
    assert [(t.name, t.source_rows, t.source_checksum) for t in after.tables] == \
        [(t.name, t.source_rows, t.source_checksum) for t in source_before.tables]

    _remove_slow_copy(as_superuser)
    again = run_cli("db", "transfer", "--from", source.url, "--to", target.url)  # no --force needed
    assert again.returncode == 0, again.stderr
    assert "verification: OK" in again.stdout
    assert verify(source.url, target.url, checksums=True).ok
    assert canary not in again.stdout + again.stderr


def test_transfer_refuses_same_database(pg15, make_db):
    db = make_db(pg15, fill_rows=100)
    with pytest.raises(DatabaseError, match="same database"):
        transfer(db.url, db.url, TransferOptions())


def test_target_user_must_own_the_target_database(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=100)
    target = make_db(pg15)
    pg15.execute(f'ALTER DATABASE "{target.name}" OWNER TO postgres')
    pg15.execute(f'GRANT ALL ON DATABASE "{target.name}" TO {target.role}')
    with pytest.raises(DatabaseError) as info:
        preflight(source.url, target.url)
    assert f"does not own the database {target.name}" in info.value.one_line()
    assert canary not in info.value.one_line()


def test_client_tools_too_old_for_the_source_are_refused_in_preflight(pg15, pg17, make_db):
    source = make_db(pg17, fill_rows=100)
    target = make_db(pg15)
    host_15 = pgserver.host_bindir(15)
    with pytest.raises(DatabaseError) as info:
        transfer(source.url, target.url, TransferOptions(pg_bindir=host_15))
    assert "cannot dump a PostgreSQL 17 server" in info.value.one_line()
    assert relation_names(target.url) == set()


def test_transfer_that_loses_a_row_exits_3_and_can_be_redone(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=300)
    target = make_db(pg15)
    as_superuser = pg15.url(target.name)
    # On the target only: a trigger that silently drops one audit_log row during the load.
    with psycopg.connect(as_superuser, autocommit=True) as conn:
        conn.execute("""
            CREATE SCHEMA testhook;
            CREATE FUNCTION testhook.drop_one() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.seq = 7 THEN RETURN NULL; END IF; RETURN NEW; END $$;
            CREATE FUNCTION testhook.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
                         WHERE command_tag = 'CREATE TABLE' AND object_identity = 'public.audit_log' LOOP
                    EXECUTE 'CREATE TRIGGER lose BEFORE INSERT ON public.audit_log'
                            ' FOR EACH ROW EXECUTE FUNCTION testhook.drop_one()';
                END LOOP;
            END $$;
            CREATE EVENT TRIGGER lose_a_row ON ddl_command_end EXECUTE FUNCTION testhook.on_ddl();
        """)
        conn.execute(f"ALTER SCHEMA testhook OWNER TO {target.role}")
        conn.execute(f"ALTER FUNCTION testhook.drop_one() OWNER TO {target.role}")

    result = run_cli("db", "transfer", "--from", source.url, "--to", target.url, "--json")
    assert result.returncode == 3, result.stderr
    assert "public.audit_log" in result.stderr.splitlines()[-1]
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["verification"]["mismatched_tables"] == ["public.audit_log"]
    assert canary not in result.stdout + result.stderr
    assert scalar(target.url, "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                              " WHERE datname = current_database()").startswith("herokufly:")

    with psycopg.connect(as_superuser, autocommit=True) as conn:
        conn.execute("DROP EVENT TRIGGER lose_a_row")
    again = run_cli("db", "transfer", "--from", source.url, "--to", target.url)
    assert again.returncode == 0, again.stderr
    assert verify(source.url, target.url, checksums=True).ok
