"""Read-only catalog queries shared by preflight, transfer and verify."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from herokufly.pg.connect import qualified, quote_ident

# Schemas that belong to the server, never to the application.
SYSTEM_SCHEMAS_SQL = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
    " AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
)
# Objects that belong to an extension are recreated by CREATE EXTENSION.
NOT_EXTENSION_MEMBER_SQL = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
    " AND d.objid = c.oid AND d.deptype = 'e')"
)
MARKER_PREFIX = "herokufly: transfer in progress"


@dataclass
class Column:
    name: str
    binary_safe: bool  # its binary COPY format carries no database-specific type OIDs


@dataclass
class Table:
    schema: str
    name: str
    kind: str  # "r" table, "m" materialized view
    bytes: int
    pages: int
    columns: list[Column] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def sql_name(self) -> str:
        return qualified(self.schema, self.name)

    @property
    def column_list(self) -> str:
        return ", ".join(quote_ident(c.name) for c in self.columns)

    @property
    def binary_ok(self) -> bool:
        return all(c.binary_safe for c in self.columns)


def server_major(conn: psycopg.Connection) -> int:
    return conn.info.server_version // 10000


def server_version(conn: psycopg.Connection) -> str:
    v = conn.info.server_version
    return f"{v // 10000}.{v % 100}" if v >= 100000 else str(v)


def extensions(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(name, schema, version) of every installed extension except plpgsql."""
    rows = conn.execute(
        "SELECT e.extname, n.nspname, e.extversion FROM pg_extension e"
        " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1"
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def available_extensions(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}


def database_settings(conn: psycopg.Connection) -> dict[str, str]:
    """`ALTER DATABASE ... SET` values for all roles, as name -> value text."""
    rows = conn.execute(
        "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d"
        " ON d.oid = s.setdatabase WHERE d.datname = current_database() AND s.setrole = 0"
    ).fetchall()
    settings = {}
    for (item,) in rows:
        name, _, value = item.partition("=")
        settings[name] = value
    return settings


def database_comment(conn: psycopg.Connection) -> str | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    return row[0] if row else None


def database_size(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def user_relation_count(conn: psycopg.Connection) -> int:
    """Tables, views, sequences... owned by the application (not by an extension)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE c.relkind IN ('r','p','v','m','S','f') AND {SYSTEM_SCHEMAS_SQL}"
        f" AND {NOT_EXTENSION_MEMBER_SQL}"
    ).fetchone()
    return int(row[0])


def large_object_count(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()[0])


def tables(conn: psycopg.Connection, *, include_matviews: bool = False) -> list[Table]:
    """Every table that holds rows (leaf partitions, not their parents), largest first."""
    kinds = "('r','m')" if include_matviews else "('r')"
    rows = conn.execute(
        "SELECT n.nspname, c.relname, c.relkind, pg_table_size(c.oid),"
        " (pg_relation_size(c.oid) / current_setting('block_size')::int)::bigint, c.oid"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE c.relkind IN {kinds} AND c.relpersistence <> 't' AND {SYSTEM_SCHEMAS_SQL}"
        f" AND {NOT_EXTENSION_MEMBER_SQL}"
        " ORDER BY pg_table_size(c.oid) DESC, n.nspname, c.relname"
    ).fetchall()
    columns = _columns(conn)
    return [Table(schema=r[0], name=r[1], kind=r[2], bytes=int(r[3]), pages=int(r[4]),
                  columns=columns.get(r[5], [])) for r in rows]


def _columns(conn: psycopg.Connection) -> dict[int, list[Column]]:
    # Binary COPY embeds type OIDs inside arrays and composite values; those OIDs differ
    # between databases for user-defined types (enums, extension types), so such tables
    # travel in text format.
    rows = conn.execute(
        """
        WITH RECURSIVE base(typ, root) AS (
            SELECT t.oid, t.oid FROM pg_type t
            UNION ALL
            SELECT t.typbasetype, b.root FROM base b JOIN pg_type t ON t.oid = b.typ
            WHERE t.typtype = 'd'
        )
        SELECT a.attrelid, a.attname, a.attnum,
               bool_and(t.typtype = 'd' OR NOT (
                   t.typtype = 'c'
                   OR (t.typelem <> 0 AND t.typlen = -1 AND t.typelem >= 16384)
                   OR t.typsend = 0 OR t.typreceive = 0
               ))
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN base b ON b.root = a.atttypid
        JOIN pg_type t ON t.oid = b.typ
        WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
          AND c.relkind IN ('r', 'm') AND """ + SYSTEM_SCHEMAS_SQL + """
        GROUP BY a.attrelid, a.attname, a.attnum
        ORDER BY a.attrelid, a.attnum
        """
    ).fetchall()
    result: dict[int, list[Column]] = {}
    for relid, name, _num, safe in rows:
        result.setdefault(relid, []).append(Column(name=name, binary_safe=bool(safe)))
    return result


def sequence_states(conn: psycopg.Connection) -> list[tuple[str, str, int, bool]]:
    """(schema, name, last_value, is_called) of every application sequence."""
    names = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE c.relkind = 'S' AND {SYSTEM_SCHEMAS_SQL} AND {NOT_EXTENSION_MEMBER_SQL}"
        " ORDER BY 1, 2"
    ).fetchall()
    result = []
    for schema, name in names:
        last, called = conn.execute(
            f"SELECT last_value, is_called FROM {qualified(schema, name)}").fetchone()
        result.append((schema, name, int(last), bool(called)))
    return result


def sequences(conn: psycopg.Connection) -> dict[str, tuple[int, bool]]:
    """Every application sequence as "schema.name" -> (last_value, is_called)."""
    return {f"{s}.{n}": (last, called) for s, n, last, called in sequence_states(conn)}
