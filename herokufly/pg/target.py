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


def clean(conn: psycopg.Connection, keep_extensions: set[str] = frozenset()) -> None:
    """Drop every application object in the target: schemas, extensions, large objects, settings.
    `keep_extensions`: the platform's own (Fly's pg_stat_monitor...), which its users may not drop."""
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
        kept_homes = {r[0] for r in conn.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = ANY(%s)", (sorted(keep_extensions),)).fetchall()}
        for schema in schemas:
            if schema in kept_homes:
                _empty_schema(conn, schema)  # dropping it would drop the kept extension too
                if schema == "public":
                    public_owner = None  # still there
                continue
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        for (ext,) in conn.execute(
                "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'").fetchall():
            if ext in keep_extensions:
                continue
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


def _empty_schema(conn: psycopg.Connection, schema: str) -> None:
    """Drop the application's objects in `schema`, leaving extensions' members alone."""
    not_member = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = {cls}::regclass"
                  " AND d.objid = o.oid AND d.deptype = 'e')")
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE",
             "f": "FOREIGN TABLE"}
    for name, kind in conn.execute(
            "SELECT o.relname, o.relkind::text FROM pg_class o WHERE o.relnamespace = %s::regnamespace"
            " AND o.relkind IN ('r','p','v','m','S','f') AND NOT o.relispartition AND "
            + not_member.format(cls="'pg_class'")
            # Tables first: their serial and identity sequences go with them.
            + " ORDER BY o.relkind IN ('r','p','f') DESC, o.relkind = 'S'", (schema,)).fetchall():
        conn.execute(sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
            sql.SQL(kinds[kind]), sql.Identifier(schema, name)))
    for (signature,) in conn.execute(
            "SELECT o.oid::regprocedure::text FROM pg_proc o WHERE o.pronamespace = %s::regnamespace"
            " AND " + not_member.format(cls="'pg_proc'"), (schema,)).fetchall():
        conn.execute(f"DROP ROUTINE IF EXISTS {signature} CASCADE")  # regprocedure text is quoted
    for (name,) in conn.execute(
            "SELECT o.typname FROM pg_type o WHERE o.typnamespace = %s::regnamespace"
            " AND o.typtype IN ('e','c','d','r','m') AND (o.typtype <> 'c' OR"
            " (SELECT relkind FROM pg_class WHERE oid = o.typrelid) = 'c') AND "
            + not_member.format(cls="'pg_type'"), (schema,)).fetchall():
        conn.execute(sql.SQL("DROP TYPE IF EXISTS {} CASCADE").format(sql.Identifier(schema, name)))


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
