"""Verify that the target holds what the source holds.

Exact row counts of every table and materialized view (with `checksums`, also
an order-independent checksum of each table's rows), every sequence's state,
the database-level settings, the extensions with their schemas and the large
objects. Counts run in parallel on both sides.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import psycopg

from herokufly.base.errors import DatabaseError
from herokufly.pg import catalog
from herokufly.pg.connect import STABLE_OUTPUT, Database


@dataclass
class TableCheck:
    name: str
    source_rows: int | None
    target_rows: int | None
    source_checksum: str | None = None
    target_checksum: str | None = None

    @property
    def ok(self) -> bool:
        return (self.source_rows == self.target_rows
                and self.source_checksum == self.target_checksum)


@dataclass
class VerifyReport:
    ok: bool
    checksums: bool
    tables: list[TableCheck] = field(default_factory=list)
    sequences: int = 0
    settings: dict[str, str] = field(default_factory=dict)
    extensions: list[str] = field(default_factory=list)
    large_objects: int = 0
    mismatches: list[str] = field(default_factory=list)
    # Extensions and views left out on purpose (the target cannot create them).
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mismatched_tables(self) -> list[str]:
        return [t.name for t in self.tables if not t.ok]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["tables"] = [dict(asdict(t), ok=t.ok) for t in self.tables]
        data["mismatched_tables"] = self.mismatched_tables
        return data


def verify(source_url: str, target_url: str, checksums: bool = False, *, jobs: int | None = None,
           snapshot: str | None = None) -> VerifyReport:
    """Compare the two databases; never raises for a mismatch (see .ok and .mismatches)."""
    return verify_databases(Database.parse("source", source_url),
                            Database.parse("target", target_url),
                            checksums=checksums, jobs=jobs, snapshot=snapshot)


class _Sides:
    """One connection per side per worker thread; source ones can share a snapshot."""

    def __init__(self, source: Database, target: Database, snapshot: str | None):
        self.source, self.target, self.snapshot = source, target, snapshot
        self._local = threading.local()
        self._all: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def get(self, side: str) -> psycopg.Connection:
        conn = getattr(self._local, side, None)
        if conn is None:
            db = self.source if side == "source" else self.target
            conn = db.connect(autocommit=True)
            conn.execute(STABLE_OUTPUT)
            if side == "source":
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if self.snapshot:
                    conn.execute(f"SET TRANSACTION SNAPSHOT '{self.snapshot}'")
            setattr(self._local, side, conn)
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        for conn in self._all:
            conn.close()


def verify_databases(source: Database, target: Database, *, checksums: bool = False,
                     jobs: int | None = None, snapshot: str | None = None,
                     skipped_extensions: set[str] = frozenset(),
                     skipped_relations: set[tuple[str, str]] = frozenset(),
                     target_only_extensions: set[str] = frozenset()) -> VerifyReport:
    """`skipped_*`: left out on purpose (the target cannot create them): not a difference.
    `target_only_extensions`: the target platform's own, there before the copy."""
    started = time.monotonic()
    report = VerifyReport(ok=False, checksums=checksums)
    report.skipped = sorted(skipped_extensions) + sorted(f"{s}.{n}" for s, n in skipped_relations)
    skipped_keys = {f"{s}.{n}" for s, n in skipped_relations}
    sides = _Sides(source, target, snapshot)
    try:
        src, tgt = sides.get("source"), sides.get("target")
        src_tables = {t.key: t for t in catalog.tables(src, include_matviews=True)
                      if t.key not in skipped_keys}
        tgt_tables = {t.key: t for t in catalog.tables(tgt, include_matviews=True)}
        for key in sorted(set(src_tables) - set(tgt_tables)):
            report.mismatches.append(f"table {key} is missing on the target")
            report.tables.append(TableCheck(key, None, None))
        for key in sorted(set(tgt_tables) - set(src_tables)):
            report.mismatches.append(f"table {key} exists only on the target")
            report.tables.append(TableCheck(key, None, None))

        common = [src_tables[k] for k in src_tables if k in tgt_tables]
        workers = max(2, 2 * (jobs or 2))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
            futures = {(side, t.key): pool.submit(_measure, sides, side, t, checksums)
                       for t in common for side in ("source", "target")}
            for t in common:
                s_rows, s_sum = futures[("source", t.key)].result()
                t_rows, t_sum = futures[("target", t.key)].result()
                check = TableCheck(t.key, s_rows, t_rows, s_sum, t_sum)
                report.tables.append(check)
                if s_rows != t_rows:
                    report.mismatches.append(
                        f"table {t.key}: {s_rows} rows on the source, {t_rows} on the target")
                elif s_sum != t_sum:
                    report.mismatches.append(f"table {t.key}: same row count, different contents")
        report.tables.sort(key=lambda c: c.name)

        _compare_catalog(src, tgt, report, checksums, skipped_extensions, target_only_extensions)
    except psycopg.Error as exc:
        raise DatabaseError(f"verification could not read the databases: {exc}") from None
    finally:
        sides.close()
    report.ok = not report.mismatches
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _measure(sides: _Sides, side: str, table: catalog.Table, checksums: bool):
    conn = sides.get(side)
    if checksums:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text"
            f" FROM ONLY {table.sql_name} AS t").fetchone()
        return int(row[0]), row[1]
    return int(conn.execute(f"SELECT count(*) FROM ONLY {table.sql_name}").fetchone()[0]), None


