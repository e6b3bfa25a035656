"""herokufly.action: inputs, masking order, runner files, errors and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from herokufly import __version__, action
from herokufly.base import errors, masking
from herokufly.report import render_plan_markdown
from tests.contracts import contract_path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINE_VARS = ("HEROKU_API_KEY", "FLY_API_TOKEN", "FLY_ACCESS_TOKEN", "GITHUB_TOKEN", "HEROKU_API_URL")


def parse_output_file(text: str) -> dict[str, str]:
    """Read $GITHUB_OUTPUT the way the runner does (name=value and name<<DELIM records)."""
    outputs, lines = {}, text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1:end])
            i = end + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
            i += 1
        else:
            i += 1
    return outputs


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A fake runner: workspace, output and summary files, GITHUB_ACTIONS=true, clean engine env."""
    for name in list(os.environ):
        if name.startswith("INPUT_"):
            monkeypatch.delenv(name)
    for name in ENGINE_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # run() changes directory; this restores it afterwards
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def read(path: str) -> str:
    return Path(path).read_text() if Path(path).exists() else ""


# --- inputs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["INPUT_HEROKU_APP", "INPUT_HEROKU-APP"])
def test_inputs_are_read_in_either_spelling(key):
    inputs = action.ActionInputs.from_env({key: "  acme-phoenix \n", "INPUT_FLY_APP": "acme-fly"})
    assert inputs.heroku_app == "acme-phoenix"
    assert inputs.fly_app == "acme-fly"


def test_hyphenated_spelling_is_read_for_every_input():
    env = {
        "INPUT_COMMAND": "PLAN", "INPUT_FLY-ORG": "acme-org", "INPUT_WORKING-DIRECTORY": "app",
        "INPUT_HEROKU-API-KEY": "hk-secret", "INPUT_FLY-API-TOKEN": "fly-secret", "INPUT_GITHUB-TOKEN": "gh-secret",
    }
    inputs = action.ActionInputs.from_env(env)
    assert (inputs.command, inputs.fly_org, inputs.working_directory) == ("plan", "acme-org", "app")
    assert inputs.secrets() == {"HEROKU_API_KEY": "hk-secret", "FLY_API_TOKEN": "fly-secret", "GITHUB_TOKEN": "gh-secret"}


def test_empty_inputs_take_the_defaults():
    inputs = action.ActionInputs.from_env({"INPUT_COMMAND": "", "INPUT_WORKING_DIRECTORY": "  "})
    assert inputs.command == "auto"  # issue 5: the command comes from the event
    assert inputs.working_directory == "."
    assert inputs.secrets() == {}


def test_secret_inputs_are_hidden_from_repr(canary):
    inputs = action.ActionInputs.from_env(
        {"INPUT_HEROKU_API_KEY": canary, "INPUT_FLY_API_TOKEN": canary, "INPUT_GITHUB_TOKEN": canary, "INPUT_HEROKU_APP": "acme"}
    )
    assert canary not in repr(inputs)
    assert "acme" in repr(inputs)


# --- runner files -----------------------------------------------------------------------------------


def test_multi_line_output_round_trips(tmp_path):
    files = action.RunnerFiles(str(tmp_path / "out"), None)
    value = json.dumps({"a": [1, 2], "b": "x=y<<z"}, indent=2)
    files.set_output("plan_json", value)
    files.set_output("region", "iad")
    assert parse_output_file((tmp_path / "out").read_text()) == {"plan_json": value, "region": "iad"}


def test_output_delimiter_never_occurs_in_the_value():
    record = action.format_output("x", "line\nghadelimiter_\nmore")
    header, *body = record.split("\n")
    delimiter = header.split("<<", 1)[1]
    assert body[-2] == delimiter and delimiter not in "line\nghadelimiter_\nmore"


def test_outputs_and_summary_are_redacted(tmp_path, canary):
    masking.register(canary)
    files = action.RunnerFiles(str(tmp_path / "out"), str(tmp_path / "summary.md"))
    files.set_output("x", f"value {canary}")
    files.add_summary(f"# plan\n{canary}")
    assert canary not in (tmp_path / "out").read_text()
    assert canary not in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "summary.md").read_text().endswith("***\n")


