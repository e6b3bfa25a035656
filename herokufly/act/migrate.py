"""Run the migration stages in order, recording each in the state.

`select_stages` turns --only/--from into the list to run; `run_stages` runs
them: a stage that fails or is interrupted (Ctrl-C, SIGTERM, which the CLI
turns into KeyboardInterrupt) is marked so in the state before the error
propagates, and the next run continues from what exists.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from herokufly.base.errors import ConfigError, HerokuflyError
from herokufly.stages.base import StageContext, StageResult
from herokufly.act.state import DONE, FAILED, INTERRUPTED, RUNNING, SKIPPED

DEFAULT_STAGES = ("provision", "secrets", "database", "deploy", "domains")
ALL_STAGES = DEFAULT_STAGES + ("cutover",)


def stage_module(name: str):
    return importlib.import_module(f"herokufly.stages.{name}")


def select_stages(only: list[str] | tuple = (), start: str | None = None) -> list[str]:
    """--only picks stages (in pipeline order); --from starts at one; cutover only on request."""
    for name in list(only) + ([start] if start else []):
        if name not in ALL_STAGES:
            raise ConfigError(f"'{name}' is not a stage", hint="Stages: " + ", ".join(ALL_STAGES))
    if only and start:
        raise ConfigError("--only and --from cannot be combined", hint="Use one of them")
    if only:
        return [s for s in ALL_STAGES if s in only]
    if start:
        pool = ALL_STAGES if start == "cutover" else DEFAULT_STAGES
        return list(pool[pool.index(start):])
    return list(DEFAULT_STAGES)


@dataclass
class MigrationReport:
    stages: dict[str, dict] = field(default_factory=dict)
    stopped_at: str | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"stages": self.stages, "stopped_at": self.stopped_at, "error": self.error}


def run_stages(ctx: StageContext, names: list[str], *, on_result=None) -> MigrationReport:
    report = MigrationReport()
    state = ctx.state
    for name in names:
        module = stage_module(name)
        state.mark(name, RUNNING)
        try:
            result: StageResult = module.run(ctx)
        except KeyboardInterrupt:
            state.mark(name, INTERRUPTED, error="interrupted (Ctrl-C or SIGTERM); re-run to continue")
            report.stopped_at = name
            raise
        except HerokuflyError as exc:
            state.mark(name, FAILED, error=exc.one_line())
            report.stopped_at, report.error = name, exc.one_line()
            exc.report = report  # type: ignore[attr-defined]
            raise
        except Exception as exc:
            state.mark(name, FAILED, error=f"internal error: {type(exc).__name__}")
            report.stopped_at = name
            raise
        final = SKIPPED if result.status == "skipped" else DONE
        state.mark(name, final, summary=result.summary, changes=result.changes)
        report.stages[name] = result.to_dict()
        if on_result:
            on_result(name, result)
    return report
