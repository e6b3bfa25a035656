"""scripts/setup-docker on a machine where everything exists: it changes nothing."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.conftest import JOB_IMAGE, REPO_ROOT, flyctl_base_image

pytestmark = pytest.mark.e2e


def image_id(name: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", name],
                          capture_output=True, text=True, timeout=30).stdout.strip()


def setup_docker() -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(REPO_ROOT / "scripts" / "setup-docker")],
        env={**os.environ, "HEROKUFLY_SKIP_ACTION_BUILD": "1"},
        capture_output=True, text=True, timeout=300,
    )


def test_second_run_keeps_engine_and_images(act_ready):
    assert setup_docker().returncode == 0  # settles anything changed since (e.g. the fake flyctl)
    before = {name: image_id(name) for name in (JOB_IMAGE, flyctl_base_image())}
    proc = setup_docker()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "setup-docker: dockerd already running",
        f"setup-docker: {JOB_IMAGE} present",
        f"setup-docker: {flyctl_base_image()} stand-in present",
        "setup-docker: action image build skipped",
    ]
    assert {name: image_id(name) for name in before} == before
