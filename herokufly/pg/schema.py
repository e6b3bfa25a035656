"""Schema DDL from pg_dump, cleaned for the target and split into entries.

pg_dump writes plain SQL whose entries start with a header comment
(`-- Name: x; Type: INDEX; Schema: public; Owner: -`). The pre-data part runs
as one transaction; the post-data part is split so that index builds can run
in parallel, each as soon as its table's rows are in.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from herokufly.base import masking
from herokufly.base.errors import DatabaseError
from herokufly.pg.connect import Database
from herokufly.pg.tools import ClientTools

_HEADER = re.compile(r"^-- Name: (?P<name>.*); Type: (?P<type>[A-Z ]+); Schema: (?P<schema>.*); Owner: .*$")
_IDENT = r'(?:"(?:[^"]|"")+"|[^\s".(]+)'
_QUALIFIED = rf"({_IDENT})\.({_IDENT})"
_INDEX_TABLE = re.compile(rf"\bINDEX\b.*?\bON (?:ONLY )?{_QUALIFIED}", re.S)
_ALTER_TABLE = re.compile(rf"^ALTER TABLE (?:ONLY )?{_QUALIFIED}", re.M)
_REFERENCES = re.compile(rf"\bREFERENCES {_QUALIFIED}")
_TRIGGER_TABLE = re.compile(rf"\bTRIGGER\b.*?\bON {_QUALIFIED}", re.S)
# psql meta-commands pg_dump writes around the dump (harmless outside psql).
_META = re.compile(r"^\\(restrict|unrestrict) ")
_SETTINGS_TOO_NEW = {
    # parameter -> first server major that knows it; pg_dump of a newer major sets it
    "transaction_timeout": 17,
}


@dataclass
class Entry:
    type: str
    name: str
    schema: str
    sql: str
    table: str | None = None  # "schema.name" the entry builds on, when it has one
    references: str | None = None  # for a foreign key: the referenced table


def dump_section(tools: ClientTools, source: Database, section: str, snapshot: str | None) -> str:
    """Plain SQL of one pg_dump section: no owners, ACLs, large objects or tablespaces."""
    cmd = [tools.pg_dump, "--format=plain", f"--section={section}", "--no-owner", "--no-acl",
           "-B", "--no-publications", "--no-subscriptions", "--no-security-labels",
           "--no-tablespaces", "--dbname", source.tool_conninfo()]
    if snapshot:
        cmd.append(f"--snapshot={snapshot}")
    proc = subprocess.run(cmd, env=source.tool_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise DatabaseError(f"pg_dump {tools.version} failed reading the {section} schema: "
                            f"{first_error(proc.stderr)}")
    return proc.stdout


def first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in masking.redact(stderr or "").splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower() or "fatal" in ln.lower():
            return ln
    return lines[0] if lines else "no message"


def clean_sql(text: str, target_major: int) -> str:
    """Drop psql meta-commands and settings the target server does not know."""
    kept = []
    for line in text.splitlines():
        if _META.match(line):
            continue
        m = re.match(r"^SET (\w+) = .*;$", line)
        if m and _SETTINGS_TOO_NEW.get(m.group(1), 0) > target_major:
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def split_entries(text: str) -> tuple[str, list[Entry]]:
    """(prelude, entries): the session settings before the first entry, then each entry."""
    lines = text.splitlines()
    prelude: list[str] = []
    entries: list[Entry] = []
    current: list[str] | None = None
    header = None
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and i > 0 and lines[i - 1] == "--":
            if current is None:
                prelude.pop()  # the "--" opening this header
            else:
                current.pop()
                entries.append(_entry(header, current))
            header, current = m, []
            continue
        (prelude if current is None else current).append(line)
    if current is not None:
        entries.append(_entry(header, current))
    return "\n".join(prelude) + "\n", entries


def _entry(header: re.Match, lines: list[str]) -> Entry:
    sql = "\n".join(ln for ln in lines if ln != "--").strip() + "\n"
    kind = header.group("type")
    entry = Entry(type=kind, name=header.group("name"), schema=header.group("schema"), sql=sql)
    pattern = {"INDEX": _INDEX_TABLE, "CONSTRAINT": _ALTER_TABLE, "FK CONSTRAINT": _ALTER_TABLE,
               "TRIGGER": _TRIGGER_TABLE}.get(kind)
    if pattern:
        m = pattern.search(sql)
        if m:
            entry.table = f"{_unquote(m.group(1))}.{_unquote(m.group(2))}"
    if kind == "FK CONSTRAINT":
        m = _REFERENCES.search(sql)
        if m:
            entry.references = f"{_unquote(m.group(1))}.{_unquote(m.group(2))}"
    return entry


def _unquote(ident: str) -> str:
    if ident.startswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident


# -- leaving out extensions the target cannot create ---------------------------

_PLAIN_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")
_RELATION_COMMENT = re.compile(r"^(?:VIEW|MATERIALIZED VIEW) (?P<rel>.+)$|^COLUMN (?P<col_rel>.+?)\.(?:[^.]+)$")


def fmt_id(name: str) -> str:
    """An identifier as pg_dump writes it in entry names: quoted only when it must be."""
    return name if _PLAIN_IDENT.match(name) else '"' + name.replace('"', '""') + '"'


def left_out(entry: Entry, extensions: set[str], relations: set[tuple[str, str]]) -> bool:
    """Whether `entry` creates, comments or fills one of these extensions or views."""
    if entry.type == "EXTENSION" and entry.name in extensions:
        return True
    if entry.type == "COMMENT" and entry.name.startswith("EXTENSION "):
        return entry.name[len("EXTENSION "):] in {fmt_id(e) for e in extensions}
    if entry.type in ("VIEW", "MATERIALIZED VIEW", "MATERIALIZED VIEW DATA"):
        return (entry.schema, entry.name) in relations
    if entry.type == "COMMENT":
        m = _RELATION_COMMENT.match(entry.name)
        rel = m and (m.group("rel") or m.group("col_rel"))
        return bool(rel) and any(entry.schema == s and rel == fmt_id(n) for s, n in relations)
    return entry.table is not None and tuple(entry.table.split(".", 1)) in relations


def without(text: str, extensions: set[str], relations: set[tuple[str, str]]) -> str:
    """The dump text minus the entries of the left-out extensions and views."""
    if not extensions and not relations:
        return text
    prelude, entries = split_entries(text)
    kept = [e.sql for e in entries if not left_out(e, extensions, relations)]
    return prelude + "\n".join(kept)
