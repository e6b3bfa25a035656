"""Changes to the target database outside the dump: marker, cleaning, database settings.

The marker is the target database's comment while herokufly fills it; a later
run that finds the marker may clean the target and start over. At the end the
comment becomes the source database's comment (usually none).
"""

from __future__ import annotations

import datetime

import psycopg
from psycopg import sql

from herokufly.pg import catalog
from herokufly.pg.catalog import SYSTEM_SCHEMAS_SQL
from herokufly.pg.connect import qualified

# Settings whose value is a list (pg_dump quotes each element of these).
_LIST_SETTINGS = {"search_path", "temp_tablespaces", "local_preload_libraries",
                  "session_preload_libraries", "shared_preload_libraries"}


def set_marker(conn: psycopg.Connection) -> None:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = f"{catalog.MARKER_PREFIX} since {stamp}; re-run herokufly db transfer to clean and refill"
    _comment(conn, text)


def finish(conn: psycopg.Connection, source_comment: str | None) -> None:
    """Remove the marker: the target gets the source database's comment."""
    _comment(conn, source_comment)


def _comment(conn: psycopg.Connection, text: str | None) -> None:
    dbname = conn.info.dbname
    conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
        sql.Identifier(dbname), sql.Literal(text)))


def stop_leftovers(conn: psycopg.Connection) -> int:
    """End herokufly's other sessions on the target (a killed run's COPYs), so cleaning
    does not wait for them. Only sessions of the same user can be ended, which is enough."""
    row = conn.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'herokufly' AND pid <> pg_backend_pid() AND usename = current_user"
    ).fetchone()
    return int(row[0])


def clean(conn: psycopg.Connection) -> None:
    """Drop every application object in the target: schemas, extensions, large objects, settings."""
    stop_leftovers(conn)
    with conn.transaction():
        schemas = [r[0] for r in conn.execute(
            f"SELECT n.nspname FROM pg_namespace n WHERE {SYSTEM_SCHEMAS_SQL} ORDER BY 1").fetchall()]
        public_owner, public_grants = None, []
        if "public" in schemas:
            public_owner = conn.execute(
                "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'").fetchone()[0]
            public_grants = conn.execute(
                "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
                " ELSE a.grantee::regrole::text END"
                " FROM pg_namespace n, aclexplode(n.nspacl) a"
                " WHERE n.nspname = 'public' AND a.grantee <> n.nspowner").fetchall()
        for schema in schemas:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        for (ext,) in conn.execute(
                "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'").fetchall():
            conn.execute(sql.SQL("DROP EXTENSION IF EXISTS {} CASCADE").format(sql.Identifier(ext)))
        if public_owner is not None:
            conn.execute("CREATE SCHEMA public")
            # Both come from the catalog's own regrole text (already quoted).
            conn.execute(f"ALTER SCHEMA public OWNER TO {public_owner}")
            for privilege, grantee in public_grants:
                conn.execute(f"GRANT {privilege} ON SCHEMA public TO {grantee}")
        conn.execute(sql.SQL("ALTER DATABASE {} RESET ALL").format(sql.Identifier(conn.info.dbname)))
    # Large objects in batches: each one takes a lock until commit.
    while True:
        with conn.transaction():
            n = conn.execute("SELECT count(lo_unlink(oid)) FROM (SELECT oid FROM pg_largeobject_metadata"
                             " LIMIT 1000) AS batch").fetchone()[0]
        if not n:
            break


def database_setting_statements(dbname: str, settings: dict[str, str]) -> list[sql.Composed]:
    """`ALTER DATABASE ... SET` for each database-level setting of the source."""
    statements = []
    for name, value in sorted(settings.items()):
        if name in _LIST_SETTINGS:
            values = sql.SQL(", ").join(sql.Literal(v) for v in split_list_setting(value))
        else:
            values = sql.Literal(value)
        statements.append(sql.SQL("ALTER DATABASE {} SET {} TO {}").format(
            sql.Identifier(dbname),
            sql.SQL(".").join(sql.Identifier(part) for part in name.split(".")),
            values))
    return statements


def split_list_setting(value: str) -> list[str]:
    """Split a stored list setting such as `"$user", public, heroku_ext` into its elements."""
    items, current, quoted, i = [], [], False, 0
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == '"' and i + 1 < len(value) and value[i + 1] == '"':
                current.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current).strip())
    return [item for item in items if item != ""]


def pause_autovacuum(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    """Keep autovacuum off the tables being loaded: its locks would stall each index and
    foreign key build for a second (deadlock_timeout) before it gives way. Tables whose
    dump sets autovacuum_enabled itself are left alone. Returns the tables paused."""
    explicit = {qualified(r[0], r[1]) for r in conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r'"
        " AND EXISTS (SELECT 1 FROM unnest(c.reloptions) o WHERE o LIKE 'autovacuum_enabled=%')"
    ).fetchall()}
    paused = [t for t in tables if t not in explicit]
    for t in paused:
        conn.execute(f"ALTER TABLE {t} SET (autovacuum_enabled = false)")
    return paused


def resume_autovacuum(conn: psycopg.Connection, tables: list[str]) -> None:
    for t in tables:
        conn.execute(f"ALTER TABLE {t} RESET (autovacuum_enabled)")