def test_runner_files_are_optional():
    files = action.RunnerFiles.from_env({})
    files.set_output("x", "y")
    files.add_summary("z")  # nothing to write to, nothing raised


# --- run(): masking, errors, exit codes ------------------------------------------------------------


def test_masks_come_before_any_other_line(runner, monkeypatch, capsys, canary):
    def loud_handler(ctx):
        print(f"working with {os.environ['HEROKU_API_KEY']}")
        return 0

    monkeypatch.setitem(action.HANDLERS, "loud", loud_handler)
    monkeypatch.setenv("INPUT_COMMAND", "loud")
    monkeypatch.setenv("INPUT_HEROKU_API_KEY", canary)
    monkeypatch.setenv("INPUT_GITHUB_TOKEN", canary + "-gh")

    assert action.run(os.environ) == 0

    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines[:2]) == sorted([f"::add-mask::{canary}", f"::add-mask::{canary}-gh"])
    assert os.environ["HEROKU_API_KEY"] == canary  # handed to the engine
    assert os.environ["GITHUB_TOKEN"] == canary + "-gh"


def test_secrets_given_as_env_are_masked_too(runner, monkeypatch, capsys, canary):
    monkeypatch.setitem(action.HANDLERS, "quiet", lambda ctx: 0)
    monkeypatch.setenv("INPUT_COMMAND", "quiet")
    monkeypatch.setenv("FLY_API_TOKEN", canary)
    assert action.run(os.environ) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"::add-mask::{canary}"


def test_unknown_command_is_one_error_annotation(runner, monkeypatch, capsys):
    monkeypatch.setenv("INPUT_COMMAND", "destroy-everything")
    assert action.run(os.environ) == errors.EXIT_USER
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("::error title=herokufly destroy-everything failed (ConfigError)::unknown command")
    assert "plan" in out[0]


@pytest.mark.parametrize(
    ("exc", "code", "title"),
    [
        (errors.HerokuError("HEROKU_API_KEY is not valid for app 'acme'", hint="make a new key"), 1, "HerokuError"),
        (errors.VerificationFailed("row counts differ"), 3, "VerificationFailed"),
        (RuntimeError("boom"), 2, "herokufly boom failed::internal error: RuntimeError: boom"),
    ],
)
def test_errors_map_to_exit_codes_and_annotations(runner, monkeypatch, capsys, exc, code, title):
    def failing(ctx):
        raise exc

    monkeypatch.setitem(action.HANDLERS, "boom", failing)
    monkeypatch.setenv("INPUT_COMMAND", "boom")
    assert action.run(os.environ) == code
    captured = capsys.readouterr()
    assert title in captured.out
    assert captured.out.startswith("::error title=herokufly boom failed")
    assert "Traceback" not in captured.out + captured.err


def test_error_messages_are_redacted(runner, monkeypatch, capsys, canary):
    def leaky(ctx):
        raise errors.HerokuError(f"rejected token {canary}")

    monkeypatch.setitem(action.HANDLERS, "leaky", leaky)
    monkeypatch.setenv("INPUT_COMMAND", "leaky")
    monkeypatch.setenv("INPUT_HEROKU_API_KEY", canary)
    assert action.run(os.environ) == 1
    out = capsys.readouterr().out
    assert out.count(canary) == 1 and out.startswith(f"::add-mask::{canary}\n")
    assert "rejected token ***" in out


@pytest.mark.parametrize("directory", ["../elsewhere", "/etc", "missing"])
def test_working_directory_must_be_a_directory_in_the_workspace(runner, monkeypatch, capsys, directory):
    monkeypatch.setitem(action.HANDLERS, "quiet", lambda ctx: 0)
    monkeypatch.setenv("INPUT_COMMAND", "quiet")
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", directory)
    assert action.run(os.environ) == 1
    assert "::error title=herokufly quiet failed (ConfigError)::working_directory" in capsys.readouterr().out


