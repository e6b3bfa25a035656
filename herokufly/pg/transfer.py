"""Move one PostgreSQL database into another, then prove it arrived.

read (preflight, one snapshot of the source) -> plan (tables, chunks, DDL
entries) -> act (schema, parallel COPY streams overlapped with index builds,
constraints, sequences, large objects) -> verify -> report.

The source is only read: every source session is READ ONLY and sees the same
exported snapshot. The target carries a marker while it is being filled so an
interrupted run can be cleaned and started over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from dataclasses import asdict, dataclass, field

import psycopg

from herokufly.base import masking
from herokufly.base.errors import DatabaseError, VerificationFailed
from herokufly.pg import catalog, schema, streams, target as target_db
from herokufly.pg.connect import Database, qualified
from herokufly.pg.pool import WorkPool
from herokufly.pg.preflight import PreflightReport, preflight
from herokufly.pg.progress import Progress
from herokufly.pg.verify import VerifyReport, verify_databases

VERIFY_MODES = ("counts", "checksums", "none")
# Built as soon as their table's rows are in, in parallel with other work.
_PARALLEL_DDL = {"INDEX", "CONSTRAINT"}


@dataclass
class TransferOptions:
    jobs: int | None = None  # parallel streams; default: CPUs + 1, at least 2, at most 8
    verify: str = "counts"  # "counts" | "checksums" | "none"
    force: bool = False  # replace a non-empty target
    pg_bindir: str | None = None  # use these client tools instead of choosing
    # Tables larger than this are copied as several parallel parts (default: from the size).
    split_bytes: int | None = None
    # Extensions the target platform lets users create (e.g. Fly's list); None: the target
    # server alone decides. Others are left out (see pg/extensions.py).
    allowed_extensions: set[str] | None = None
    allowed_source: str = "the target platform"

    def worker_count(self) -> int:
        # One more stream than CPUs: each stream waits on the other side part of the time.
        return self.jobs if self.jobs and self.jobs > 0 else max(2, min(8, (os.cpu_count() or 2) + 1))


@dataclass
class TableReport:
    name: str
    rows: int
    bytes: int
    seconds: float


@dataclass
class TransferReport:
    source: str
    target: str
    ok: bool = False
    source_version: str = ""
    target_version: str = ""
    client_version: str = ""
    jobs: int = 0
    tables: list[TableReport] = field(default_factory=list)
    sequences: int = 0
    large_objects: int = 0
    database_settings: dict[str, str] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)
    skipped_extensions: list[dict] = field(default_factory=list)
    verification: VerifyReport | None = None

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def throughput_mb_s(self) -> float:
        copy = self.phases.get("copy") or self.seconds
        return round(self.bytes / 1e6 / copy, 2) if copy else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["verification"] = self.verification.to_dict() if self.verification else None
        data["rows"] = self.rows
        data["throughput_mb_s"] = self.throughput_mb_s
        data["phases"] = [{"name": k, "seconds": round(v, 3)} for k, v in self.phases.items()]
        return data


class _Phases:
    """Times each phase into the report and shows it through the progress display."""

    def __init__(self, report: TransferReport, progress: Progress):
        self.report, self.progress = report, progress

    @contextlib.contextmanager
    def run(self, name: str, total: float | None = None, unit: str = "bytes"):
        started = time.monotonic()
        with self.progress.phase(name, total, unit):
            yield
        self.report.phases[name] = round(time.monotonic() - started, 3)


def transfer(source_url: str, target_url: str, options: TransferOptions | None = None,
             progress: Progress | None = None) -> TransferReport:
    """Copy source into target and verify. Raises DatabaseError (nothing done or a clear
    failure), VerificationFailed (copy done, target differs; `.report` holds the report)."""
    options = options or TransferOptions()
    if options.verify not in VERIFY_MODES:
        raise DatabaseError(f"unknown verification mode {options.verify!r}",
                            hint=f"Use one of {', '.join(VERIFY_MODES)}")
    progress = progress or Progress()
    source = Database.parse("source", source_url)
    target = Database.parse("target", target_url)
    started = time.monotonic()
    report = TransferReport(source=source.display, target=target.display,
                            jobs=options.worker_count())
    phases = _Phases(report, progress)
    with phases.run("preflight", unit="checks"):
        pre = preflight(source_url, target_url, force=options.force, pg_bindir=options.pg_bindir,
                        allowed_extensions=options.allowed_extensions,
                        allowed_source=options.allowed_source)
    report.source_version, report.target_version = pre.source_version, pre.target_version
    report.client_version = pre.client.version
    report.notes.extend(pre.notes)
    report.skipped_extensions = [e.to_dict() for e in pre.skipped_extensions]
    for note in pre.notes:
        progress.note(f"note: {note}")

    run = _Run(source, target, pre, options, report, phases, progress)
    try:
        run.execute()
    except psycopg.Error as exc:
        raise DatabaseError(f"transfer failed: {masking.redact(str(exc)).strip()}",
                            hint="Fix the cause and run the same command again; "
                                 "it starts over cleanly") from None
    finally:
        run.close()
    report.seconds = round(time.monotonic() - started, 3)
    report.ok = report.verification.ok if report.verification else True
    if not report.ok:
        names = ", ".join(report.verification.mismatched_tables) or "see the report"
        exc = VerificationFailed(
            f"verification failed: the target differs from the source ({names}): "
            + "; ".join(report.verification.mismatches[:5]),
            hint="The target keeps its herokufly marker; run the transfer again to redo it")
        exc.report = report
        raise exc
    return report


class _Run:
    def __init__(self, source: Database, target: Database, pre: PreflightReport,
                 options: TransferOptions, report: TransferReport, phases: _Phases,
                 progress: Progress):
        self.source, self.pre = source, pre
        # A target session notices a vanished client within a second (PG 14+), so an
        # interrupted COPY is rolled back at once instead of when it next reads.
        self.target = dataclasses.replace(target, session_settings=(
            (("client_connection_check_interval", "1000"),) if pre.target_major >= 14 else ()))
        self.options, self.report, self.phases, self.progress = options, report, phases, progress
        self.tools = pre.client
        self.children = streams.Children()
        self.snapshot_conn: psycopg.Connection | None = None
        self.admin: psycopg.Connection | None = None
        self._ddl_conns: list[psycopg.Connection] = []
        self._local = threading.local()
        self._lock = threading.Lock()

    # -- read ---------------------------------------------------------------
    def _open(self) -> None:
        self.snapshot_conn = self.source.connect(autocommit=False)
        conn = self.snapshot_conn
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        self.snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        self.tables = catalog.tables(conn)
        self.sequences = catalog.sequence_states(conn)
        self.settings = catalog.database_settings(conn)
        self.source_comment = catalog.database_comment(conn)
        # Rows travel in the source's encoding with unambiguous date, interval and float
        # formats, whatever either server's defaults are (as pg_dump does).
        encoding = conn.execute("SELECT pg_encoding_to_char(encoding) FROM pg_database"
                                " WHERE datname = current_database()").fetchone()[0]
        formats = (("datestyle", "ISO"), ("intervalstyle", "postgres"), ("extra_float_digits", "3"))
        self.source = dataclasses.replace(self.source, session_settings=formats,
                                          client_encoding=encoding)
        self.target = dataclasses.replace(
            self.target, session_settings=self.target.session_settings + formats,
            client_encoding=encoding)
        self.admin = self.target.connect(autocommit=True)

    # -- act ----------------------------------------------------------------
    def execute(self) -> None:
        self._open()
        with self.phases.run("prepare target", unit="steps"):
            if self.pre.target_state != "empty":
                self.progress.note("cleaning the target (left by an earlier run or --force)")
                target_db.clean(self.admin, keep_extensions=set(self.pre.target_only_extensions))
            target_db.set_marker(self.admin)

        post_data: dict = {}
        post_thread = threading.Thread(target=self._dump_post_data, args=(post_data,), daemon=True)
        post_thread.start()
        with self.phases.run("schema", unit="steps"):
            pre_sql = schema.without(schema.clean_sql(
                schema.dump_section(self.tools, self.source, "pre-data", self.snapshot),
                self.pre.target_major), *self._left_out())
            self._apply_schema(pre_sql)
            post_thread.join()
            if "error" in post_data:
                raise post_data["error"]
        self._copy_and_build(post_data["prelude"], post_data["entries"])
        self.report.database_settings = dict(self.settings)

        mode = self.options.verify
        if mode != "none":
            with self.phases.run(f"verify ({mode})", unit="tables"):
                self.report.verification = verify_databases(
                    self.source, self.target, checksums=(mode == "checksums"),
                    jobs=self.options.worker_count(), snapshot=self.snapshot,
                    skipped_extensions=self.pre.skipped_extension_names,
                    skipped_relations=self.pre.skipped_views,
                    target_only_extensions=set(self.pre.target_only_extensions))
        if self.report.verification is None or self.report.verification.ok:
            target_db.finish(self.admin, self.source_comment)

    def _dump_post_data(self, result: dict) -> None:
        try:
            text = schema.clean_sql(
                schema.dump_section(self.tools, self.source, "post-data", self.snapshot),
                self.pre.target_major)
            prelude, entries = schema.split_entries(text)
            result["prelude"] = prelude
            result["entries"] = [e for e in entries if not schema.left_out(e, *self._left_out())]
        except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
            result["error"] = exc

    def _left_out(self) -> tuple[set[str], set[tuple[str, str]]]:
        return self.pre.skipped_extension_names, self.pre.skipped_views

    def _apply_schema(self, pre_sql: str) -> None:
        conn = self.admin
        try:
            with conn.transaction():
                conn.execute(pre_sql)
                for stmt in target_db.database_setting_statements(self.target.dbname, self.settings):
                    conn.execute(stmt)
                # The dump set search_path to '' for this session; later steps want the default.
                conn.execute("RESET search_path")
        except psycopg.Error as exc:
            hint = ""
            if self.pre.source_major > self.pre.target_major:
                hint = (f" (the target runs PostgreSQL {self.pre.target_major}, older than the "
                        f"source's {self.pre.source_major}: use a target of {self.pre.source_major} or newer)")
            raise DatabaseError(
                f"creating the schema on the target failed, nothing was kept: "
                f"{masking.redact(str(exc)).strip().splitlines()[0]}{hint}") from None
        for schema_name, seq, last, called in self.sequences:
            conn.execute("SELECT setval(%s::regclass, %s, %s)",
                         (qualified(schema_name, seq), last, called))
        self.report.sequences = len(self.sequences)

    def _copy_and_build(self, prelude: str, entries: list[schema.Entry]) -> None:
        """Rows, indexes and foreign keys in one pool: a table's indexes start when its rows
        are in; a foreign key when both of its tables have their rows and indexes."""
        workers = self.options.worker_count()
        total_bytes = sum(t.bytes for t in self.tables)
        split = self.options.split_bytes or max(16 << 20, total_bytes // (workers * 3))
        can_split = self.pre.source_major >= 14  # TID range scans
        chunks_by_table = {t.key: streams.plan_chunks(t, split, can_split) for t in self.tables}
        ddl_by_table: dict[str | None, list[schema.Entry]] = {}
        foreign_keys: list[schema.Entry] = []
        matviews: list[schema.Entry] = []  # refreshed once all rows are in, in dump order
        tail: list[schema.Entry] = []
        for e in entries:
            if e.type == "MATERIALIZED VIEW DATA":
                matviews.append(e)
            elif e.type in _PARALLEL_DDL:
                ddl_by_table.setdefault(e.table if e.table in chunks_by_table else None, []).append(e)
            elif (e.type == "FK CONSTRAINT" and e.table in chunks_by_table
                  and e.references in chunks_by_table):
                foreign_keys.append(e)
            else:
                tail.append(e)  # in dump order, after everything else
        self._prelude = prelude

        # Work left per table (its chunks, then its indexes); 0 means rows and indexes are in.
        left = {key: len(chunks) + len(ddl_by_table.get(key, []))
                for key, chunks in chunks_by_table.items()}
        chunks_left = {key: len(chunks) for key, chunks in chunks_by_table.items()}
        all_chunks_left = [sum(chunks_left.values())]
        waiting_fks = list(foreign_keys)
        rows = {key: 0 for key in chunks_by_table}
        first_start: dict[str, float] = {}
        fk_lock = threading.Lock()  # one foreign key at a time: two could deadlock on locks
        paused = target_db.pause_autovacuum(self.admin, [t.sql_name for t in self.tables])
        pool = WorkPool(workers, name="transfer")

        def table_progressed(key: str | None) -> None:
            if key is None:
                return
            with self._lock:
                left[key] -= 1
                if left[key]:
                    return
                ready = [fk for fk in waiting_fks if not left[fk.table] and not left[fk.references]]
                for fk in ready:
                    waiting_fks.remove(fk)
            for fk in ready:
                pool.submit(0, lambda fk=fk: run_fk(fk))

        def run_fk(entry: schema.Entry) -> None:
            with fk_lock:
                self._ddl_conn().execute(entry.sql)

        def refresh_matviews() -> None:
            conn = self._ddl_conn()
            for e in matviews:
                conn.execute(e.sql)

        def run_ddl(entry: schema.Entry, key: str | None) -> None:
            self._ddl_conn().execute(entry.sql)
            table_progressed(key)

        def run_chunk(chunk: streams.Chunk) -> None:
            key = chunk.table.key
            with self._lock:
                first_start.setdefault(key, time.monotonic())
            n = streams.copy_chunk(self.children, self.tools, self.source, self.target,
                                   self.snapshot, chunk)
            self.progress.advance(chunk.bytes, detail=key)
            with self._lock:
                rows[key] += n
                chunks_left[key] -= 1
                rows_in = chunks_left[key] == 0
                all_chunks_left[0] -= 1
                all_rows_in = all_chunks_left[0] == 0
            if all_rows_in and matviews:
                pool.submit(0, refresh_matviews)
            if rows_in:
                self.report.tables.append(TableReport(
                    name=key, rows=rows[key], bytes=chunk.table.bytes,
                    seconds=round(time.monotonic() - first_start[key], 3)))
                for e in ddl_by_table.get(key, []):
                    pool.submit(0, lambda e=e: run_ddl(e, key))
            table_progressed(key)

        try:
            # "copy" covers the rows and the index and foreign key builds overlapping them.
            with self.phases.run("copy", total=total_bytes):
                # DDL that belongs to no copied table (partitioned parents) can start at once.
                for e in ddl_by_table.get(None, []):
                    pool.submit(0, lambda e=e: run_ddl(e, None))
                # Largest first, so the longest stream does not start last.
                all_chunks = [c for chunks in chunks_by_table.values() for c in chunks]
                if not all_chunks and matviews:
                    pool.submit(0, refresh_matviews)
                # Biggest table first, all its parts together, so its index builds (the
                # longest tail) start as early as possible.
                for c in sorted(all_chunks, key=lambda c: (-c.table.bytes, c.table.key, c.index)):
                    pool.submit(1, lambda c=c: run_chunk(c))
                if self.pre.large_objects:
                    pool.submit(1, self._copy_large_objects)
                pool.wait()
            self.report.bytes = total_bytes
        except BaseException:
            self._abort()  # workers blocked in a COPY or an index build return at once
            raise
        finally:
            pool.stop()
        with self.phases.run("constraints", total=len(tail), unit="steps"):
            conn = self._ddl_conn()
            for e in tail:
                conn.execute(e.sql)
                self.progress.advance(1, detail=e.name)
            target_db.resume_autovacuum(self.admin, paused)
        self.report.tables.sort(key=lambda t: t.name)

    def _ddl_conn(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.target.connect(autocommit=True)
            conn.execute(self._prelude)
            self._local.conn = conn
            with self._lock:
                self._ddl_conns.append(conn)
        return conn

    def _copy_large_objects(self) -> None:
        src = self.source.connect(autocommit=False)
        tgt = self.target.connect(autocommit=False)
        try:
            src.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            src.execute(f"SET TRANSACTION SNAPSHOT '{self.snapshot}'")
            count, size = streams.copy_large_objects(
                src, tgt, on_bytes=lambda n: self.progress.advance(0, detail="large objects"))
            self.report.large_objects = count
            self.report.notes.append(f"{count} large objects ({size} bytes) copied")
        finally:
            src.close()
            tgt.close()

    def _abort(self) -> None:
        self.children.kill_all()
        with self._lock:
            conns = list(self._ddl_conns)
        for conn in conns:
            if not conn.closed:
                try:
                    conn.cancel()
                except psycopg.Error:
                    pass

    def close(self) -> None:
        self._abort()
        for conn in [self.snapshot_conn] + self._ddl_conns:
            if conn is not None and not conn.closed:
                conn.close()
        if self.admin is not None and not self.admin.closed:
            try:
                target_db.stop_leftovers(self.admin)
            except psycopg.Error:
                pass
            self.admin.close()

