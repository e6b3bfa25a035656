"""Data streams: table rows as COPY pipes between two psql processes, large objects in chunks.

Rows never pass through Python: the source psql's COPY TO STDOUT feeds the
target psql's COPY FROM STDIN through an OS pipe, so memory stays flat and
several streams run on several cores. Every child process dies with us
(PR_SET_PDEATHSIG through setpriv) so a killed transfer leaves no writer behind.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from dataclasses import dataclass

from herokufly.base.errors import DatabaseError
from herokufly.pg.catalog import Table
from herokufly.pg.connect import Database
from herokufly.pg.schema import first_error
from herokufly.pg.tools import ClientTools

_SETPRIV = shutil.which("setpriv")
LO_CHUNK = 1024 * 1024


class Children:
    """Every child process started, so an interrupt can stop them all."""

    def __init__(self):
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()
        self.stopping = False

    def popen(self, cmd: list[str], **kw) -> subprocess.Popen:
        if _SETPRIV:
            cmd = [_SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        with self._lock:
            if self.stopping:
                raise KeyboardInterrupt
            proc = subprocess.Popen(cmd, **kw)
            self._procs.add(proc)
        return proc

    def done(self, *procs: subprocess.Popen) -> None:
        with self._lock:
            for p in procs:
                self._procs.discard(p)

    def kill_all(self) -> None:
        with self._lock:
            self.stopping = True
            procs = list(self._procs)
        for p in procs:
            if p.poll() is None:
                p.kill()


@dataclass
class Chunk:
    table: Table
    index: int  # 0-based
    count: int
    first_page: int | None = None  # None: the whole table
    end_page: int | None = None  # None: to the end

    @property
    def bytes(self) -> int:
        return self.table.bytes // self.count

    def select_sql(self) -> str:
        t = self.table
        cols = t.column_list
        fmt = " (FORMAT binary)" if t.binary_ok else ""
        if self.first_page is None:
            return f"COPY {t.sql_name} ({cols}) TO STDOUT{fmt}" if cols else \
                f"COPY {t.sql_name} TO STDOUT{fmt}"
        where = f"ctid >= '({self.first_page},0)'::tid"
        if self.end_page is not None:
            where += f" AND ctid < '({self.end_page},0)'::tid"
        return f"COPY (SELECT {cols or '*'} FROM ONLY {t.sql_name} WHERE {where}) TO STDOUT{fmt}"

    def insert_sql(self, freeze: bool = False) -> str:
        t = self.table
        options = (["FORMAT binary"] if t.binary_ok else []) + (["FREEZE"] if freeze else [])
        fmt = f" ({', '.join(options)})" if options else ""
        cols = f" ({t.column_list})" if t.column_list else ""
        return f"COPY {t.sql_name}{cols} FROM STDIN{fmt}"


def plan_chunks(table: Table, split_bytes: int, can_split: bool) -> list[Chunk]:
    """One chunk per `split_bytes` of heap, as ranges of pages (TID range scans, PG 14+)."""
    heap_bytes = table.pages * 8192
    if not can_split or heap_bytes <= split_bytes or table.pages < 2:
        return [Chunk(table, 0, 1)]
    count = min(64, -(-heap_bytes // split_bytes))
    step = -(-table.pages // count)
    chunks = []
    for i in range(count):
        first = i * step
        if first >= table.pages:
            break
        end = None if i == count - 1 or first + step >= table.pages else first + step
        chunks.append(Chunk(table, i, count, first, end))
        if end is None:
            break
    for c in chunks:
        c.count = len(chunks)
    return chunks


def _psql(tools: ClientTools, db: Database, *commands: str, quiet: bool) -> list[str]:
    cmd = [tools.psql, "-X", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-d", db.tool_conninfo()]
    if quiet:
        cmd.append("-q")
    if db.session_settings:
        commands = (db.session_sql(),) + commands
    for c in commands:
        cmd += ["-c", c]
    return cmd


def copy_chunk(children: Children, tools: ClientTools, source: Database, target: Database,
               snapshot: str | None, chunk: Chunk) -> int:
    """Copy one chunk; returns the number of rows the target received."""
    begin = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"]
    if snapshot:
        begin.append(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    # -q: command tags would otherwise land in the data stream.
    out_cmd = _psql(tools, source, *begin, chunk.select_sql(), "COMMIT", quiet=True)
    if chunk.count == 1:
        # The whole table in one transaction that also empties it: COPY FREEZE writes rows
        # already frozen and visible, so verification, index builds and the next vacuum
        # do not have to touch every page again.
        in_cmd = _psql(tools, target, "SET synchronous_commit = off", "BEGIN",
                       f"TRUNCATE ONLY {chunk.table.sql_name}", chunk.insert_sql(freeze=True),
                       "COMMIT", quiet=False)
    else:
        in_cmd = _psql(tools, target, "SET synchronous_commit = off", chunk.insert_sql(), quiet=False)
    src = children.popen(out_cmd, env=source.tool_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        dst = children.popen(in_cmd, env=target.tool_env(), stdin=src.stdout,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except BaseException:
        src.kill()
        src.wait()
        children.done(src)
        raise
    src.stdout.close()  # the target psql holds the only read end now
    dst_out, dst_err = dst.communicate()
    src_err = src.stderr.read()
    src.wait()
    children.done(src, dst)
    if children.stopping:
        raise KeyboardInterrupt
    name = chunk.table.key + (f" (part {chunk.index + 1}/{chunk.count})" if chunk.count > 1 else "")
    if dst.returncode != 0:
        raise DatabaseError(f"copying {name} into the target failed: "
                            f"{first_error(dst_err.decode('utf-8', 'replace'))}")
    if src.returncode != 0:
        raise DatabaseError(f"reading {name} from the source failed: "
                            f"{first_error(src_err.decode('utf-8', 'replace'))}")
    m = re.search(rb"^COPY (\d+)", dst_out, re.M)
    return int(m.group(1)) if m else 0


def copy_large_objects(source_conn, target_conn, on_bytes=None) -> tuple[int, int]:
    """Create every large object with its OID on the target and copy its bytes in 1 MB pieces.

    `source_conn` must see the transfer's snapshot; `target_conn` is not in autocommit and
    is committed here. Returns (objects, bytes).
    """
    oids = [r[0] for r in source_conn.execute(
        "SELECT oid FROM pg_largeobject_metadata ORDER BY oid").fetchall()]
    total = 0
    for oid in oids:
        target_conn.execute("SELECT lo_create(%s)", (oid,))
        offset = 0
        while True:
            data = source_conn.execute("SELECT lo_get(%s, %s, %s)", (oid, offset, LO_CHUNK)).fetchone()[0]
            if not data:
                break
            target_conn.execute("SELECT lo_put(%s, %s, %s)", (oid, offset, bytes(data)))
            offset += len(data)
            total += len(data)
            if on_bytes:
                on_bytes(len(data))
            if len(data) < LO_CHUNK:
                break
    target_conn.commit()
    return len(oids), total
