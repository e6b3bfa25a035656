"""The app's own Dockerfile: a build mode, not a framework. When the repo has one, the plan
builds with it, and processes and the port come from its ENTRYPOINT, CMD and EXPOSE
(machine.image_from_dockerfile follows Docker's rules)."""

from __future__ import annotations

from pathlib import Path

from herokufly.base import machine
from herokufly.frameworks._files import read_text

NAME = "dockerfile"


def read(root: Path, rel: str = "Dockerfile") -> machine.Image | None:
    text = read_text(root, rel)
    return machine.image_from_dockerfile(text) if text is not None else None


def port(image: machine.Image, default: int) -> tuple[int, str]:
    """(internal port, why)."""
    if image.expose:
        return image.expose[0], f"the Dockerfile EXPOSEs {image.expose[0]}"
    return default, f"the Dockerfile EXPOSEs no port; planned {default} with PORT={default} in [env]"


def default_command(image: machine.Image) -> list[str]:
    """What the image runs with no Machine cmd (ENTRYPOINT + CMD)."""
    return list(image.entrypoint) + list(image.cmd)
