"""Where the published contracts are: tests/contracts/ in this repository (see its README).

HEROKUFLY_CONTRACTS overrides it with a folder holding the same names. A missing folder or file
is an error, not a skip: the fakes are only trustworthy while they are checked against them.
"""

from __future__ import annotations

import os
from pathlib import Path

VENDORED = Path(__file__).resolve().parent / "contracts"


def contracts_dir() -> Path:
    folder = Path(os.environ.get("HEROKUFLY_CONTRACTS") or VENDORED)
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"no contracts in {folder} (expected its README.md); "
                                "unset HEROKUFLY_CONTRACTS to use tests/contracts/")
    return folder


def contract_path(name: str) -> Path:
    path = contracts_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"contract {name} is not in {path.parent}")
    return path