def test_handler_runs_in_the_working_directory_with_the_event(runner, monkeypatch, tmp_path):
    app = Path(runner["GITHUB_WORKSPACE"]) / "apps" / "web"
    app.mkdir(parents=True)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "opened", "number": 7}))
    seen = {}

    def recording(ctx):
        seen.update(cwd=Path.cwd(), event=ctx.event, name=ctx.event_name, inputs=ctx.inputs)
        return 0

    monkeypatch.setitem(action.HANDLERS, "record", recording)
    monkeypatch.setenv("INPUT_COMMAND", "record")
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", "apps/web")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    assert action.run(os.environ) == 0
    assert seen["cwd"] == app.resolve()
    assert seen["event"] == {"action": "opened", "number": 7}
    assert seen["name"] == "pull_request"


# --- command: plan (the real CLI, offline: no Heroku key) ------------------------------------------


def use_example_app(runner, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(REPO_ROOT))
    runner["GITHUB_WORKSPACE"] = str(REPO_ROOT)
    monkeypatch.setenv("INPUT_WORKING_DIRECTORY", "examples/phoenix_app")
    monkeypatch.setenv("INPUT_COMMAND", "plan")  # the default is auto since issue 5


def test_plan_writes_summary_and_outputs(runner, monkeypatch, capsys):
    use_example_app(runner, monkeypatch)
    monkeypatch.setenv("INPUT_HEROKU_APP", "acme-phoenix")
    monkeypatch.setenv("INPUT_FLY_APP", "acme-on-fly")
    monkeypatch.setenv("INPUT_REGION", "fra")

    assert action.run(os.environ) == 0

    outputs = parse_output_file(read(runner["GITHUB_OUTPUT"]))
    plan = json.loads(outputs["plan_json"])
    assert (plan["heroku_app"], plan["fly_app"], plan["region"]) == ("acme-phoenix", "acme-on-fly", "fra")
    assert (outputs["fly_app"], outputs["region"]) == ("acme-on-fly", "fra")
    summary, version = read(runner["GITHUB_STEP_SUMMARY"]).strip().rsplit("\n\n", 1)
    assert summary.strip() == render_plan_markdown(plan).strip()
    assert version == f"<sub>herokufly {__version__} (not a release build)</sub>"
    out = capsys.readouterr().out
    assert out.startswith("::group::herokufly plan\n") and "::endgroup::" in out
    assert '"heroku_app"' not in out  # the JSON goes to the outputs, not the log


def test_plan_without_heroku_app_names_the_input(runner, monkeypatch, capsys):
    use_example_app(runner, monkeypatch)
    assert action.run(os.environ) == 1
    out = capsys.readouterr().out
    assert "::error title=herokufly plan failed (ConfigError)::the heroku_app input is required" in out
    assert read(runner["GITHUB_OUTPUT"]) == "" and read(runner["GITHUB_STEP_SUMMARY"]) == ""


def test_plan_with_a_bad_choice_is_a_config_error(runner, monkeypatch, capsys):
    use_example_app(runner, monkeypatch)
    monkeypatch.setenv("INPUT_HEROKU_APP", "acme-phoenix")
    monkeypatch.setenv("INPUT_POSTGRES", "sqlite")
    assert action.run(os.environ) == 1
    out = capsys.readouterr().out
    assert "::error title=herokufly plan failed (ConfigError)::invalid action input" in out
    assert "sqlite" in out
    assert read(runner["GITHUB_OUTPUT"]) == ""


# --- commands: migrate and rollback (the CLI call they make) ---------------------------------------


@pytest.fixture
def cli_calls(runner, monkeypatch):
    """Record the in-process CLI calls instead of running them (no PR: pr.flow.around passes through)."""
    calls = []
    monkeypatch.setattr(action, "invoke_cli", lambda args, capture_stdout=False: (calls.append(args), (0, ""))[1])
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    monkeypatch.delenv(action.SMOKE_URL_ENV, raising=False)
    for key, value in {"INPUT_HEROKU_APP": "acme-phoenix", "INPUT_FLY_APP": "acme-fly"}.items():
        monkeypatch.setenv(key, value)
    return calls


