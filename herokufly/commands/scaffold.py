"""`herokufly scaffold`: write fly.toml (and for Phoenix the release files) into the repo."""

from __future__ import annotations

import json

import click

from herokufly.base import console
from herokufly.commands.plan import build_plan, plan_options
from herokufly.act.scaffold import scaffold


@click.command("scaffold")
@plan_options
@click.option("--force", is_flag=True,
              help="Replace files and fly.toml keys that differ from the plan (else left alone).")
def command(heroku_app, repo_dir, fly_app, region, org, postgres, release_migrations, offline,
            as_json, force) -> int:
    """Write the Fly files the plan needs; never overwrite your files without --force."""
    plan = build_plan(heroku_app=heroku_app, repo_dir=repo_dir, fly_app=fly_app, region=region,
                      org=org, postgres=postgres, offline=offline,
                      release_migrations=release_migrations)
    result = scaffold(plan.to_dict(), repo_dir, force=force)
    if as_json:
        console.out(json.dumps({"fly_app": plan.fly_app, **result.to_dict()}, indent=2))
    else:
        for change in result.changes:
            detail = f" ({change.detail})" if change.detail else ""
            console.out(f"{change.action:>9}  {change.path}{detail}")
    if not as_json:
        console.out("Wrote the files above." if result.written else "Nothing to change.")
    if result.conflicts:
        console.err(
            "Left alone because yours differ: " + ", ".join(c.path for c in result.conflicts)
            + ". Review them against the plan; --force replaces them."
        )
    return 0
