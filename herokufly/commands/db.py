"""`herokufly db transfer` and `herokufly db verify`."""

from __future__ import annotations

import json

import click

from herokufly.base import console, masking
from herokufly.base.errors import VerificationFailed

# psycopg and the transfer machinery load only when a db command runs.
VERIFY_MODES = ("counts", "checksums", "none")


def _register(ctx, param, value):  # noqa: ARG001 - click callback signature
    masking.register(value)
    return value


@click.group("db")
def command() -> None:
    """Move a PostgreSQL database and prove nothing was lost."""


@command.command("transfer")
@click.option("--from", "source", required=True, callback=_register, envvar="HEROKUFLY_DB_FROM",
              help="Source database URL (e.g. Heroku's DATABASE_URL).")
@click.option("--to", "target", required=True, callback=_register, envvar="HEROKUFLY_DB_TO",
              help="Target database URL (an empty database).")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Parallel streams (default: number of CPUs + 1, 2 to 8).")
@click.option("--verify", "verify_mode", type=click.Choice(VERIFY_MODES), default="counts",
              show_default=True, help="How to check the result.")
@click.option("--force", is_flag=True, help="Replace everything in a non-empty target.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--fly-target", is_flag=True,
              help="The target is Fly Managed Postgres: leave out extensions Fly does not offer.")
@click.option("--allowed-extensions", metavar="NAMES",
              help="Comma-separated extensions the target platform lets users create (others are left out).")
@click.option("--report-line", is_flag=True, hidden=True,
              help="Also print the JSON report as one line (read back from a Fly Machine's logs).")
def transfer_command(source: str, target: str, jobs: int | None, verify_mode: str, force: bool,
                     as_json: bool, fly_target: bool, allowed_extensions: str | None,
                     report_line: bool) -> int:
    """Copy a database (schema, data, settings, extensions) and verify it."""
    from herokufly.pg import report as render
    from herokufly.pg.progress import ConsoleProgress
    from herokufly.pg.transfer import TransferOptions, transfer

    progress = ConsoleProgress()
    options = TransferOptions(jobs=jobs, verify=verify_mode, force=force)
    if fly_target:
        from herokufly.pg import extensions

        options.allowed_extensions = extensions.fly_creatable()
        options.allowed_source = "Fly Managed Postgres"
    if allowed_extensions is not None:
        options.allowed_extensions = {n.strip() for n in allowed_extensions.split(",") if n.strip()}
        options.allowed_source = "Fly Managed Postgres" if fly_target else "the target platform"
    try:
        report = transfer(source, target, options, progress=progress)
    except VerificationFailed as exc:
        if getattr(exc, "report", None) is not None:
            _print(exc.report.to_dict(), render.render_transfer(exc.report), as_json, report_line)
        raise
    _print(report.to_dict(), render.render_transfer(report), as_json, report_line)
    return 0


@command.command("verify")
@click.option("--from", "source", required=True, callback=_register, envvar="HEROKUFLY_DB_FROM",
              help="Source database URL.")
@click.option("--to", "target", required=True, callback=_register, envvar="HEROKUFLY_DB_TO",
              help="Target database URL.")
@click.option("--checksums", is_flag=True, help="Also compare a checksum of every table's rows.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_command(source: str, target: str, checksums: bool, as_json: bool) -> int:
    """Compare two databases: row counts, sequences, settings, extensions, large objects."""
    from herokufly.pg import report as render
    from herokufly.pg.verify import verify

    result = verify(source, target, checksums=checksums)
    _print(result.to_dict(), render.render_verify(result), as_json)
    if not result.ok:
        raise VerificationFailed(
            f"the target differs from the source in {', '.join(result.mismatched_tables) or 'settings'}: "
            + "; ".join(result.mismatches[:5]))
    return 0


def _print(data: dict, lines: list[str], as_json: bool, report_line: bool = False) -> None:
    if report_line:
        from herokufly.pg.remote import REPORT_PREFIX

        console.out(REPORT_PREFIX + json.dumps(data, default=str, separators=(",", ":")))
    if as_json:
        console.out(json.dumps(data, indent=2, default=str))
    else:
        for line in lines:
            console.out(line)
