"""Extensions the target cannot create, with real PostgreSQL.

The source is Heroku-like: pg_stat_statements in `heroku_ext` (Heroku installs it as a
superuser; CREATE EXTENSION works without shared_preload_libraries, only reading it needs
that), a view reading it and a view on that view. The target refuses it the way Fly's
Managed Postgres does: its user is not a superuser (pg_stat_statements is not a trusted
extension, so only a superuser may create it), and Fly's list does not offer it
(herokufly/data/fly_pg_extensions.json).
"""

from __future__ import annotations

import psycopg
import pytest

from herokufly.base.errors import DatabaseError
from herokufly.pg import extensions
from herokufly.pg.transfer import TransferOptions, transfer
from herokufly.pg.verify import verify
from tests.integration.pg.conftest import run_cli, scalar

pytestmark = pytest.mark.integration

STATS_VIEWS = """
CREATE VIEW public.slow_queries AS
  SELECT query, calls FROM heroku_ext.pg_stat_statements WHERE mean_exec_time > 100;
CREATE VIEW public.slowest_query AS SELECT query FROM public.slow_queries ORDER BY calls DESC LIMIT 1;
CREATE MATERIALIZED VIEW public."Query Stats" AS SELECT count(*) AS n FROM heroku_ext.pg_stat_statements
  WITH NO DATA;
COMMENT ON VIEW public.slow_queries IS 'for the ops dashboard';
COMMENT ON COLUMN public.slow_queries.calls IS 'how often';
"""


def add_pg_stat_statements(db) -> None:
    """As Heroku does: created by a superuser in heroku_ext, readable by the app's role."""
    db.server.execute("CREATE EXTENSION pg_stat_statements SCHEMA heroku_ext", dbname=db.name)
    db.server.execute(f"GRANT USAGE ON SCHEMA heroku_ext TO {db.role}", dbname=db.name)
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(STATS_VIEWS)


def test_fly_list_is_dated_and_sourced_and_leaves_out_pg_stat_statements():
    data = extensions.fly_allow_list()
    assert data["read_on"] and "fly.io/docs/mpg/extensions" in data["source"]
    creatable = extensions.fly_creatable()
    assert "pg_stat_statements" not in creatable
    assert {"citext", "hstore", "pgcrypto", "pg_stat_monitor", "plpgsql"} <= creatable


def test_pg_stat_statements_left_out_everything_else_verifies(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=300)
    add_pg_stat_statements(source)
    target = make_db(pg15)

    report = transfer(source.url, target.url, TransferOptions(
        jobs=2, verify="checksums", allowed_extensions=extensions.fly_creatable(),
        allowed_source="Fly Managed Postgres"))

    assert report.ok and report.verification.ok, report.verification.mismatches
    assert [e["name"] for e in report.skipped_extensions] == ["pg_stat_statements"]
    skipped = report.skipped_extensions[0]
    assert skipped["schema"] == "heroku_ext"
    assert set(skipped["views"]) == {"public.slow_queries", "public.slowest_query", "public.Query Stats"}
    note = next(n for n in report.notes if "pg_stat_statements" in n)
    assert "left out" in note and "Fly Managed Postgres does not offer it" in note
    # Not on the target; the other heroku_ext extensions are, and still work.
    names = lambda url: {r for r in scalar(url, "SELECT array_agg(extname::text) FROM pg_extension")}  # noqa: E731
    assert "pg_stat_statements" not in names(target.url)
    assert {"citext", "hstore", "pgcrypto"} <= names(target.url)
    assert scalar(target.url, "SELECT count(*) FROM users WHERE email = 'ALICE@example.COM'") == 1
    assert scalar(target.url, "SELECT count(*) FROM pg_class WHERE relname IN"
                              " ('slow_queries', 'slowest_query', 'Query Stats')") == 0
    assert scalar(target.url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'heroku_ext'") == 1
    # A plain verify (which knows nothing of the plan) does see the difference: the skip is
    # scoped to the transfer that decided it.
    plain = verify(source.url, target.url)
    assert not plain.ok and any("pg_stat_statements" in m for m in plain.mismatches)
    assert report.verification.skipped == ["pg_stat_statements", "public.Query Stats",
                                           "public.slow_queries", "public.slowest_query"]


def test_target_user_alone_refuses_it_without_a_platform_list(pg15, make_db):
    """No allow-list: the target server decides; a non-superuser cannot create it."""
    source = make_db(pg15, fill_rows=50)
    add_pg_stat_statements(source)
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(jobs=2))
    assert report.ok
    reason = report.skipped_extensions[0]["reason"]
    assert "only a superuser may create it" in reason and target.role in reason


