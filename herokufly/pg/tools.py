"""Find PostgreSQL client tools (pg_dump, psql) and their major versions.

pg_dump can only dump servers of its own major version or older, so the
choice depends on the source: the lowest major that is >= the source's
(closest to the source, so its output suits older targets best).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from herokufly.base.errors import DatabaseError

@dataclass(frozen=True)
class ClientTools:
    bindir: str
    major: int
    version: str  # e.g. "17.12"

    @property
    def pg_dump(self) -> str:
        return os.path.join(self.bindir, "pg_dump")

    @property
    def psql(self) -> str:
        return os.path.join(self.bindir, "psql")


def _version_of(pg_dump: str) -> tuple[int, str] | None:
    try:
        out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"(\d+)(?:\.(\d+))?", out.stdout)
    if out.returncode != 0 or not m:
        return None
    return int(m.group(1)), m.group(0)


def candidate_bindirs() -> list[str]:
    dirs: list[str] = []
    override = os.environ.get("HEROKUFLY_PG_BINDIR")
    if override:
        dirs.extend(d for d in override.split(os.pathsep) if d)
    dirs.extend(sorted(glob.glob("/usr/lib/postgresql/*/bin")))
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(os.path.dirname(os.path.realpath(on_path)))
    seen, result = set(), []
    for d in dirs:
        if d not in seen and os.access(os.path.join(d, "pg_dump"), os.X_OK) \
                and os.access(os.path.join(d, "psql"), os.X_OK):
            seen.add(d)
            result.append(d)
    return result


def available_tools(bindirs: list[str] | None = None) -> list[ClientTools]:
    found = []
    for d in candidate_bindirs() if bindirs is None else bindirs:
        v = _version_of(os.path.join(d, "pg_dump"))
        if v:
            found.append(ClientTools(bindir=d, major=v[0], version=v[1]))
    return found


def choose_tools(source_major: int, bindir: str | None = None) -> ClientTools:
    """The tools to dump a server of `source_major`, or a DatabaseError saying what to install."""
    if bindir:
        tools = available_tools([bindir])
        if not tools:
            raise DatabaseError(f"no usable pg_dump and psql in {bindir}",
                                hint="Point --pg-bindir at a PostgreSQL bin directory")
        if tools[0].major < source_major:
            raise DatabaseError(
                f"pg_dump {tools[0].version} in {bindir} cannot dump a PostgreSQL {source_major} server",
                hint=f"Use PostgreSQL {source_major} or newer client tools")
        return tools[0]
    return pick(available_tools(), source_major)


def pick(tools: list[ClientTools], source_major: int) -> ClientTools:
    usable = sorted((t for t in tools if t.major >= source_major), key=lambda t: t.major)
    if usable:
        return usable[0]
    have = ", ".join(sorted({t.version for t in tools})) or "none"
    raise DatabaseError(
        f"no pg_dump can dump the source (PostgreSQL {source_major}; pg_dump found: {have})",
        hint=(f"Install postgresql-client-{max(source_major, 17)} (apt) or set HEROKUFLY_PG_BINDIR "
              "to its bin directory"),
    )
