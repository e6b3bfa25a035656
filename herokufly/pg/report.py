"""Human rendering of transfer and verification reports (JSON comes from .to_dict())."""

from __future__ import annotations

from herokufly.pg.progress import _human_bytes


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return [fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


def render_verify(report) -> list[str]:
    lines = []
    rows = []
    for t in report.tables:
        cells = [t.name, _n(t.source_rows), _n(t.target_rows)]
        if report.checksums:
            cells.append("same" if t.source_checksum == t.target_checksum else "DIFFERENT")
        cells.append("ok" if t.ok else "MISMATCH")
        rows.append(cells)
    headers = ["table", "source rows", "target rows"] + (["checksum"] if report.checksums else []) \
        + ["result"]
    lines += _table(headers, rows)
    lines.append("")
    lines.append(f"sequences: {report.sequences} checked; large objects: {report.large_objects}; "
                 f"extensions: {', '.join(report.extensions) or 'none'}")
    if getattr(report, "skipped", None):
        lines.append(f"left out on purpose (the target cannot create them): {', '.join(report.skipped)}")
    settings = ", ".join(f"{k}={v}" for k, v in sorted(report.settings.items())) or "none"
    lines.append(f"database settings: {settings}")
    if report.ok:
        lines.append(f"verification: OK, every check matches ({report.seconds:.1f}s)")
    else:
        lines.append(f"verification: FAILED, {len(report.mismatches)} mismatch(es):")
        lines += [f"  - {m}" for m in report.mismatches]
    return lines


def render_transfer(report) -> list[str]:
    lines = [f"transfer {report.source} -> {report.target}",
             f"servers: source PostgreSQL {report.source_version}, target "
             f"{report.target_version}; client tools {report.client_version}; {report.jobs} jobs", ""]
    lines += _table(["table", "rows", "size", "seconds"],
                    [[t.name, f"{t.rows:,}", _human_bytes(t.bytes), f"{t.seconds:.1f}"]
                     for t in report.tables])
    lines.append("")
    lines.append("phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.phases.items()))
    lines.append(f"total: {report.rows:,} rows, {_human_bytes(report.bytes)} in {report.seconds:.1f}s "
                 f"({report.throughput_mb_s} MB/s while copying); sequences {report.sequences}, "
                 f"large objects {report.large_objects}")
    for note in report.notes:
        lines.append(f"note: {note}")
    if report.verification is not None:
        lines.append("")
        lines += render_verify(report.verification)
    else:
        lines.append("verification: skipped (--verify none)")
    return lines


def _n(value) -> str:
    return "-" if value is None else f"{value:,}"