def test_migrate_runs_one_stage_without_asking(cli_calls, monkeypatch, capsys):
    monkeypatch.setenv("INPUT_COMMAND", "migrate")
    monkeypatch.setenv("INPUT_STAGE", "database")
    monkeypatch.setenv("INPUT_POSTGRES", "keep-heroku")
    monkeypatch.setenv("INPUT_FLY_ORG", "acme")
    monkeypatch.setenv(action.SMOKE_URL_ENV, "http://127.0.0.1:9/")
    assert action.run(os.environ) == 0
    assert cli_calls == [["migrate", "--heroku-app", "acme-phoenix", "--fly-app", "acme-fly", "--org", "acme",
                          "--postgres", "keep-heroku", "--repo", ".", "--only", "database", "--yes",
                          "--smoke-url", "http://127.0.0.1:9/"]]
    assert capsys.readouterr().out.startswith("::group::herokufly migrate database\n")


def test_migrate_without_a_stage_names_the_input(cli_calls, monkeypatch, capsys):
    monkeypatch.setenv("INPUT_COMMAND", "migrate")
    assert action.run(os.environ) == 1
    assert "the stage input is required for command 'migrate'" in capsys.readouterr().out
    assert cli_calls == []


def test_rollback_runs_without_asking(cli_calls, monkeypatch):
    monkeypatch.setenv("INPUT_COMMAND", "rollback")
    assert action.run(os.environ) == 0
    assert cli_calls == [["rollback", "--heroku-app", "acme-phoenix", "--fly-app", "acme-fly", "--yes"]]


def test_a_bad_stage_is_a_config_error_from_the_real_cli(runner, monkeypatch, capsys):
    monkeypatch.setenv("INPUT_COMMAND", "migrate")
    monkeypatch.setenv("INPUT_HEROKU_APP", "acme-phoenix")
    monkeypatch.setenv("INPUT_FLY_APP", "acme-fly")
    monkeypatch.setenv("INPUT_STAGE", "everything")
    assert action.run(os.environ) == 1
    out = capsys.readouterr().out
    assert "::error title=herokufly migrate failed (ConfigError)::invalid action input" in out and "everything" in out


def test_workflow_commands_pass_through_the_capture(capsys):
    import sys

    capture = action._StdoutCapture(sys.stdout)
    capture.write('{"a":\n')
    capture.write("::add-mask::s3cret-value\n1}")
    assert capture.captured() == '{"a":\n1}'
    assert capsys.readouterr().out == "::add-mask::s3cret-value\n"


# --- action.yml ------------------------------------------------------------------------------------


def contract(name: str) -> dict:
    """A published schema from tests/contracts/."""
    return json.loads(contract_path(name).read_text())


def load_action_yml() -> dict:
    """action.yml, refusing duplicate keys (YAML loaders silently keep the last one)."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        keys = [loader.construct_object(key) for key, _ in node.value]
        duplicates = {key for key in keys if keys.count(key) > 1}
        assert not duplicates, f"action.yml line {node.start_mark.line + 1}: duplicate keys {duplicates}"
        return loader.construct_mapping(node)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load((REPO_ROOT / "action.yml").read_text(), Loader=StrictLoader)


def test_action_yml_is_valid_against_the_contract():
    import jsonschema

    jsonschema.validate(load_action_yml(), contract("github-action.json"))


def test_action_yml_declares_exactly_the_inputs_the_code_reads():
    import dataclasses

    spec = load_action_yml()
    assert set(spec["inputs"]) == {f.name for f in dataclasses.fields(action.ActionInputs)}
    assert spec["inputs"]["command"]["default"] == "auto"
    assert {"plan_json", "fly_app", "region"} <= set(spec["outputs"])
    assert spec["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert all("-" not in name for name in spec["inputs"])  # snake_case only


def test_e2e_workflows_are_valid_workflows():
    import jsonschema
    import yaml

    schema = contract("github-workflow.json")
    workflows = sorted((REPO_ROOT / "tests" / "e2e" / "workflows").glob("*.yml"))
    assert workflows
    for path in workflows:
        doc = yaml.safe_load(path.read_text())
        doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
        jsonschema.validate(doc, schema)
