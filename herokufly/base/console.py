"""The only way herokufly prints: every line goes through masking.redact."""

from __future__ import annotations

import contextlib
import sys

import click

from herokufly.base import masking


def out(text: str = "") -> None:
    click.echo(masking.redact(text))


def err(text: str = "") -> None:
    click.echo(masking.redact(text), err=True)


def error_annotation(title: str, message: str) -> None:
    """A GitHub error annotation, or a plain error line elsewhere."""
    message = masking.redact(message)
    if masking.in_github_actions():
        title = title.replace(":", " ").replace(",", " ")
        click.echo(f"::error title={title}::{masking.escape_data(message)}")
    else:
        click.echo(f"error: {message}", err=True)


@contextlib.contextmanager
def group(title: str):
    """A collapsible `::group::` in Actions; a heading on a terminal."""
    if masking.in_github_actions():
        click.echo(f"::group::{masking.escape_data(masking.redact(title))}")
        try:
            yield
        finally:
            click.echo("::endgroup::")
    else:
        if sys.stderr.isatty():
            err(f"== {title}")
        yield
