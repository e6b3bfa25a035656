"""`herokufly migrate`: carry out the plan on Fly, stage by stage, resumable."""

from __future__ import annotations

import json
import sys

import click

from herokufly.base import console, masking
from herokufly.base.errors import ConfigError
from herokufly.talk.fly import TOKEN_HINT, FlyClient
from herokufly.act.migrate import ALL_STAGES, run_stages, select_stages
from herokufly.base.settings import MASK_ALL_CONFIG_ENV, Settings
from herokufly.stages.base import MigrateOptions, StageContext
from herokufly.act.state import MigrationState, default_path

POSTGRES_MODES = ("managed", "unmanaged", "keep-heroku", "none")


def prepare(*, heroku_app, fly_app, org, region, postgres, repo_dir, state_file, settings):
    """Plan, Fly client (token and version checked) and state: shared by migrate and rollback."""
    from herokufly.commands.plan import build_plan

    if not settings.heroku_api_key:
        raise ConfigError("HEROKU_API_KEY is not set", hint="Export a Heroku API key (heroku auth:token)")
    if not settings.fly_api_token:
        raise ConfigError("FLY_API_TOKEN is not set", hint=TOKEN_HINT)
    plan = build_plan(heroku_app=heroku_app, repo_dir=repo_dir, fly_app=fly_app, region=region,
                      org=org, postgres=postgres, offline=False).to_dict()
    # App names and the region are public; the domains were read (and so known) by the plan.
    masking.know_public(heroku_app, plan.get("heroku_app"), plan.get("fly_app"), plan.get("region"))
    fly = FlyClient.from_settings(settings)
    fly.check_version()
    state = MigrationState.load(state_file or default_path(plan["fly_app"]),
                                heroku_app=heroku_app, fly_app=plan["fly_app"])
    return plan, fly, state


def _mask_all_config(ctx, param, value):  # noqa: ARG001 - click callback signature
    if value:
        masking.mask_all_config()  # before any config value is read


def heroku_factory(settings):
    from herokufly.talk.heroku import HerokuClient

    return lambda: HerokuClient.from_settings(settings)


@click.command("migrate")
@click.option("--heroku-app", required=True, help="The Heroku app to move.")
@click.option("--fly-app", help="Fly app name (default: from the plan).")
@click.option("--org", default="personal", show_default=True, help="Fly organization.")
@click.option("--region", help="Fly region code (default: nearest to the Heroku region).")
@click.option("--postgres", type=click.Choice(POSTGRES_MODES), default="managed", show_default=True)
@click.option("--repo", "repo_dir", default=".", show_default=True, type=click.Path(file_okay=False))
@click.option("--fly-toml", type=click.Path(dir_okay=False), help="fly.toml to deploy (default <repo>/fly.toml).")
@click.option("--only", multiple=True, type=click.Choice(ALL_STAGES), help="Run only this stage (repeatable).")
@click.option("--from", "start", type=click.Choice(ALL_STAGES), help="Resume from this stage.")
@click.option("--state-file", type=click.Path(dir_okay=False),
              help="Migration state (default .herokufly/<fly-app>.state.json or $HEROKUFLY_STATE_FILE).")
@click.option("--smoke-url", help="Address for the post-deploy smoke check (default https://<app>.fly.dev/).")
@click.option("--no-smoke-check", is_flag=True, help="Skip the post-deploy smoke check.")
@click.option("--no-scale-workers", is_flag=True, help="Leave worker dynos running during the copy.")
@click.option("--keep-maintenance-on-failure", is_flag=True, help="Keep Heroku in maintenance if the copy fails.")
@click.option("--reopen-heroku-after-copy", is_flag=True,
              help="Take Heroku out of maintenance after the copy (rehearsals: later writes are not moved).")
