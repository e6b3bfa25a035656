"""Refuse a fly.toml that makes flyctl read files from outside the repository.

flyctl reads `[[files]] local_path` on the machine that runs `flyctl deploy` and ships
the content into the Machines (flyctl v0.4.87 internal/appconfig/config.go, File.toMachineFile:
`os.ReadFile(f.LocalPath)`, relative to flyctl's working directory). `[build] dockerfile` and
`ignorefile` are read there too and sent to the builder. On a pull request the fly.toml is
the PR's, so `local_path = "/proc/self/environ"` would copy the runner's credentials into
a Machine that runs the PR's code (issue 10, attack 3). Every such path must resolve,
symlinks followed, to a file inside the repository.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from herokufly.base.errors import ConfigError


def paths_read_on_the_runner(config: dict) -> list[tuple[str, str]]:
    """(where in fly.toml, path) for every file flyctl reads locally."""
    found = []
    for index, entry in enumerate(config.get("files") or []):
        if isinstance(entry, dict) and entry.get("local_path"):
            found.append((f"[[files]] #{index + 1} local_path", str(entry["local_path"])))
    build = config.get("build") or {}
    for key in ("dockerfile", "ignorefile"):
        if isinstance(build, dict) and build.get(key):
            found.append((f"[build] {key}", str(build[key])))
    return found


def _inside(path: str, base: Path, root: Path) -> bool:
    if os.path.isabs(path) or ".." in Path(path).parts:
        return False
    resolved = (base / path).resolve()
    return resolved == root or root in resolved.parents


def check_local_files(config_path: str | os.PathLike, repo: str | os.PathLike) -> None:
    """Raise ConfigError naming each path of fly.toml that reads outside `repo`."""
    try:
        config = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {config_path}: {exc}", hint="fix fly.toml, or re-run `herokufly scaffold`") from None
    root = Path(repo).resolve()
    # flyctl resolves a relative path against its working directory: the repository, or
    # fly.toml's folder for a file flyctl reads next to the config. Both must stay inside.
    bases = {root, Path(config_path).resolve().parent}
    bad = [f"{where} = {path!r}" for where, path in paths_read_on_the_runner(config)
           if not all(_inside(path, base, root) for base in bases)]
    if bad:
        raise ConfigError(
            f"fly.toml reads files from outside the repository, refused: {'; '.join(bad)}",
            hint="use paths relative to the repository, without `..` or symlinks leading out",
        )
