"""The `herokufly` command: parse flags, dispatch, map errors to exit codes."""

from __future__ import annotations

import signal
import sys
import traceback

import click

from herokufly import __version__
from herokufly.base import console, errors, masking
from herokufly.commands import COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="herokufly")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Move a Heroku app to Fly.io in verified, resumable stages."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for _command in COMMANDS:
    cli.add_command(_command)


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    if "--json" in args:
        masking.send_commands_to_stderr()
    try:
        result = cli.main(args=args, prog_name="herokufly", standalone_mode=False)
    except click.exceptions.Abort:
        console.err("Interrupted.")
        return errors.EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return errors.EXIT_USER
    except KeyboardInterrupt:
        console.err("Interrupted: stopped cleanly; re-run the same command to continue.")
        return errors.EXIT_INTERRUPTED
    except errors.HerokuflyError as exc:
        if debug:
            console.err(traceback.format_exc())
        console.error_annotation(type(exc).__name__, exc.one_line())
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001
        if debug:
            console.err(traceback.format_exc())
        console.error_annotation(
            "Internal error",
            f"internal error: {type(exc).__name__}: {exc}. Re-run with --debug and report it",
        )
        return errors.EXIT_INTERNAL
    return result if isinstance(result, int) else errors.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
