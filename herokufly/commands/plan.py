"""`herokufly plan` (placeholder until the plan module lands)."""

from __future__ import annotations

import click


@click.command("plan")
def command() -> int:
    """Say what a migration will do and what it will cost."""
    click.echo("plan: not implemented yet")
    return 0
