"""Extensions the target cannot create: found before the copy, left out cleanly.

Heroku installs extensions such as pg_stat_statements in `heroku_ext`; Fly's
Managed Postgres cannot create some of them (not on Fly's list, see
herokufly/data/fly_pg_extensions.json; or the target role may not create it).
Such an extension is left out with one line saying so, together with the views
that read it (they would fail to create). Anything else that needs it (a column
of its type, an index with its operator class, a function) makes it a preflight
problem instead: leaving it out would lose data or break the schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

import psycopg

_FLY_LIST = "fly_pg_extensions.json"
PG_CLASS = 1259  # pg_class's own oid: fixed in every PostgreSQL (pg_class.h)


@dataclass
class SkippedExtension:
    name: str
    schema: str
    reason: str
    # (schema, name) of views and materialized views that read it: left out too.
    views: list[tuple[str, str]] = field(default_factory=list)

    def note(self) -> str:
        text = f"extension {self.name} (schema {self.schema}) is left out: {self.reason}"
        if self.views:
            names = ", ".join(f"{s}.{n}" for s, n in self.views)
            text += f"; the view{'s' if len(self.views) > 1 else ''} reading it {'are' if len(self.views) > 1 else 'is'} left out too: {names}"
        return text

    def to_dict(self) -> dict:
        return {"name": self.name, "schema": self.schema, "reason": self.reason,
                "views": [f"{s}.{n}" for s, n in self.views]}


def fly_allow_list() -> dict:
    """Fly Managed Postgres' extension list as recorded in herokufly/data (dated, sourced)."""
    text = resources.files("herokufly.data").joinpath(_FLY_LIST).read_text()
    return json.loads(text)


def fly_creatable() -> set[str]:
    data = fly_allow_list()
    return set(data["available"]) | set(data["enabled_by_default"])


def refusal_reason(name: str, target: psycopg.Connection, allowed: set[str] | None,
                   allowed_source: str) -> str | None:
    """Why the target cannot create extension `name`, or None when it can (or already has it)."""
    if target.execute("SELECT 1 FROM pg_extension WHERE extname = %s", (name,)).fetchone():
        return None
    if allowed is not None and name not in allowed:
        return f"{allowed_source} does not offer it"
    row = target.execute(
        "SELECT v.superuser, v.trusted FROM pg_available_extensions a"
        " JOIN pg_available_extension_versions v ON v.name = a.name AND v.version = a.default_version"
        " WHERE a.name = %s", (name,)).fetchone()
    if row is None:
        return "the target server does not have it installed"
    needs_superuser, trusted = row
    is_superuser = target.execute(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
    if needs_superuser and not trusted and not is_superuser:
        return f"only a superuser may create it and the target user {target.info.user} is not one"
    return None


def plan(source: psycopg.Connection, target: psycopg.Connection,
         extensions: list[tuple[str, str, str]], allowed: set[str] | None,
         allowed_source: str = "the target platform") -> tuple[list[SkippedExtension], list[str]]:
    """(extensions to leave out, problems). `extensions` are the source's (name, schema, version)."""
    refused = {}
    for name, schema, _version in extensions:
        reason = refusal_reason(name, target, allowed, allowed_source)
        if reason:
            refused[name] = (schema, reason)
    # An extension that requires a refused one cannot be created either.
    changed = True
    while changed:
        changed = False
        for name, schema, _v in extensions:
            if name in refused:
                continue
            needs = [r for r in _required_extensions(source, name) if r in refused]
            if needs:
                refused[name] = (schema, f"it requires {', '.join(needs)}, which is left out")
                changed = True

    skipped, problems = [], []
    for name, (schema, reason) in sorted(refused.items()):
        views, blockers = _dependents(source, name)
        if blockers:
            shown = "; ".join(blockers[:5]) + (f"; and {len(blockers) - 5} more" if len(blockers) > 5 else "")
            problems.append(
                f"the target cannot create extension {name} ({reason}), and the application uses it: "
                f"{shown}. Enable it on the target first (on Fly, when Fly offers it: `fly mpg databases "
                f"extensions enable {name} --cluster <id> --schema {schema}`), or stop using it on Heroku")
        else:
            skipped.append(SkippedExtension(name, schema, reason, views))
    return skipped, problems


def _required_extensions(conn: psycopg.Connection, name: str) -> list[str]:
    rows = conn.execute(
        "SELECT r.extname FROM pg_extension e JOIN pg_depend d ON d.classid = 'pg_extension'::regclass"
        " AND d.objid = e.oid AND d.refclassid = 'pg_extension'::regclass"
        " JOIN pg_extension r ON r.oid = d.refobjid WHERE e.extname = %s", (name,)).fetchall()
    return [r[0] for r in rows]


def _dependents(conn: psycopg.Connection, name: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(views that read the extension, directly or through other views; descriptions of every
    other application object that needs it). Members of any extension don't count. One query:
    the walk from the extension's members through views' rewrite rules is a recursive CTE."""
    rows = conn.execute(
        """
        WITH RECURSIVE members AS (
            SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
            WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = %(name)s
        ), walk(classid, objid) AS (
            SELECT classid, objid FROM members
            UNION
            SELECT %(pg_class)s::oid, r.ev_class FROM walk w
            JOIN pg_depend d ON d.refclassid = w.classid AND d.refobjid = w.objid AND d.deptype IN ('n', 'a')
            JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
            JOIN pg_class c ON c.oid = r.ev_class AND c.relkind IN ('v', 'm')
        )
        SELECT 'view', n.nspname, c.relname FROM walk w
        JOIN pg_class c ON w.classid = %(pg_class)s AND c.oid = w.objid AND c.relkind IN ('v', 'm')
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.classid = w.classid AND m.objid = w.objid)
        UNION
        SELECT 'needs', pg_describe_object(d.classid, d.objid, d.objsubid), NULL FROM walk w
        JOIN pg_depend d ON d.refclassid = w.classid AND d.refobjid = w.objid AND d.deptype IN ('n', 'a')
        LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
        LEFT JOIN pg_class c ON c.oid = r.ev_class
        WHERE NOT (r.oid IS NOT NULL AND c.relkind IN ('v', 'm'))
          -- Members of an extension, and parts of members (an operator family's support
          -- functions and operators depend on it automatically), belong to that extension.
          AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = d.classid AND x.objid = d.objid
                          AND (x.deptype = 'e' OR (x.deptype IN ('a', 'i') AND EXISTS (
                              SELECT 1 FROM pg_depend y WHERE y.classid = x.refclassid
                              AND y.objid = x.refobjid AND y.deptype = 'e'))))
          AND NOT EXISTS (SELECT 1 FROM walk w2 WHERE w2.classid = d.classid AND w2.objid = d.objid)
        """, {"name": name, "pg_class": PG_CLASS}).fetchall()
    views = sorted((nsp, rel) for kind, nsp, rel in rows if kind == "view")
    return views, sorted(desc for kind, desc, _ in rows if kind == "needs")
