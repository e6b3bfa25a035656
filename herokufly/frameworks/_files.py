"""Reading the repo's files for framework detection: missing is None, unreadable is a
ConfigError naming the file (one line, exit 1)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from herokufly.base.errors import ConfigError


def read_text(root: Path, rel: str) -> str | None:
    path = Path(root) / rel
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ConfigError(f"{rel}:1:1: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{rel}: cannot be read ({exc.strerror})") from None


def read_json(root: Path, rel: str) -> dict | None:
    text = read_text(root, rel)
    return None if text is None else parse_json_object(text, rel)


def parse_json_object(text: str, filename: str) -> dict:
    """A JSON object, or one ConfigError line naming the file, line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{filename}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}:1:1: expected a JSON object at the top level")
    return data


def version_tuple(text: str | None) -> tuple[int, ...]:
    """Leading numeric parts of a version: "3.2.2p53" -> (3, 2, 2); "" -> ()."""
    match = re.match(r"\D*(\d+(?:\.\d+)*)", text or "")
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def first_line(text: str | None) -> str | None:
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


_SKIP_DIRS = {"node_modules", ".git", "vendor", "venv", ".venv", "site-packages", "dist", "build",
              "tmp", "public", "static"}
HEALTH_PATHS = r"/(?:health(?:z|check|_check|-check)?|up|ping|status|_health)"


def find_health_route(root: Path, suffixes: tuple[str, ...], pattern: str,
                      max_files: int = 200) -> tuple[str, str] | None:
    """(path, file) of the first health-like route `pattern` finds (group "path") in source
    files up to three directories deep; vendored and built directories are skipped."""
    root = Path(root)
    seen = 0
    for directory, subdirs, files in os.walk(root):
        rel_dir = Path(directory).relative_to(root)
        # Prune vendored/built trees and stay within three levels, in a stable order.
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith(".")
                            and len(rel_dir.parts) < 3)
        for name in sorted(files):
            if not name.endswith(suffixes):
                continue
            seen += 1
            if seen > max_files:
                return None
            try:
                text = (Path(directory) / name).read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # an optional source file: unreadable means no route found
            found = re.search(pattern, text)
            if found:
                return found.group("path"), str(rel_dir / name)
    return None
