"""Procfile lines that run a `bin/` script the repo does not have: a classic buildpack put it in
the slug (heroku/heroku-buildpack-pgbouncer's bin/start-pgbouncer, heroku-community/nginx's
bin/start-nginx, ...). Heroku's CNB builder has none of those buildpacks, so the image lacks it.
"""

from __future__ import annotations

import re
from pathlib import Path

_BIN_WORD = re.compile(r"(?:^|[\s;&|(])(?:\./)?(bin/[\w.+-]+)")


def bin_files(root: Path) -> list[str]:
    """The files directly in the repo's bin/ (names only)."""
    directory = Path(root) / "bin"
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_file())


def missing_scripts_step(procfile: dict[str, str], present: list[str]) -> dict | None:
    """A manual step naming each bin/ script the Procfile runs and the repo lacks."""
    missing = sorted({m.group(1) for line in procfile.values() for m in _BIN_WORD.finditer(line)
                      if m.group(1)[len("bin/"):] not in present})
    if not missing:
        return None
    return {
        "item": "Buildpack scripts " + ", ".join(missing),
        "why": "the Procfile runs them but the repo does not have them: a classic buildpack "
               "added them to the slug, and Heroku's Cloud Native Buildpacks builder has no such "
               "buildpack, so the image would not have them",
        "how": "Build with a Dockerfile that installs what the buildpack did (PgBouncer, nginx, "
               "...), or drop the wrapper from the Procfile line if the app runs without it",
    }
