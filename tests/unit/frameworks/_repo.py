"""Build a small repo on disk and plan it offline, as `herokufly plan --offline` would."""

from __future__ import annotations

import json
from pathlib import Path

from herokufly.decide.plan import PlanOptions, inventory_from_repo, make_plan
from herokufly.talk.repo import read_repo


def write(root: Path, files: dict[str, str | dict]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content) if isinstance(content, dict) else content)
    return root


def plan_of(root: Path, **options) -> dict:
    inventory = inventory_from_repo(read_repo(root), "shop")
    return make_plan(inventory, PlanOptions(heroku_app="shop", **options)).to_dict()


def assert_every_process_runs_heroku(plan: dict) -> None:
    for group, check in plan["process_checks"].items():
        if check.get("heroku") and not check.get("replaced"):
            assert check["runs_heroku_line"], (group, check)
    if plan["release"] and not plan["release"].get("replaced"):
        assert plan["release"]["runs_heroku_line"], plan["release"]
