"""Every pinned version agrees with herokufly/data/pins.json: the Dockerfile, the generated
workflows, the minimum flyctl check, the fake flyctl, and scripts/update-pins' own rewrite."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from herokufly.act import workflow
from herokufly.base import pins
from herokufly.talk import fly

ROOT = Path(__file__).resolve().parents[3]
PINS = pins.pins()
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_flyctl_is_the_release_tag_read_from_flyctls_source():
    assert PINS["flyctl"]["version"] == "0.4.87"
    assert PINS["flyctl"]["commit"] == "3eb236fab6a9226928554243ba163e5fb13aa3a4"


def test_dockerfile_copies_flyctl_of_the_pinned_version():
    lines = re.findall(r"^FROM (\S+) AS flyctl$", DOCKERFILE, re.M)
    expected = f"flyio/flyctl:v{pins.flyctl_version()}"
    if PINS["flyctl"]["digest"]:
        expected += "@" + PINS["flyctl"]["digest"]
    assert lines == [expected]


def test_every_debian_stage_uses_the_base_image_by_digest():
    base = PINS["base_image"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", base["digest"])
    stages = re.findall(r"^FROM (debian:\S+)", DOCKERFILE, re.M)
    assert len(stages) == 2
    assert set(stages) == {f"debian:{base['tag']}@{base['digest']}"}


def _installed_packages(text: str) -> list[str]:
    """Every word after `apt-get install ... ` up to the end of that command."""
    words = []
    for command in re.findall(r"apt-get install ((?:[^&]|&(?!&))*)", text):
        words += [w for w in command.replace("\\\n", " ").split() if not w.startswith("-")]
    return words


def test_every_apt_package_is_pinned_to_the_version_in_pins():
    words = _installed_packages(DOCKERFILE)
    assert len(words) == len(PINS["apt"]["packages"]) == 19
    for word in words:
        name, _, version = word.partition("=")
        assert version, f"{name} is installed without a version"
        assert PINS["apt"]["packages"][name] == version


def test_generated_deploy_workflow_uses_the_pinned_flyctl_and_setup_action():
    doc = yaml.safe_load(workflow.render_deploy_workflow())
    steps = doc["jobs"]["deploy"]["steps"]
    setup = next(s for s in steps if "setup-flyctl" in s.get("uses", ""))
    assert setup["uses"] == f"superfly/flyctl-actions/setup-flyctl@{PINS['setup_flyctl']['commit']}"
    assert str(setup["with"]["version"]) == pins.flyctl_version()
    text = workflow.render_deploy_workflow()
    assert f"setup-flyctl@{PINS['setup_flyctl']['commit']} # 1.6" in text


def test_minimum_flyctl_is_the_pinned_release():
    assert fly.MIN_FLYCTL_VERSION == (0, 4, 87)
    assert fly.MIN_FLYCTL_VERSION == pins.flyctl_version_tuple()


def test_the_fake_flyctl_reports_the_pinned_release_by_default():
    fake = (ROOT / "tests" / "fakes" / "flyctl" / "flyctl").read_text()
    assert f'"FAKE_FLYCTL_VERSION", "{pins.flyctl_version()}"' in fake


def test_no_file_pins_another_flyctl():
    for path in ["Dockerfile", "workflows-templates/fly-deploy.yml", "herokufly/act/workflow.py", "herokufly/talk/fly.py"]:
        text = (ROOT / path).read_text()
        assert "0.4.101" not in text and "v1.5" not in text, path


def test_update_pins_finds_nothing_to_change():
    """The Dockerfile and templates are what scripts/update-pins writes from pins.json."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "update-pins"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_update_pins_notices_a_dockerfile_that_drifted(tmp_path):
    """--check fails when one apt version in the Dockerfile is not the pinned one."""
    update_pins = _update_pins()
    drifted = DOCKERFILE.replace("python3=3.13.5-1 ", "python3=3.13.4-1 ")
    assert drifted != DOCKERFILE
    assert update_pins.rewrite_dockerfile(drifted, PINS) == DOCKERFILE
    newer = json.loads(json.dumps(PINS))
    newer["flyctl"]["version"] = "0.4.90"
    assert "FROM flyio/flyctl:v0.4.90 AS flyctl" in update_pins.rewrite_dockerfile(DOCKERFILE, newer)


def test_without_a_release_the_action_line_says_so():
    assert pins.release()["commit"] is None  # a source checkout is not a release build
    line = workflow.action_pin(None)
    assert "not a release" in line and "--action-ref" in line


def test_a_release_build_pins_its_commit_and_version(monkeypatch):
    sha = "4f0c1e2d3b4a5968778695a4b3c2d1e0f9a8b7c6"
    monkeypatch.setattr(workflow, "ACTION_SHA", sha)
    assert workflow.action_pin(None) == f"herokufly/herokufly@{sha} # v{pins.release()['version']}"


def test_the_pr_comment_and_the_job_summary_name_the_version(monkeypatch):
    from herokufly import __version__
    from herokufly.pr import comment

    body = comment.render({"heroku_app": "a", "app": "b", "command": "plan", "actor": "x", "head_sha": "abc",
                           "updated_at": "now"})
    assert f"with herokufly {__version__}." in body
    assert pins.version_line() == f"herokufly {__version__} (not a release build)"
    monkeypatch.setattr(pins, "release", lambda: {"version": __version__, "commit": "ab" * 20,
                                                  "image": "ghcr.io/herokufly/herokufly@sha256:" + "c" * 64})
    assert pins.version_line() == (f"herokufly {__version__} (release commit {'ab' * 6}, "
                                   f"image ghcr.io/herokufly/herokufly@sha256:{'c' * 64})")


def _update_pins():
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("update_pins", str(ROOT / "scripts" / "update-pins"))
    spec = importlib.util.spec_from_loader("update_pins", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_update_pins_takes_the_newest_setup_flyctl_tag_and_its_commit(monkeypatch):
    update_pins = _update_pins()
    listing = ("fc53c09e1bc3be6f54706524e3b82c4f462f77be\trefs/tags/1.5\n"
               "1111111111111111111111111111111111111111\trefs/tags/1.10\n"
               "2222222222222222222222222222222222222222\trefs/tags/1.10^{}\n"
               "ed8efb33836e8b2096c7fd3ba1c8afe303ebbff1\trefs/tags/1.6\n"
               "ed8efb33836e8b2096c7fd3ba1c8afe303ebbff1\trefs/tags/v1\n")
    monkeypatch.setattr(update_pins, "run", lambda args, timeout=0: listing)
    assert update_pins.latest_setup_flyctl() == ("1.10", "2" * 40)  # numeric order; the peeled commit


def test_update_pins_keeps_every_pin_when_nothing_is_reachable(monkeypatch):
    update_pins = _update_pins()
    monkeypatch.setattr(update_pins, "run", lambda args, timeout=0: None)
    monkeypatch.setattr(update_pins, "latest_flyctl", lambda: None)
    pins_now = json.loads(json.dumps(PINS))
    update_pins.refresh(pins_now, None)
    assert pins_now == PINS
