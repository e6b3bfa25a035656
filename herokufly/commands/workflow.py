"""`herokufly workflow`: write the Fly deploy (and migration) workflows; turn off Heroku deploys."""

from __future__ import annotations

import json
from pathlib import Path

import click
import tomlkit

from herokufly.act import workflow
from herokufly.base import console
from herokufly.base.errors import ConfigError


def fly_app_from_toml(repo: Path) -> str | None:
    path = repo / "fly.toml"
    if not path.is_file():
        return None
    try:
        app = tomlkit.parse(path.read_text(encoding="utf-8")).get("app")
    except Exception as exc:  # noqa: BLE001  (tomlkit raises several parse error types)
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return str(app) if app else None


@click.command("workflow")
@click.option("--repo", "repo", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="The app's repository.")
@click.option("--branch", default="main", show_default=True, help="Deploy to Fly on every push to this branch.")
@click.option("--environment", default=None, help="GitHub environment for the deploy and migration jobs.")
@click.option("--heroku-app", default=None, help="Heroku app the migration workflow moves.")
@click.option("--fly-app", default=None, help="Fly app (default: `app` in fly.toml).")
@click.option("--migrate-workflow/--no-migrate-workflow", default=True, show_default=True,
              help="Also write .github/workflows/herokufly-migrate.yml (PR comment commands).")
@click.option("--action-ref", default=None, help="Pin herokufly's action as OWNER/REPO@SHA.")
@click.option("--force", is_flag=True, help="Replace workflow files that exist with other content.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (file contents included).")
def command(repo: Path, branch: str, environment: str | None, heroku_app: str | None, fly_app: str | None,
            migrate_workflow: bool, action_ref: str | None, force: bool, dry_run: bool, as_json: bool) -> int:
    """Write .github/workflows/fly-deploy.yml and turn off the old Heroku deploys."""
    fly_app = fly_app or fly_app_from_toml(repo)
    plan = workflow.plan_workflows(
        repo, branch=branch, environment=environment, heroku_app=heroku_app, fly_app=fly_app,
        migrate=migrate_workflow, action_ref=action_ref,
    )
    if plan.conflicts and not force and not dry_run:
        raise ConfigError(
            f"{', '.join(plan.conflicts)} already exists with other content; nothing was written",
            hint="re-run with --force to replace it, or --dry-run to see the new content",
        )
    written = [] if dry_run else workflow.write_files(repo, plan.files)
    result = {
        "written": written,
        "would_write": sorted(plan.files) if dry_run else [],
        "unchanged": plan.unchanged,
        "conflicts": plan.conflicts,
        "heroku_deploys": [
            {"path": f.path, "line": f.line, "what": f.what, "fly_equivalent": f.fly_equivalent,
             "action": "turned off" if f.in_workflow else "report"}
            for f in plan.findings
        ],
        "token": workflow.token_instructions(fly_app),
    }
    if as_json:
        result["files"] = plan.files
        console.out(json.dumps(result, indent=2))
        return 0
    verb = "Would write" if dry_run else "Wrote"
    for rel in sorted(plan.files):
        console.out(f"{verb} {rel}")
    for rel in plan.unchanged:
        console.out(f"Unchanged {rel}")
    notes = plan.notes()
    if notes:
        console.out("")
        console.out("Heroku deploys found:")
        for note in notes:
            console.out(f"  - {note}")
    if migrate_workflow and not heroku_app:
        console.out("")
        console.out(f"Set HEROKU_APP and FLY_APP in {workflow.MIGRATE_WORKFLOW} (or re-run with --heroku-app/--fly-app).")
    console.out("")
    for line in workflow.token_instructions(fly_app):
        console.out(line)
    return 0
