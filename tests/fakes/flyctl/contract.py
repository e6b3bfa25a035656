"""Derive the flyctl command surface from the published contract.

The fake flyctl embeds a compact copy of this surface (it runs inside a
container where the contract file is not available); tests compare the
embedded copy with `surface_from_contract()` so the two never drift, and
check every flyctl invocation herokufly makes against it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from tests.contracts import contract_path

CONTRACT = Path(os.environ.get("FLYCTL_CONTRACT") or contract_path("flyctl-commands.json"))

# `fly version` needs no token (internal/command/version/version.go); every other command in
# the contract requires a session, so only this entry overrides the contract's.
EXTRA_COMMANDS = {
    "version": {
        "aliases": [],
        "args": [0, 0],
        "flags": [["json", "j", "bool", False, None]],
        "auth": False,
    },
}

# The database copy on a Fly Machine (issue 9 item 6) reads the Machine's state, logs and
# removes it; these commands are not in the published contract. Flags as in v0.4.87:
# internal/command/machine/list.go, machine/destroy.go (selectFlag: machine/select.go),
# internal/command/logs/logs.go, mpg/extensions.go; App/AppConfig/Region/JSONOutput from
# internal/flag/flag.go.
_APP_FLAGS = [["app", "a", "string", "", None], ["config", "c", "string", "", None]]
DATABASE_COPY_COMMANDS = {
    "machine list": {
        "aliases": ["machine ls", "machines list", "machines ls", "m list", "m ls"],
        "args": [0, 0], "auth": True,
        "flags": _APP_FLAGS + [["json", "j", "bool", False, None], ["quiet", "q", "bool", False, None]],
    },
    "machine destroy": {
        "aliases": ["machine remove", "machine rm", "machines destroy", "m destroy"],
        "args": [0, None], "auth": True,
        "flags": _APP_FLAGS + [["force", "f", "bool", False, None], ["image", "i", "string", "", None],
                               ["select", "s", "bool", False, None]],
    },
    # internal/command/mpg/extensions.go newExtensionsList (under mpg/databases.go).
    "mpg databases extensions list": {
        "aliases": ["mpg databases extensions ls", "mpg db extensions list", "mpg databases ext list"],
        "args": [0, 1], "auth": True,
        "flags": [["database", "d", "string", "", None], ["json", "j", "bool", False, None]],
    },
    "logs": {
        "aliases": [], "args": [0, 0], "auth": True,
        "flags": _APP_FLAGS + [["json", "j", "bool", False, None], ["machine", "m", "string", "", None],
                               ["no-tail", "n", "bool", False, None], ["region", "r", "string", "", None],
                               ["select", "s", "bool", False, None]],
    },
}
EXTRA_COMMANDS.update(DATABASE_COPY_COMMANDS)


# Who may run what, read from flyctl v0.4.87 (the flag surface above says nothing about it).
# "macaroon": the command's preparers include requireMacaroonToken (internal/command/mpg/mpg.go),
# so a user token (`fly auth token`) is refused before any request. "org": it acts on the
# organization (creates or lists its resources), which a deploy token -- scoped to one app by
# `fly tokens create deploy` (internal/command/tokens/create.go) -- cannot do.
TOKEN_RULES = {
    "apps create": {"org": True, "source": "internal/command/apps/create.go"},
    "apps list": {"org": True, "source": "internal/command/apps/list.go"},
    "mpg create": {"org": True, "macaroon": True, "source": "internal/command/mpg/create.go"},
    "mpg list": {"org": True, "macaroon": True, "source": "internal/command/mpg/list.go"},
    "mpg status": {"org": True, "macaroon": True, "source": "internal/command/mpg/status.go"},
    "mpg attach": {"org": True, "macaroon": True, "source": "internal/command/mpg/attach.go"},
    "mpg destroy": {"org": True, "macaroon": True, "source": "internal/command/mpg/destroy.go"},
    "mpg proxy": {"org": True, "macaroon": True, "source": "internal/command/mpg/proxy.go"},
    "redis create": {"org": True, "source": "internal/command/redis/create.go"},
    "postgres create": {"org": True, "source": "internal/command/postgres/create.go"},
}


def _arg_bounds(text: str) -> list:
    """(min, max) positional args from the contract's `args` text; max None = any."""
    m = re.search(r"cobra\.(\w+)(?:\(([^)]*)\))?", text)
    if m:
        kind, nums = m.group(1), [int(n) for n in re.findall(r"\d+", m.group(2) or "")]
        return {
            "NoArgs": [0, 0],
            "ExactArgs": [nums[0], nums[0]] if nums else [0, 0],
            "RangeArgs": nums[:2],
            "MinimumNArgs": [nums[0] if nums else 0, None],
            "MaximumNArgs": [0, nums[0] if nums else 0],
            "ArbitraryArgs": [0, None],
        }[kind]
    if text.startswith("none"):
        return [0, 0]
    raise ValueError(f"cannot read arg bounds from {text!r}")


