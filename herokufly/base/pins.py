"""Pinned versions (herokufly/data/pins.json) and this build's release record (data/release.json).

pins.json is the one place the flyctl version, the setup-flyctl action, the base image and the
apt package versions are written; scripts/update-pins refreshes it and the Dockerfile together.
release.json is filled by the release workflow before the wheel is built; in a source checkout
its commit is null, because no release commit can name itself.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from herokufly import __version__


@functools.cache
def _read(name: str) -> dict:
    return json.loads(resources.files("herokufly").joinpath("data", name).read_text(encoding="utf-8"))


def pins() -> dict:
    return _read("pins.json")


def flyctl_version() -> str:
    """The flyctl release herokufly is checked against, e.g. "0.4.87" (no leading v)."""
    return pins()["flyctl"]["version"]


def flyctl_version_tuple() -> tuple[int, ...]:
    return tuple(int(part) for part in flyctl_version().split("."))


def setup_flyctl_pin() -> str:
    """`<commit> # <tag>` for `uses: superfly/flyctl-actions/setup-flyctl@...`."""
    action = pins()["setup_flyctl"]
    return f"{action['commit']} # {action['version']}"


def release() -> dict:
    """{"version", "commit", "image"}: commit and image are None until a release build fills them."""
    record = dict(_read("release.json"))
    record["version"] = __version__
    return record


def version_line() -> str:
    """What ran, for job summaries: the version, and the release commit and image when known."""
    record = release()
    line = f"herokufly {record['version']}"
    if record["commit"]:
        line += f" (release commit {record['commit'][:12]}"
        line += f", image {record['image']})" if record["image"] else ")"
    else:
        line += " (not a release build)"
    return line
