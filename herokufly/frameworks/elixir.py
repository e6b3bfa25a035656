"""Plain Mix apps (no Phoenix): built and run like Heroku's Elixir buildpack did.

The same two modes as Phoenix (see phoenix.py); the buildpack's default web process is
`mix run --no-halt` (HashNuke/heroku-buildpack-elixir `bin/release`).
"""

from __future__ import annotations

from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import phoenix
from herokufly.frameworks._mix import read_mix_project

NAME = "elixir"


def detect(root: Path) -> Detection | None:
    facts = read_mix_project(root)
    if facts is None:
        return None
    evidence = ["mix.exs: a Mix project" + (" (umbrella)" if facts["umbrella"] else "")]
    return Detection(name=NAME, evidence=evidence, facts=facts)


def advise(detection: Detection, ctx: AppContext) -> Advice:
    return phoenix.advise_mix(detection.facts, ctx, phoenix=False)


def scaffold_files(plan: dict, root: Path) -> dict[str, tuple[str, int]]:
    return phoenix.scaffold_files(plan, root)
