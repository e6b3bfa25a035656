"""`herokufly plan`: say what a migration will do and what it will cost."""

from __future__ import annotations

import functools
import json

import click

from herokufly.base import console
from herokufly.decide.plan import POSTGRES_TARGETS, Plan, PlanOptions, inventory_from_repo, make_plan
from herokufly.talk.repo import read_repo
from herokufly.report import render_plan_text
from herokufly.base.settings import Settings


def plan_options(func):
    """The options plan and scaffold share."""
    decorators = [
        click.option("--heroku-app", required=True, help="Name of the Heroku app to move."),
        click.option("--repo", "repo_dir", default=".", show_default=True,
                     type=click.Path(file_okay=False), help="The app's repository."),
        click.option("--fly-app", help="Fly app name (default: the Heroku app's name)."),
        click.option("--region", help="Fly region code (default: nearest to the Heroku region)."),
        click.option("--org", default="personal", show_default=True, help="Fly organization."),
        click.option("--postgres", type=click.Choice(POSTGRES_TARGETS), default="managed",
                     show_default=True, help="Where the database goes."),
        click.option("--release-migrations/--no-release-migrations", default=True,
                     show_default=True,
                     help="Propose the framework's migration command as the release command "
                          "when the app has a database and no release process."),
        click.option("--offline", is_flag=True,
                     help="Plan from the repository alone, without the Heroku API."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]
    return functools.reduce(lambda f, d: d(f), reversed(decorators), func)


def build_plan(*, heroku_app, repo_dir, fly_app, region, org, postgres, offline,
               release_migrations=True) -> Plan:
    """Read the repo (and the Heroku app unless offline) and make the plan."""
    repo = read_repo(repo_dir)
    settings = Settings.from_env()
    if not offline and not settings.heroku_api_key:
        console.err("HEROKU_API_KEY is not set: planning offline from the repository alone.")
        offline = True
    if offline:
        inventory = inventory_from_repo(repo, heroku_app)
    else:
        from herokufly.talk.heroku import HerokuClient
        from herokufly.talk.read import read_heroku

        with HerokuClient.from_settings(settings) as client:
            inventory = read_heroku(client, heroku_app, repo)
    options = PlanOptions(heroku_app=heroku_app, fly_app=fly_app, region=region, org=org,
                          postgres=postgres, release_migrations=release_migrations)
    return make_plan(inventory, options)


@click.command("plan")
@plan_options
def command(heroku_app, repo_dir, fly_app, region, org, postgres, release_migrations, offline,
            as_json) -> int:
    """Say what a migration will do and what it will cost."""
    plan = build_plan(heroku_app=heroku_app, repo_dir=repo_dir, fly_app=fly_app, region=region,
                      org=org, postgres=postgres, offline=offline,
                      release_migrations=release_migrations)
    if as_json:
        console.out(json.dumps(plan.to_dict(), indent=2))
    else:
        console.out(render_plan_text(plan.to_dict()))
    return 0