def _compare_catalog(src, tgt, report: VerifyReport, checksums: bool,
                     skipped_extensions: set[str] = frozenset(),
                     target_only_extensions: set[str] = frozenset()) -> None:
    s_seq, t_seq = catalog.sequences(src), catalog.sequences(tgt)
    report.sequences = len(s_seq)
    for name in sorted(set(s_seq) | set(t_seq)):
        if s_seq.get(name) != t_seq.get(name):
            report.mismatches.append(
                f"sequence {name}: {_seq_text(s_seq.get(name))} on the source, "
                f"{_seq_text(t_seq.get(name))} on the target")

    s_set, t_set = catalog.database_settings(src), catalog.database_settings(tgt)
    report.settings = s_set
    for name in sorted(set(s_set) | set(t_set)):
        if _norm(s_set.get(name)) != _norm(t_set.get(name)):
            report.mismatches.append(
                f"database setting {name}: {s_set.get(name)!r} on the source, "
                f"{t_set.get(name)!r} on the target")

    s_ext = {n: s for n, s, _v in catalog.extensions(src) if n not in skipped_extensions}
    t_ext = {n: s for n, s, _v in catalog.extensions(tgt) if n not in target_only_extensions}
    report.extensions = [f"{n} ({s})" for n, s in sorted(s_ext.items())]
    for name in sorted(set(s_ext) | set(t_ext)):
        if s_ext.get(name) != t_ext.get(name):
            where = lambda v: f"in schema {v}" if v else "missing"  # noqa: E731
            report.mismatches.append(f"extension {name}: {where(s_ext.get(name))} on the source, "
                                     f"{where(t_ext.get(name))} on the target")

    query = "SELECT count(*)" + (
        ", coalesce(sum(hashtextextended(encode(lo_get(oid), 'hex'), 0)), 0)::text" if checksums
        else ", NULL") + " FROM pg_largeobject_metadata"
    s_lo, t_lo = src.execute(query).fetchone(), tgt.execute(query).fetchone()
    report.large_objects = int(s_lo[0])
    if tuple(s_lo) != tuple(t_lo):
        report.mismatches.append(f"large objects: {s_lo[0]} on the source, {t_lo[0]} on the target"
                                 + (" (or different contents)" if s_lo[0] == t_lo[0] else ""))


def _seq_text(state) -> str:
    if state is None:
        return "missing"
    last, called = state
    return f"last value {last}" + ("" if called else " (not yet used)")


def _norm(value: str | None) -> str | None:
    return None if value is None else value.replace(" ", "")
