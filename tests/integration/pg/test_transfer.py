"""Transfers between real PostgreSQL servers: 15->15 (host and 17 client tools), 15->17, 17->15.

After each transfer the target must behave like the source, not only hold the same
rows: citext equality, hstore operators and pgcrypto functions resolve through the
database-level search_path with heroku_ext, triggers fire, sequences continue.
"""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest

from herokufly.pg.transfer import TransferOptions, transfer
from herokufly.pg.verify import verify
from tests.integration.pg.conftest import run_cli, scalar

pytestmark = pytest.mark.integration


def assert_behaves_like_source(source_url: str, target_url: str) -> None:
    # New sessions: only the database-level search_path makes heroku_ext's names visible.
    with psycopg.connect(target_url, autocommit=True) as t:
        one = lambda sql, *p: t.execute(sql, p or None).fetchone()[0]  # noqa: E731
        assert one("SHOW search_path") == '"$user", public, heroku_ext'
        # citext: case-insensitive equality through the heroku_ext operator.
        assert one("SELECT count(*) FROM users WHERE email = 'ALICE@example.COM'") == 1
        # hstore operator and pgcrypto functions, unqualified.
        assert one("SELECT attrs -> 'plan' FROM users WHERE email = 'alice@example.com'") == "pro"
        assert one("SELECT password_hash = crypt('secret', password_hash) FROM users"
                   " WHERE email = 'alice@example.com'") is True
        assert one("SELECT encode(digest('abc', 'sha256'), 'hex')") == hashlib.sha256(b"abc").hexdigest()
        # The trigger fires on the target.
        assert one("UPDATE orders SET note = 'changed' WHERE id = (SELECT min(id) FROM orders)"
                   " RETURNING updated_at") is not None
        # Generated and identity columns: same values, still generated on insert.
        q = "SELECT sum(total_cents) FROM orders"
        assert one(q) == scalar(source_url, q)
        assert one("INSERT INTO audit_log (logged_at, message) VALUES (now(), 'x') RETURNING seq") == \
            scalar(source_url, "SELECT max(seq) FROM audit_log") + 1
        # The enum still refuses unknown values and keeps its order; enum arrays survived.
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            t.execute("INSERT INTO orders (user_id, status, total, created_at)"
                      " VALUES (1, 'bogus', 1, now())")
        assert one("SELECT 'paid'::order_status < 'shipped'::order_status") is True
        assert one("SELECT count(*) FROM users WHERE past_statuses = ARRAY['new','paid']::order_status[]") \
            == scalar(source_url, "SELECT count(*) FROM users WHERE past_statuses = ARRAY['new','paid']::order_status[]")
        # Sequences continue after the source's gaps instead of reusing ids.
        src_last = scalar(source_url, "SELECT last_value FROM users_id_seq")
        assert one("SELECT nextval('users_id_seq')") == src_last + 1
        assert one("SELECT nextval('billing.invoice_numbers')") == \
            scalar(source_url, "SELECT last_value FROM billing.invoice_numbers") + 1
        # Large objects with their OIDs and bytes (one spans several 1 MB pieces).
        for title in ("small", "empty", "big"):
            q = f"SELECT content, md5(lo_get(content)) FROM documents WHERE title = '{title}'"
            assert t.execute(q).fetchone() == tuple(psycopg.connect(source_url).execute(q).fetchone())
        # Materialized view populated, with its unique index usable for a concurrent refresh.
        assert one("SELECT sum(orders) FROM user_order_totals") == \
            scalar(source_url, "SELECT sum(orders) FROM user_order_totals")
        t.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY user_order_totals")
        # Partition routing, the partitioned primary key and the foreign keys.
        t.execute("INSERT INTO events VALUES (-1, '2025-06-01', 'view', '{}')")
        assert one("SELECT count(*) FROM events_2025 WHERE id = -1") == 1
        with pytest.raises(psycopg.errors.UniqueViolation):
            t.execute("INSERT INTO events VALUES (-1, '2025-06-01', 'view', '{}')")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            t.execute("INSERT INTO orders (user_id, total, created_at) VALUES (-5, 1, now())")
        # Quoted mixed-case identifiers in another schema; jsonb and bytea values.
        assert one('SELECT sum("Amount") FROM billing."Invoices"') == \
            scalar(source_url, 'SELECT sum("Amount") FROM billing."Invoices"')
        q = "SELECT md5(string_agg(profile::text || coalesce(encode(avatar, 'hex'), '-'), ',' ORDER BY id)) FROM users"
        assert one(q) == scalar(source_url, q)
        assert one('SELECT count(*) FROM billing."Unpaid"') == \
            scalar(source_url, 'SELECT count(*) FROM billing."Unpaid"')
        # Comments came along; owners did not (everything belongs to the target's user).
        assert one("SELECT obj_description('public.users'::regclass, 'pg_class')") == "People who can sign in"
        assert one("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE n.nspname IN ('public', 'billing') AND c.relowner <> (SELECT oid FROM pg_roles"
                   " WHERE rolname = current_user)") == 0
        # The herokufly marker is gone.
        assert one("SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                   " WHERE datname = current_database()") is None


def test_transfer_15_to_15_with_host_tools(pg15, make_db):
    source = make_db(pg15, fill_rows=3000)
    with psycopg.connect(source.url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_log SET (autovacuum_enabled = false, fillfactor = 90)")
        conn.execute("ALTER TABLE orders SET (fillfactor = 80)")
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(jobs=2, verify="checksums",
                                                              split_bytes=64 * 1024))
    assert report.ok and report.verification.ok
    names = {t.name: t.rows for t in report.tables}
    assert names["public.orders"] == scalar(source.url, "SELECT count(*) FROM orders") > 0
    assert names["billing.empty_refunds"] == 0
    assert report.large_objects == 3
    assert {"preflight", "schema", "copy", "constraints", "verify (checksums)"} <= set(report.phases)
    json.dumps(report.to_dict())  # JSON-able
    assert_behaves_like_source(source.url, target.url)
    # Storage parameters as on the source: autovacuum was paused only during the load.
    q = ("SELECT string_agg(c.relname || coalesce(array_to_string(c.reloptions, ','), ''), ' '"
         " ORDER BY c.relname) FROM pg_class c WHERE c.relnamespace IN ('public'::regnamespace,"
         " 'billing'::regnamespace) AND c.relkind = 'r'")
    assert scalar(target.url, q) == scalar(source.url, q)
    assert "audit_logautovacuum_enabled=false" in scalar(target.url, q)


def test_transfer_client_17_into_server_15(pg15, make_db, pg17_client):
    """pg_dump 17 writes `SET transaction_timeout`, unknown to 15: it must not cause errors."""
    source = make_db(pg15, fill_rows=1500)
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(verify="counts", pg_bindir=pg17_client))
    assert report.client_version.startswith("17")
    assert report.ok
    assert_behaves_like_source(source.url, target.url)


