"""One module per command; each exposes a click command named `command`.

Append new command modules to _MODULES (keep one line each, to ease merges).
"""

from __future__ import annotations

import importlib

_MODULES = [
    "plan",
    "scaffold",
    "db",
    "migrate",
    "rollback",
    "workflow",
]

COMMANDS = [importlib.import_module(f"herokufly.commands.{name}").command for name in _MODULES]
