"""What classic buildpacks gave an app that Heroku's CNB builder does not:

- Procfile lines that run a `bin/` script the repo does not have: a classic buildpack put it in
  the slug (heroku/heroku-buildpack-pgbouncer's bin/start-pgbouncer, heroku-community/nginx's
  bin/start-nginx, ...). The builder has none of those buildpacks, so the image lacks it.
- An Aptfile (heroku-community/apt): the builder's heroku/deb-packages reads only project.toml
  `[com.heroku.buildpacks.deb-packages] install`/`download` and ignores Aptfile
  (heroku/buildpacks-deb-packages@f32159e README "Configuration", "Detect").
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


def aptfile_packages(aptfile: str | None) -> tuple[list[str], list[str]]:
    """(package names, .deb URLs) an Aptfile lists; comments and blank lines skipped."""
    names, urls = [], []
    for line in (aptfile or "").splitlines():
        word = line.split("#", 1)[0].strip()
        if word.startswith(("http://", "https://")):
            urls.append(word)
        elif word and not word.startswith(":"):  # ":repo:" lines add apt sources
            names.append(word)
    return names, urls


def aptfile_step(aptfile: str | None, project_toml: str | None) -> dict | None:
    if aptfile is None or "com.heroku.buildpacks.deb-packages" in (project_toml or ""):
        return None
    names, urls = aptfile_packages(aptfile)
    listed = ", ".join(f'"{n}"' for n in names)
    how = ("Add to project.toml `[_]` `schema-version = \"0.2\"` and "
           f"`[com.heroku.buildpacks.deb-packages]` `install = [{listed}]`")
    if urls:
        how += " and `download = [" + ", ".join(f'"{u}"' for u in urls) + "]`"
    if any("*" in n for n in names):
        how += "; replace wildcard names with the full list of packages"
    if any(line.lstrip().startswith(":repo:") for line in aptfile.splitlines()):
        how += "; extra apt repositories need a Dockerfile"
    return {
        "item": "Aptfile",
        "why": "Heroku installed these Ubuntu packages with the classic apt buildpack; the "
               "builder's heroku/deb-packages buildpack ignores Aptfile and reads project.toml",
        "how": how,
    }