def surface_from_contract(path: Path = CONTRACT) -> dict:
    """{"apps create": {"aliases": [...], "args": [min,max], "flags": [[name, short, type, default, no_opt]]}}"""
    entries = json.loads(path.read_text())
    surface = {}
    for entry in entries:
        words = entry["command"].split()[1:]
        if not words:
            surface[""] = {"aliases": [], "args": None, "auth": False, "flags": [
                [f["name"].lstrip("-"), (f.get("shorthand") or "").lstrip("-") or None, f["type"], f["default"],
                 f.get("no_opt_default")] for f in entry["flags"]]}
            continue
        surface[" ".join(words)] = {
            "aliases": [" ".join(a.split()[1:]) for a in entry.get("aliases") or []],
            "args": _arg_bounds(entry["args"]),
            "auth": True,
            "flags": [[f["name"].lstrip("-"), (f.get("shorthand") or "").lstrip("-") or None, f["type"], f["default"],
                       f.get("no_opt_default")] for f in entry["flags"]],
        }
    return surface


def full_surface(path: Path = CONTRACT) -> dict:
    surface = surface_from_contract(path)
    surface.update(EXTRA_COMMANDS)
    return surface


def render_embedded(path: Path = CONTRACT) -> str:
    """The JSON text the fake embeds (one command per line)."""
    surface = full_surface(path)
    lines = [f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in surface.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


FAKE = Path(__file__).with_name("flyctl")
BEGIN = 'SURFACE = json.loads(r"""'
END = '""")  # end of surface'


def embedded_surface(fake: Path = FAKE) -> dict:
    """The surface the fake actually uses, read from its source."""
    text = fake.read_text()
    start = text.index(BEGIN) + len(BEGIN)
    return json.loads(text[start:text.index(END)])


def regenerate(fake: Path = FAKE) -> None:
    """Rewrite the fake's embedded surface from the contract."""
    text = fake.read_text()
    start = text.index(BEGIN) + len(BEGIN)
    fake.write_text(text[:start] + render_embedded() + text[text.index(END):])


if __name__ == "__main__":
    regenerate()


def load_fake():
    """The fake flyctl as a module (its parser is reused to check argv lists)."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("fake_flyctl", str(FAKE))
    spec = importlib.util.spec_from_loader("fake_flyctl", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def check_argv(argv: list[str], allow_extra: bool = True) -> str | None:
    """None when flyctl (per the contract) accepts `argv`; else flyctl's error text."""
    fake = load_fake()
    fake.SURFACE = full_surface() if allow_extra else surface_from_contract()
    fake.GLOBAL = fake.SURFACE[""]["flags"]
    try:
        name, rest = fake.resolve(list(argv))
        fake.parse(name, rest)
    except fake.Failure as exc:
        return str(exc)
    return None
