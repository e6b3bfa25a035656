"""`herokufly workflow`: rendering, finding and turning off Heroku deploys, the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from herokufly import cli
from herokufly.act import workflow
from herokufly.base.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
SHA_PIN = re.compile(r"uses: (?P<action>[^@\s]+)@(?P<ref>\S+)(?P<comment> # v?\d[\w.]*)?")

OLD_DEPLOY = """\
name: Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4   # keep me
      - name: Deploy to Heroku
        uses: akhileshns/heroku-deploy@v3.13.15
        with:
          heroku_api_key: ${{ secrets.HEROKU_API_KEY }}
          heroku_app_name: shop
          heroku_email: ops@example.com
      - run: |
          echo pushing
          git push https://heroku:${{ secrets.HEROKU_API_KEY }}@git.heroku.com/shop.git HEAD:main
        if: github.ref == 'refs/heads/main'
      - run: heroku container:push web -a shop && heroku container:release web -a shop
      - run: echo "tests still run"
"""


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(OLD_DEPLOY)
    (tmp_path / "Makefile").write_text("deploy:\n\tgit push heroku main\n# git push heroku is a comment\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "release").write_text("#!/bin/sh\nheroku container:release web\n")
    (tmp_path / "fly.toml").write_text('app = "shop-fly"\nprimary_region = "iad"\n')
    return tmp_path


def all_uses(text: str) -> list[re.Match]:
    return [m for m in SHA_PIN.finditer(text)]


@pytest.mark.parametrize("render", [
    lambda: workflow.render_deploy_workflow(),
    lambda: workflow.render_deploy_workflow(branch="release/v2", environment="production"),
    lambda: workflow.render_migrate_workflow(),
    lambda: workflow.render_migrate_workflow(heroku_app="shop", fly_app="shop-fly", environment="prod env"),
])
def test_every_action_is_pinned_by_full_sha_with_a_version_comment(render):
    text = render()
    uses = all_uses(text)
    assert uses
    for m in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", m.group("ref")), m.group(0)
        if m.group("action") == workflow.ACTION_REPOSITORY and workflow.ACTION_SHA is None:
            continue  # no release yet: tests/unit/base/test_pins.py checks the line says so plainly
        assert m.group("comment"), f"no version comment: {m.group(0)}"


def test_deploy_workflow_shape():
    doc = yaml.safe_load(workflow.render_deploy_workflow(branch="main", environment="production"))
    assert doc[True]["push"]["branches"] == ["main"]  # PyYAML reads `on` as True
    assert doc["permissions"] == {"contents": "read"}
    assert doc["concurrency"]["group"] == "fly-deploy-main"
    job = doc["jobs"]["deploy"]
    assert job["environment"] == "production"
    checkout, setup, deploy = job["steps"]
    assert checkout["with"]["persist-credentials"] is False
    assert setup["uses"].startswith("superfly/flyctl-actions/setup-flyctl@")
    assert setup["with"]["version"] == workflow.FLYCTL_VERSION
    assert deploy["run"] == "flyctl deploy --remote-only"
    assert deploy["env"] == {"FLY_API_TOKEN": "${{ secrets.FLY_API_TOKEN }}"}
    assert "environment" not in yaml.safe_load(workflow.render_deploy_workflow())["jobs"]["deploy"]


def test_migrate_workflow_jobs_chain_and_least_privilege():
    doc = yaml.safe_load(workflow.render_migrate_workflow(heroku_app="shop", fly_app="shop-fly"))
    on = doc[True] if True in doc else doc["on"]  # PyYAML reads `on` as True
    assert set(on) == {"issue_comment", "pull_request", "workflow_dispatch"}
    assert doc["permissions"] == {}
    assert doc["env"] == {"HEROKU_APP": "shop", "FLY_APP": "shop-fly"}
    jobs = doc["jobs"]
    assert list(jobs) == ["plan", "provision", "secrets", "database", "deploy", "domains", "cutover", "rollback", "report"]
    assert jobs["provision"]["needs"] == ["plan"]
    assert jobs["database"]["needs"] == ["plan", "provision", "secrets"]
    assert jobs["domains"]["needs"] == ["plan", "provision", "secrets", "database", "deploy"]
    for name, job in jobs.items():
        text = json.dumps(job)
        assert "contents: write" not in text and job["permissions"].get("contents", "read") == "read"
        if name in ("plan", "report"):
            assert "FLY_API_TOKEN" not in text and "FLY_ORG_TOKEN" not in text
        if name == "deploy":  # migrate builds its plan from Heroku in every stage, deploy included
            assert "HEROKU_API_KEY" in text and "FLY_ORG_TOKEN" in text
        if name not in ("plan", "report"):  # the migration needs an org token, never the deploy token
            assert "secrets.FLY_API_TOKEN" not in text
        if name not in ("plan", "report"):
            assert job["concurrency"] == {"group": "herokufly-shop-fly", "cancel-in-progress": False}
            action = [s for s in job["steps"] if s.get("uses", "").startswith(workflow.ACTION_REPOSITORY)][0]
            assert action["with"]["head_sha"] == "${{ needs.plan.outputs.head_sha }}"
            if name != "rollback":
                assert action["with"]["stage"] == name and action["with"]["command"] == "migrate"
    assert "HEROKU_API_KEY" not in json.dumps(jobs["report"])
    gate = jobs["plan"]["steps"][0]
    assert gate["with"]["command"] == "auto" and "heroku_api_key" not in gate["with"]


def test_comment_text_never_reaches_a_run_step_or_expression_output():
    text = workflow.render_migrate_workflow()
    doc = yaml.safe_load(text)
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert "run" not in step  # every step is a pinned action
    # The only use of the comment body is the startsWith() gate in `if:`.
    assert text.count("github.event.comment.body") == 1


def test_shipped_templates_are_the_rendered_defaults():
    assert (ROOT / "workflows-templates" / "herokufly-migrate.yml").read_text() == workflow.render_migrate_workflow()
    assert (ROOT / "workflows-templates" / "fly-deploy.yml").read_text() == workflow.render_deploy_workflow()


@pytest.mark.parametrize("bad", ["", "a..b", "-", "main branch", "x" * 300, "feature/", "$(id)"])
def test_bad_branch_is_refused(bad):
    with pytest.raises(ConfigError):
        workflow.render_deploy_workflow(branch=bad)


def test_bad_names_are_refused():
    with pytest.raises(ConfigError):
        workflow.render_migrate_workflow(fly_app="Shop_App")
    with pytest.raises(ConfigError):
        workflow.render_deploy_workflow(environment="prod\nx: 1")
    with pytest.raises(ConfigError):
        workflow.render_migrate_workflow(action_ref="someone/herokufly@main")
    pinned = workflow.render_migrate_workflow(action_ref="acme/herokufly@" + "ab" * 20)
    assert "uses: acme/herokufly@" + "ab" * 20 in pinned


def test_finds_heroku_deploys_everywhere(repo):
    findings = workflow.find_heroku_deploys(repo)
    got = {(f.path, f.line, f.what) for f in findings}
    assert (".github/workflows/deploy.yml", 11, "uses akhileshns/heroku-deploy") in got
    assert (".github/workflows/deploy.yml", 18, "git push heroku") in got
    assert (".github/workflows/deploy.yml", 20, "heroku container:push") in got
    assert ("Makefile", 2, "git push heroku") in got
    assert ("bin/release", 2, "heroku container:release") in got
    assert not any(f.path == "Makefile" and f.line == 3 for f in findings)  # a comment
    assert all(f.fly_equivalent for f in findings)


def test_turning_off_keeps_comments_and_other_steps(repo):
    findings = [f for f in workflow.find_heroku_deploys(repo) if f.in_workflow]
    new = workflow.disable_heroku_steps(OLD_DEPLOY, findings)
    assert "# keep me" in new
    steps = yaml.safe_load(new)["jobs"]["deploy"]["steps"]
    assert "if" not in steps[0] and "if" not in steps[4]
    assert steps[1]["if"] is False and steps[2]["if"] is False and steps[3]["if"] is False
    assert steps[2]["run"].startswith("echo pushing\ngit push")  # the block is intact
    assert "(was: github.ref == 'refs/heads/main')" in new
    assert workflow.disable_heroku_steps(new, findings) == new  # second run changes nothing


def test_cli_writes_files_and_reports(repo, capsys):
    code = cli.main(["workflow", "--repo", str(repo), "--heroku-app", "shop"])
    out = capsys.readouterr().out
    assert code == 0
    assert (repo / workflow.DEPLOY_WORKFLOW).read_text() == workflow.render_deploy_workflow()
    migrate = (repo / workflow.MIGRATE_WORKFLOW).read_text()
    assert "FLY_APP: shop-fly" in migrate  # from fly.toml
    assert "fly tokens create deploy --app shop-fly --expiry" in out
    assert "Makefile:2: git push heroku: change it to `flyctl deploy --remote-only`" in out
    assert yaml.safe_load((repo / ".github/workflows/deploy.yml").read_text())["jobs"]["deploy"]["steps"][1]["if"] is False
    assert cli.main(["workflow", "--repo", str(repo), "--heroku-app", "shop"]) == 0
    assert "Unchanged .github/workflows/fly-deploy.yml" in capsys.readouterr().out


def test_cli_refuses_to_overwrite_and_writes_nothing(repo, capsys):
    (repo / workflow.DEPLOY_WORKFLOW).write_text("name: mine\n")
    before = (repo / ".github/workflows/deploy.yml").read_text()
    assert cli.main(["workflow", "--repo", str(repo)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (repo / workflow.DEPLOY_WORKFLOW).read_text() == "name: mine\n"
    assert (repo / ".github/workflows/deploy.yml").read_text() == before
    assert not (repo / workflow.MIGRATE_WORKFLOW).exists()
    assert cli.main(["workflow", "--repo", str(repo), "--force"]) == 0
    assert (repo / workflow.DEPLOY_WORKFLOW).read_text() == workflow.render_deploy_workflow()


def test_cli_dry_run_and_json(repo, capsys):
    assert cli.main(["workflow", "--repo", str(repo), "--dry-run", "--json", "--no-migrate-workflow"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["written"] == [] and workflow.DEPLOY_WORKFLOW in result["would_write"]
    assert result["files"][workflow.DEPLOY_WORKFLOW] == workflow.render_deploy_workflow()
    assert not (repo / workflow.DEPLOY_WORKFLOW).exists()
    assert {d["action"] for d in result["heroku_deploys"]} == {"turned off", "report"}


def test_every_stage_job_signs_with_the_state_key_and_keeps_its_artifact_one_day():
    """Issue 10, attacks 4 and 5: the key reaches every herokufly step; the public artifact expires."""
    doc = yaml.safe_load(workflow.render_migrate_workflow())
    for name, job in doc["jobs"].items():
        ours = [s for s in job["steps"] if s.get("uses", "").startswith(workflow.ACTION_REPOSITORY)]
        assert all(s["with"]["state_key"] == "${{ secrets.HEROKUFLY_STATE_KEY }}" for s in ours), name
        for upload in (s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")):
            assert upload["with"]["retention-days"] == 1
    workflow_step = [s for s in doc["jobs"]["plan"]["steps"] if (s.get("with") or {}).get("command") == "workflow"][0]
    assert workflow_step["with"]["head_sha"] == "${{ steps.gate.outputs.head_sha }}"


def test_workflow_tells_the_user_to_create_the_state_key():
    assert any("HEROKUFLY_STATE_KEY" in line and "openssl rand -hex 32" in line for line in workflow.token_instructions("x"))
