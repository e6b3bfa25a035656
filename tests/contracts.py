"""Where the published contracts are: ../shared/contracts beside the checkout (as in CI).

HEROKUFLY_CONTRACTS overrides it. A missing folder is an error, not a skip: the fakes are only
trustworthy while they are checked against the contracts.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def contracts_dir() -> Path:
    candidates = [os.environ.get("HEROKUFLY_CONTRACTS"), ROOT.parent / "shared" / "contracts",
                  "/work/shared/contracts"]
    for candidate in candidates:
        if candidate and Path(candidate, "README.md").is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "the published contracts were not found beside the checkout (../shared/contracts); "
        "set HEROKUFLY_CONTRACTS to their folder")


def contract_path(name: str) -> Path:
    return contracts_dir() / name
