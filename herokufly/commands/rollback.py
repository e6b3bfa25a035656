"""`herokufly rollback`: Heroku back as before (formation, maintenance); Fly left in place."""

from __future__ import annotations

import json
import sys

import click

from herokufly.act import rollback
from herokufly.base import console
from herokufly.base.errors import ConfigError
from herokufly.talk.fly import FlyClient
from herokufly.base.settings import Settings
from herokufly.stages.base import MigrateOptions, StageContext
from herokufly.act.state import MigrationState, default_path


@click.command("rollback")
@click.option("--heroku-app", required=True, help="The Heroku app to bring back.")
@click.option("--fly-app", required=True, help="The Fly app of the migration.")
@click.option("--state-file", type=click.Path(dir_okay=False), help="Migration state file.")
@click.option("--formation", help="Counts to restore when none is recorded, e.g. web=2,worker=1.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
def command(heroku_app, fly_app, state_file, formation, yes, as_json) -> int:
    """Restore the Heroku formation and turn maintenance off; report what exists on Fly."""
    override = rollback.parse_formation(formation) if formation else None
    if not yes and not sys.stdin.isatty():
        raise ConfigError("rollback changes the Heroku app and needs confirmation",
                          hint="Pass --yes when running without a terminal (CI)")
    settings = Settings.from_env()
    if not settings.heroku_api_key:
        raise ConfigError("HEROKU_API_KEY is not set", hint="Export a Heroku API key (heroku auth:token)")
    state = MigrationState.load(state_file or default_path(fly_app), heroku_app=heroku_app, fly_app=fly_app)
    if not yes and not click.confirm(f"Bring Heroku {heroku_app} back?", default=False, err=True):
        return 1
    from herokufly.talk.heroku import HerokuClient

    with HerokuClient.from_settings(settings) as heroku:
        ctx = StageContext(options=MigrateOptions(heroku_app=heroku_app, fly_app=fly_app), plan={},
                           state=state, fly=FlyClient.from_settings(settings), heroku_factory=lambda: heroku)
        result = rollback.run(ctx, override)
    if as_json:
        console.out(json.dumps(result.to_dict(), indent=2))
    else:
        console.err(f"[rollback] {result.status}: {result.summary}")
    return 0
