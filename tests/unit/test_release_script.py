"""scripts/release: the release workflow's steps that are more than one command."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from herokufly import __version__

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "release"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = "ghcr.io/herokufly/herokufly"


def _load():
    loader = importlib.machinery.SourceFileLoader("release_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader("release_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


release = _load()


def test_pin_action_makes_the_action_run_the_image_by_digest(tmp_path):
    action_yml = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", action_yml)
    release.pin_action(f"{IMAGE}@{DIGEST}", action_yml)
    doc = yaml.safe_load(action_yml.read_text())
    assert doc["runs"] == {"using": "docker", "image": f"docker://{IMAGE}@{DIGEST}"}
    original = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {k: v for k, v in doc.items() if k != "runs"} == {k: v for k, v in original.items() if k != "runs"}


@pytest.mark.parametrize("ref", [f"{IMAGE}:v1", f"{IMAGE}@sha256:abc", f"{IMAGE}@{DIGEST} ; rm -rf /", ""])
def test_pin_action_refuses_anything_but_a_digest(tmp_path, ref):
    action_yml = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", action_yml)
    with pytest.raises(release.Refused):
        release.pin_action(ref, action_yml)
    assert action_yml.read_text() == (ROOT / "action.yml").read_text()


def test_the_source_action_builds_the_dockerfile():
    """Between releases the repository's action.yml builds; only the release commit pins."""
    assert yaml.safe_load((ROOT / "action.yml").read_text())["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_stamp_records_commit_and_image_for_the_wheel(tmp_path):
    release_json = tmp_path / "release.json"
    shutil.copy(ROOT / "herokufly" / "data" / "release.json", release_json)
    commit = "a" * 40
    release.stamp(commit, f"{IMAGE}@{DIGEST}", release_json)
    record = json.loads(release_json.read_text())
    assert (record["commit"], record["image"]) == (commit, f"{IMAGE}@{DIGEST}")
    with pytest.raises(release.Refused):
        release.stamp("abc123", f"{IMAGE}@{DIGEST}", release_json)


def test_notes_are_the_versions_changelog_section(tmp_path):
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.2.0] - 2026-11-01\n\n- added x\n- fixed y\n\n"
                         "## [1.1.0]\n\n- old\n")
    assert release.notes("v1.2.0", changelog) == "- added x\n- fixed y\n"
    assert release.notes("1.1.0", changelog) == "- old\n"
    with pytest.raises(release.Refused, match="no notes"):
        release.notes("v1.3.0", changelog)


def test_this_versions_notes_exist():
    assert release.notes(f"v{__version__}").strip()


def test_the_tag_must_be_the_package_version():
    assert release.check_tag(f"v{__version__}") == f"v{__version__}"
    with pytest.raises(release.Refused, match="does not match"):
        release.check_tag("v99.0.0")


def test_refusals_are_one_line_and_exit_1():
    proc = subprocess.run([sys.executable, str(SCRIPT), "pin-action", "ghcr.io/x:latest"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("release: ")