def test_empty_heroku_ext_and_only_pg_stat_statements_in_it(pg15, make_db):
    source = make_db(pg15)
    with psycopg.connect(source.url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA heroku_ext")
        conn.execute(f'ALTER DATABASE "{source.name}" SET search_path TO "$user", public, heroku_ext')
        conn.execute("CREATE TABLE notes (id bigserial PRIMARY KEY, body text)")
        conn.execute("INSERT INTO notes (body) SELECT 'n' || g FROM generate_series(1, 25) g")
    empty_target = make_db(pg15)
    report = transfer(source.url, empty_target.url, TransferOptions(jobs=2))
    assert report.ok and report.skipped_extensions == []
    assert scalar(empty_target.url, "SHOW search_path") == '"$user", public, heroku_ext'

    db_with_stats = make_db(pg15)
    db_with_stats.server.execute("CREATE SCHEMA heroku_ext", dbname=db_with_stats.name)
    db_with_stats.server.execute("CREATE EXTENSION pg_stat_statements SCHEMA heroku_ext",
                                 dbname=db_with_stats.name)
    target = make_db(pg15)
    report = transfer(db_with_stats.url, target.url, TransferOptions(
        jobs=2, allowed_extensions=extensions.fly_creatable()))
    assert report.ok and [e["name"] for e in report.skipped_extensions] == ["pg_stat_statements"]
    assert scalar(target.url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'heroku_ext'") == 1


def test_extension_the_tables_need_is_a_preflight_problem_nothing_changed(pg15, make_db):
    """hstore holds data in users.attrs: leaving it out would lose it, so preflight stops,
    listing every problem at once (here also citext, not on this pretend list)."""
    source = make_db(pg15, fill_rows=20)
    target = make_db(pg15)
    allowed = extensions.fly_creatable() - {"hstore", "citext"}
    with pytest.raises(DatabaseError) as caught:
        transfer(source.url, target.url, TransferOptions(jobs=2, allowed_extensions=allowed,
                                                         allowed_source="Fly Managed Postgres"))
    message = caught.value.message
    assert "preflight found 2 problems, nothing was changed" in message
    assert "extension hstore" in message and "extension citext" in message
    assert "column attrs of table users" in message
    # v0.4.87: internal/command/mpg/databases.go adds extensions.go's commands under `databases`.
    assert "fly mpg databases extensions enable hstore --cluster <id> --schema heroku_ext" in message
    assert scalar(target.url, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid ="
                              " c.relnamespace WHERE n.nspname = 'public'") == 0


def test_platform_extensions_on_the_target_are_not_a_difference(pg15, make_db):
    """Fly preinstalls pg_stat_monitor and pgaudit; here the target has one the source lacks
    (created by a superuser, so its user cannot drop it). The target counts as empty, the
    copy verifies, and a re-run after a failure cleans without dropping it."""
    source = make_db(pg15, fill_rows=30)
    target = make_db(pg15)
    target.server.execute("CREATE EXTENSION pg_buffercache", dbname=target.name)
    report = transfer(source.url, target.url, TransferOptions(jobs=2))
    assert report.ok and report.verification.ok
    # The same target again, as after a failed verification (marker still there): cleaned,
    # the platform's extension kept.
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{target.name}\" IS 'herokufly: transfer in progress'")
    again = transfer(source.url, target.url, TransferOptions(jobs=2))
    assert again.ok
    assert scalar(target.url, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_buffercache'") == 1


def test_cli_json_reports_the_left_out_extension_without_secrets(pg15, make_db, canary):
    source = make_db(pg15, fill_rows=20)
    add_pg_stat_statements(source)
    target = make_db(pg15)
    proc = run_cli("db", "transfer", "--json", "--jobs", "2",
                   env={"HEROKUFLY_DB_FROM": source.url, "HEROKUFLY_DB_TO": target.url})
    assert proc.returncode == 0, proc.stderr
    assert canary not in proc.stdout + proc.stderr
    assert '"pg_stat_statements"' in proc.stdout


def test_cli_allowed_extensions_list(pg15, make_db):
    """`--allowed-extensions` (what the Machine copy gets from the cluster's own list)."""
    source = make_db(pg15, fill_rows=20)
    source.server.execute("CREATE EXTENSION pg_trgm SCHEMA heroku_ext", dbname=source.name)
    target = make_db(pg15)
    proc = run_cli("db", "transfer", "--json", "--jobs", "2", "--allowed-extensions", "citext,hstore,pgcrypto",
                   env={"HEROKUFLY_DB_FROM": source.url, "HEROKUFLY_DB_TO": target.url})
    assert proc.returncode == 0, proc.stderr
    import json
    report = json.loads(proc.stdout)
    assert [(e["name"], e["reason"]) for e in report["skipped_extensions"]] == \
        [("pg_trgm", "the target platform does not offer it")]
    assert report["verification"]["ok"] and "pg_trgm" in report["verification"]["skipped"]


def test_an_index_using_the_extension_blocks_it(pg15, make_db):
    """pg_trgm alone is left out; a GIN index with its operator class makes it a problem."""
    source = make_db(pg15, fill_rows=20)
    source.server.execute("CREATE EXTENSION pg_trgm SCHEMA heroku_ext", dbname=source.name)
    with psycopg.connect(source.url, autocommit=True) as conn:
        conn.execute("CREATE INDEX users_email_trgm ON users USING gin (email heroku_ext.gin_trgm_ops)")
    target = make_db(pg15)
    with pytest.raises(DatabaseError) as caught:
        transfer(source.url, target.url, TransferOptions(jobs=2, allowed_extensions={"citext", "hstore",
                                                                                     "pgcrypto"}))
    assert "extension pg_trgm" in caught.value.message
    assert "index users_email_trgm" in caught.value.message


CONTRIB = ["btree_gin", "btree_gist", "citext", "cube", "dblink", "earthdistance", "fuzzystrmatch",
           "hstore", "intarray", "isn", "lo", "ltree", "pg_stat_statements", "pg_trgm", "pgcrypto",
           "postgres_fdw", "seg", "tablefunc", "tcn", "tsm_system_rows", "unaccent", "uuid-ossp"]


def test_any_unused_extension_is_left_out_cleanly(pg15, make_db):
    """Every contrib extension a Heroku app may have, none used by a table: with an empty
    allow-list each is left out (its members, casts, operator families... are its own), and the
    copy verifies."""
    source = make_db(pg15)
    for name in CONTRIB:
        source.server.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}" CASCADE', dbname=source.name)
    with psycopg.connect(source.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        conn.execute("INSERT INTO t SELECT generate_series(1, 10)")
    target = make_db(pg15)
    report = transfer(source.url, target.url, TransferOptions(jobs=2, allowed_extensions=set()))
    assert report.ok and report.verification.ok
    assert sorted(e["name"] for e in report.skipped_extensions) == sorted(CONTRIB)
    assert scalar(target.url, "SELECT count(*) FROM t") == 10


def test_postgres_17_source_and_target(pg17, make_db):
    """Heroku's current default major: the same leave-out on PostgreSQL 17 (pg_dump 17)."""
    source = make_db(pg17, fill_rows=50)
    add_pg_stat_statements(source)
    target = make_db(pg17)
    report = transfer(source.url, target.url, TransferOptions(
        jobs=2, allowed_extensions=extensions.fly_creatable(), allowed_source="Fly Managed Postgres"))
    assert report.ok and [e["name"] for e in report.skipped_extensions] == ["pg_stat_statements"]
    assert report.target_version.startswith("17")
