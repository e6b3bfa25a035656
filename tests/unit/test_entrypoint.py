"""entrypoint.py as the container runs it: a fresh process, inputs in the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.unit.test_action import parse_output_file

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_entrypoint(tmp_path: Path, inputs: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO_ROOT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(REPO_ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **inputs,
    }
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "entrypoint.py")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


def test_plan_exits_0_with_outputs_and_the_key_masked_first(tmp_path, canary):
    proc = run_entrypoint(tmp_path, {
        "INPUT_COMMAND": "plan",
        "INPUT_HEROKU-APP": "acme-phoenix",  # the hyphenated spelling reaches the action too
        "INPUT_WORKING_DIRECTORY": "examples/phoenix_app",
        "INPUT_FLY_API_TOKEN": canary,
    })
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == f"::add-mask::{canary}"
    assert canary not in proc.stdout.split("\n", 1)[1] + proc.stderr
    output = (tmp_path / "output.txt").read_text()
    assert json.loads(parse_output_file(output)["plan_json"])["heroku_app"] == "acme-phoenix"
    assert canary not in output + (tmp_path / "summary.md").read_text()


def test_user_error_exits_1_with_an_annotation_and_no_traceback(tmp_path):
    proc = run_entrypoint(tmp_path, {"INPUT_COMMAND": "plan", "INPUT_WORKING_DIRECTORY": "no/such/dir"})
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=herokufly plan failed (ConfigError)::working_directory")
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "output.txt").exists()
