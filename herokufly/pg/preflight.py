"""Preflight: everything that can be checked before downtime, read-only on both sides.

All problems are collected and raised together as one DatabaseError, so the
user fixes them in one go before anything is changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from herokufly.base.errors import DatabaseError
from herokufly.pg import catalog, extensions as extension_rules, tools
from herokufly.pg.connect import Database


@dataclass
class PreflightReport:
    source: str
    target: str
    source_version: str = ""
    target_version: str = ""
    source_major: int = 0
    target_major: int = 0
    client: tools.ClientTools | None = None
    extensions: list[tuple[str, str, str]] = field(default_factory=list)
    database_bytes: int = 0
    table_count: int = 0
    large_objects: int = 0
    # "empty", "herokufly" (left by an earlier herokufly run: cleaned) or "forced"
    target_state: str = "empty"
    # Source extensions the target cannot create: left out (with the views reading them).
    skipped_extensions: list[extension_rules.SkippedExtension] = field(default_factory=list)
    # Extensions the target had before the copy that the source lacks (a platform's own,
    # e.g. Fly's pg_stat_monitor): kept, and not counted as a difference.
    target_only_extensions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["client"] = None if self.client is None else {
            "bindir": self.client.bindir, "version": self.client.version}
        data["extensions"] = [{"name": n, "schema": s, "version": v} for n, s, v in self.extensions]
        data["skipped_extensions"] = [e.to_dict() for e in self.skipped_extensions]
        return data

    @property
    def skipped_extension_names(self) -> set[str]:
        return {e.name for e in self.skipped_extensions}

    @property
    def skipped_views(self) -> set[tuple[str, str]]:
        return {v for e in self.skipped_extensions for v in e.views}


def preflight(source_url: str, target_url: str, force: bool = False,
              pg_bindir: str | None = None, allowed_extensions: set[str] | None = None,
              allowed_source: str = "the target platform") -> PreflightReport:
    """`allowed_extensions`: what the target platform lets users create (e.g. Fly's list);
    None: the target server alone decides."""
    source = Database.parse("source", source_url)
    target = Database.parse("target", target_url)
    report = PreflightReport(source=source.display, target=target.display)
    problems: list[str] = []

    src_conn = tgt_conn = None
    try:
        for db in (source, target):
            try:
                conn = db.connect()
            except DatabaseError as exc:
                problems.append(exc.message)
                continue
            if db is source:
                src_conn = conn
            else:
                tgt_conn = conn
        if src_conn is not None:
            _check_source(src_conn, report, problems, pg_bindir)
        if tgt_conn is not None:
            _check_target(tgt_conn, report, problems, force)
        if src_conn is not None and tgt_conn is not None:
            _check_pair(src_conn, tgt_conn, report, problems, allowed_extensions, allowed_source)
    finally:
        for conn in (src_conn, tgt_conn):
            if conn is not None:
                conn.close()
    if problems:
        raise DatabaseError(
            f"preflight found {len(problems)} problem{'s' if len(problems) > 1 else ''}, nothing "
            "was changed: " + "; ".join(f"({i}) {p}" for i, p in enumerate(problems, 1)))
    return report


def _check_source(conn, report: PreflightReport, problems: list[str], pg_bindir: str | None) -> None:
    report.source_major = catalog.server_major(conn)
    report.source_version = catalog.server_version(conn)
    report.extensions = catalog.extensions(conn)
    report.database_bytes = catalog.database_size(conn)
    report.table_count = len(catalog.tables(conn))
    report.large_objects = catalog.large_object_count(conn)
    try:
        report.client = tools.choose_tools(report.source_major, pg_bindir)
    except DatabaseError as exc:
        problems.append(exc.one_line())


def _check_target(conn, report: PreflightReport, problems: list[str], force: bool) -> None:
    report.target_major = catalog.server_major(conn)
    report.target_version = catalog.server_version(conn)
    is_owner = conn.execute(
        "SELECT pg_has_role(current_user, d.datdba, 'MEMBER')"
        " OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
        " FROM pg_database d WHERE d.datname = current_database()").fetchone()[0]
    if not is_owner:
        problems.append(
            f"the target user {conn.info.user} does not own the database {conn.info.dbname}: "
            "database-level settings such as search_path need the owner; connect as the owner "
            f"or run ALTER DATABASE {conn.info.dbname} OWNER TO {conn.info.user}")
    comment = catalog.database_comment(conn) or ""
    # Extensions alone do not make a target "in use": platforms preinstall their own
    # (Fly: plpgsql, pg_stat_monitor, pgaudit, which cannot be disabled).
    in_use = catalog.user_relation_count(conn) > 0 or catalog.large_object_count(conn) > 0
    if comment.startswith(catalog.MARKER_PREFIX):
        report.target_state = "herokufly"
        report.notes.append("the target holds a partial copy from an earlier herokufly run: "
                            "it is cleaned and filled again")
    elif in_use:
        if force:
            report.target_state = "forced"
            report.notes.append("the target is not empty: --force drops its schemas and data")
        else:
            problems.append(f"the target database {report.target} is not empty: use an empty "
                            "database, or pass --force to replace everything in it")


def _check_pair(src_conn, tgt_conn, report: PreflightReport, problems: list[str],
                allowed_extensions: set[str] | None, allowed_source: str) -> None:
    if (src_conn.info.host, src_conn.info.port, src_conn.info.dbname) == \
            (tgt_conn.info.host, tgt_conn.info.port, tgt_conn.info.dbname):
        problems.append("the source and the target are the same database")
    encoding = "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"
    src_enc, tgt_enc = src_conn.execute(encoding).fetchone()[0], tgt_conn.execute(encoding).fetchone()[0]
    if src_enc != tgt_enc:
        report.notes.append(f"the source database is {src_enc} and the target {tgt_enc}: text is "
                            "converted, and a character the target cannot hold stops the copy")
    skipped, extension_problems = extension_rules.plan(
        src_conn, tgt_conn, report.extensions, allowed_extensions, allowed_source)
    report.skipped_extensions = skipped
    problems.extend(extension_problems)
    report.notes.extend(e.note() for e in skipped)
    source_names = {name for name, _s, _v in report.extensions}
    report.target_only_extensions = sorted(
        name for name, _s, _v in catalog.extensions(tgt_conn) if name not in source_names)
    if report.source_major > report.target_major:
        report.notes.append(
            f"the target (PostgreSQL {report.target_major}) is older than the source "
            f"({report.source_major}): features new in {report.source_major} would fail")
    if report.client and report.client.major > report.target_major:
        report.notes.append(f"pg_dump {report.client.version} is newer than the target: settings the "
                            f"target does not know are left out")