@click.option("--jobs", type=click.IntRange(1, 64), help="Parallel copy streams.")
@click.option("--verify", type=click.Choice(["counts", "checksums", "none"]), default="counts", show_default=True)
@click.option("--force-copy", is_flag=True, help="Copy the database again, replacing Fly's data.")
@click.option("--copy-on-fly", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              envvar="HEROKUFLY_COPY_ON_FLY",
              help="Copy the database on a Fly Machine next to it (auto: when larger than 5 GB).")
@click.option("--copy-image", envvar="HEROKUFLY_IMAGE", help="herokufly's image for that Machine.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON report on stdout.")
@click.option("--mask-all-config", is_flag=True, envvar=MASK_ALL_CONFIG_ENV, is_eager=True, expose_value=False,
              callback=_mask_all_config,
              help="Mask every config value in all output, even public ones (hostnames, prod, true).")
def command(heroku_app, fly_app, org, region, postgres, repo_dir, fly_toml, only, start, state_file,
            smoke_url, no_smoke_check, no_scale_workers, keep_maintenance_on_failure,
            reopen_heroku_after_copy, jobs, verify, force_copy, copy_on_fly, copy_image, yes, as_json) -> int:
    """Move the Heroku app to Fly: provision, secrets, database, deploy, domains[, cutover]."""
    stages = select_stages(only, start)
    if not yes and not sys.stdin.isatty():
        raise ConfigError("migrate changes Heroku and Fly and needs confirmation",
                          hint="Pass --yes when running without a terminal (CI)")
    settings = Settings.from_env()
    plan, fly, state = prepare(heroku_app=heroku_app, fly_app=fly_app, org=org, region=region,
                               postgres=postgres, repo_dir=repo_dir, state_file=state_file,
                               settings=settings)
    options = MigrateOptions(
        heroku_app=heroku_app, fly_app=plan["fly_app"], org=plan.get("org") or org,
        region=plan.get("region") or region or "iad", postgres=postgres, repo=repo_dir, fly_toml=fly_toml,
        smoke_url=smoke_url, smoke_check=not no_smoke_check,
        scale_workers_during_copy=not no_scale_workers,
        keep_maintenance_on_failure=keep_maintenance_on_failure,
        reopen_heroku_after_copy=reopen_heroku_after_copy, transfer_jobs=jobs, verify=verify,
        force_copy=force_copy, copy_on_fly=copy_on_fly, copy_image=copy_image)
    console.err(f"Migrating Heroku {heroku_app} -> Fly {options.fly_app} (org {options.org}, "
                f"region {options.region}, postgres {postgres}); stages: {', '.join(stages)}")
    console.err(f"State: {state.path}")
    if not yes and not click.confirm("Go ahead?", default=False, err=True):
        console.err("Nothing done.")
        return 1
    ctx = StageContext(options=options, plan=plan, state=state, fly=fly,
                       heroku_factory=heroku_factory(settings))

    def show(name, result):
        console.err(f"[{name}] {result.status}: {result.summary}")

    try:
        report = run_stages(ctx, stages, on_result=show)
    except KeyboardInterrupt:
        stopped = next((n for n, s in state.summary().items() if s == "interrupted"), None)
        console.err(f"Interrupted during {stopped or 'start-up'}; the state is saved in {state.path}. "
                    f"To continue, re-run the same command (or add --from {stopped or stages[0]}).")
        raise
    except Exception as exc:
        if as_json:
            console.out(json.dumps({"ok": False, "state_file": str(state.path), "stages": state.summary(),
                                    "error": getattr(exc, "one_line", lambda: type(exc).__name__)()}))
        raise
    finally:
        if ctx._heroku is not None and hasattr(ctx._heroku, "close"):
            ctx._heroku.close()
    if as_json:
        console.out(json.dumps({"ok": True, "state_file": str(state.path), "stages": state.summary(),
                                "results": report.stages}, indent=2))
    else:
        console.err("Done. " + ", ".join(f"{k}: {v}" for k, v in state.summary().items()))
    return 0