def test_transfer_15_to_17(pg15, pg17, make_db):
    source = make_db(pg15, fill_rows=1500)
    target = make_db(pg17)
    report = transfer(source.url, target.url, TransferOptions(verify="checksums"))
    assert (report.source_version.split(".")[0], report.target_version.split(".")[0]) == ("15", "17")
    assert report.ok
    assert_behaves_like_source(source.url, target.url)


def test_transfer_17_to_15_uses_client_17(pg15, pg17, make_db, pg17_client):
    source = make_db(pg17, fill_rows=1500)
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(verify="checksums"))
    assert report.client_version.startswith("17")  # 15's pg_dump cannot dump a 17 server
    assert any("older than the source" in n for n in report.notes)
    assert report.ok
    assert_behaves_like_source(source.url, target.url)


def test_cli_transfer_json_then_verify(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=800)
    target = make_db(pg15)
    result = run_cli("db", "transfer", "--from", source.url, "--to", target.url, "--jobs", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["verification"]["ok"] is True
    assert {t["name"] for t in data["tables"]} >= {"public.users", "billing.Invoices", "public.events_2024"}
    assert all({"name", "rows", "bytes"} <= set(t) for t in data["tables"])
    assert data["throughput_mb_s"] >= 0 and data["phases"]
    for output in (result.stdout, result.stderr):
        assert canary not in output

    again = run_cli("db", "verify", "--from", source.url, "--to", target.url, "--checksums")
    assert again.returncode == 0, again.stderr
    assert "verification: OK" in again.stdout
    assert canary not in again.stdout + again.stderr


def test_verify_reports_injected_mismatch_exit_3(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=500)
    target = make_db(pg15)
    transfer(source.url, target.url, TransferOptions(verify="none"))
    assert verify(source.url, target.url).ok
    # One row fewer in one table, one changed value in another, one sequence moved.
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute("DELETE FROM audit_log WHERE ctid = (SELECT min(ctid) FROM audit_log)")
        conn.execute('UPDATE billing."Invoices" SET "Amount" = "Amount" + 1 WHERE "Id" = (SELECT min("Id") FROM billing."Invoices")')
        conn.execute("SELECT nextval('users_id_seq')")
    counts = run_cli("db", "verify", "--from", source.url, "--to", target.url)
    assert counts.returncode == 3, counts.stdout + counts.stderr
    assert "public.audit_log" in counts.stderr and "users_id_seq" in counts.stdout
    assert "billing.Invoices" not in counts.stderr  # same row count: only checksums see it
    sums = run_cli("db", "verify", "--from", source.url, "--to", target.url, "--checksums", "--json")
    assert sums.returncode == 3
    data = json.loads(sums.stdout)
    assert set(data["mismatched_tables"]) == {"public.audit_log", "billing.Invoices"}
    assert canary not in counts.stdout + counts.stderr + sums.stdout + sums.stderr


def test_cli_in_github_actions_groups_phases_and_keeps_json_clean(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=300)
    target = make_db(pg15)
    result = run_cli("db", "transfer", "--from", source.url, "--to", target.url, "--json",
                     env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 0, result.stderr
    assert "::group::copy" in result.stderr and "::endgroup::" in result.stderr
    # stdout is the JSON report alone; the masks go to the runner on stderr.
    assert json.loads(result.stdout)["ok"] is True
    assert f"::add-mask::{canary}" in result.stderr
    # The password reaches the runner only to be masked.
    assert canary not in result.stdout
    assert all(ln.startswith("::add-mask::") for ln in result.stderr.splitlines() if canary in ln)


def test_transfer_of_an_empty_database(pg15, make_db):
    source = make_db(pg15)
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(verify="checksums"))
    assert report.ok and report.tables == [] and report.verification.tables == []


def test_server_output_formats_of_the_source_do_not_change_values(pg15, make_db):
    """Rows of a table copied as text (an enum array forces text) keep their dates although
    the source's sessions default to another DateStyle and IntervalStyle than the target's."""
    source = make_db(pg15, fill_rows=300)
    pg15.execute(f"ALTER ROLE {source.role} SET datestyle = 'SQL, DMY'")
    pg15.execute(f"ALTER ROLE {source.role} SET intervalstyle = 'sql_standard'")
    pg15.execute(f"ALTER ROLE {source.role} SET extra_float_digits = -3")
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(verify="checksums"))
    assert report.ok
    q = ("SELECT md5(string_agg(to_char(last_seen_on, 'YYYY-MM-DD') || extract(epoch FROM created_at),"
         " ',' ORDER BY id)) FROM users")
    assert scalar(target.url, q) == scalar(source.url, q)
