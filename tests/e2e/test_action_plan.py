"""The container action under act: `command: plan` against the fake Heroku API.

One act run per session (tests/e2e/workflows/plan.yml) builds the real Dockerfile,
runs the action twice (a good key, then a wrong one) and hands the outputs to a
later step. The tests below each check one thing about that run.
"""

from __future__ import annotations

import json
import uuid

import pytest

from herokufly import __version__
from herokufly.report import render_plan_markdown
from tests.e2e.conftest import REPO_ROOT, run_act
from tests.fakes.heroku_api import FakeHeroku

pytestmark = pytest.mark.e2e

HEROKU_APP = "acme-phoenix"  # in tests/fakes/heroku_seed_phoenix.json, region "us"
FLY_APP = "acme-phoenix-e2e"
CANARY_CONFIG_VAR = "HEROKUFLY_E2E_CANARY"


@pytest.fixture(scope="module")
def canaries() -> dict[str, str]:
    return {
        "heroku_api_key": "HRKU-e2e-" + uuid.uuid4().hex,
        "wrong_heroku_api_key": "HRKU-wrong-" + uuid.uuid4().hex,
        "config_var_value": "CANARY-config-" + uuid.uuid4().hex,
    }


@pytest.fixture(scope="module")
def fake_heroku(canaries):
    fake = FakeHeroku(token=canaries["heroku_api_key"])
    fake.start()
    fake.load_seed(REPO_ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json")
    fake.set_config_vars(HEROKU_APP, {CANARY_CONFIG_VAR: canaries["config_var_value"]})
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def plan_run(act_ready, act_workspace, fake_heroku, canaries):
    run = run_act(
        act_ready,
        act_workspace,
        "plan.yml",
        variables={"HEROKU_API_URL": fake_heroku.url, "HEROKU_APP": HEROKU_APP, "FLY_APP": FLY_APP},
        secrets={
            "HEROKU_API_KEY": canaries["heroku_api_key"],
            "WRONG_HEROKU_API_KEY": canaries["wrong_heroku_api_key"],
        },
    )
    assert run.returncode == 0, f"act failed ({run.returncode}); log: {act_workspace.parent}/act-plan.yml/act.log"
    return run


def test_plan_step_succeeds_and_reads_the_fake_heroku(plan_run, fake_heroku):
    assert plan_run.step_result("plan") == "success"
    assert [r.get("arg") for r in plan_run.for_step("plan") if r.get("command") == "group"] == ["herokufly plan"]
    assert fake_heroku.requests_to("GET", rf"^/apps/{HEROKU_APP}$"), "the action never asked Heroku for the app"
    assert not fake_heroku.violations


def test_outputs_carry_the_plan(plan_run):
    outputs = plan_run.outputs("plan")
    plan = json.loads(outputs["plan_json"])
    assert plan["heroku_app"] == HEROKU_APP
    assert plan["fly_app"] == FLY_APP == outputs["fly_app"]
    # The seed app is in Heroku's `us` region, which maps to Fly's iad.
    assert plan["region"] == "iad" == outputs["region"]
    # Config vars were read from the fake: the planted one is planned by NAME.
    assert CANARY_CONFIG_VAR in plan["secrets"]


def test_outputs_reach_later_steps(plan_run):
    out = plan_run.workspace / ".e2e-out"
    outputs = plan_run.outputs("plan")
    assert json.loads((out / "plan_json").read_text()) == json.loads(outputs["plan_json"])
    assert (out / "fly_app").read_text() == FLY_APP
    assert (out / "region").read_text() == "iad"


def test_job_summary_is_the_rendered_plan(plan_run):
    summary = plan_run.summary("plan")
    plan = json.loads(plan_run.outputs("plan")["plan_json"])
    rendered, version = summary.strip().rsplit("\n\n", 1)
    assert rendered.strip() == render_plan_markdown(plan).strip()
    assert version == f"<sub>herokufly {__version__} (not a release build)</sub>"
    assert HEROKU_APP in summary and FLY_APP in summary


def test_masks_are_registered_before_anything_else_is_printed(plan_run, canaries):
    printed = [r for r in plan_run.for_step("plan") if r.get("raw_output") or r.get("command")]
    assert printed and printed[0].get("command") == "add-mask"
    masked = {r.get("arg") for r in printed if r.get("command") == "add-mask"}
    assert canaries["heroku_api_key"] in masked


def test_no_secret_value_anywhere(plan_run, canaries):
    logged = plan_run.text_without_mask_commands()
    written = "".join(p.read_text() for p in (plan_run.workspace / ".e2e-out").iterdir())
    for name, value in canaries.items():
        assert value not in logged, f"{name} leaked into act's output"
        assert value not in plan_run.summary("plan"), f"{name} leaked into the job summary"
        assert value not in written, f"{name} leaked into the step outputs"


def test_wrong_key_fails_the_step_with_one_error_annotation(plan_run):
    assert plan_run.step_result("bad_key") == "failure"
    assert (plan_run.workspace / ".e2e-out" / "bad_key_outcome").read_text() == "failure"
    errors = plan_run.annotations("bad_key")
    assert len(errors) == 1
    assert errors[0]["kvPairs"]["title"].startswith("herokufly plan failed")
    assert "HEROKU_API_KEY" in errors[0]["arg"]
    assert "Traceback" not in "".join(r.get("msg", "") for r in plan_run.for_step("bad_key"))
    assert not plan_run.summary("bad_key") and not plan_run.outputs("bad_key")
