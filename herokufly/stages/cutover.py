"""cutover (explicit only): Heroku's formation to zero, Heroku kept in maintenance.

The formation before cutover is recorded in the state first (and printed), so
`herokufly rollback` can bring Heroku back exactly as it was.
"""

from __future__ import annotations

from herokufly.base.errors import ConfigError
from herokufly.stages.base import StageContext, StageResult, field_of, formation_quantities

NAME = "cutover"
REQUIRED = ("deploy", "domains")


def run(ctx: StageContext) -> StageResult:
    opts, state, heroku = ctx.options, ctx.state, ctx.heroku
    not_ready = [s for s in REQUIRED if state.status(s) not in ("done", "skipped")]
    if not_ready:
        raise ConfigError(f"cutover needs {', '.join(not_ready)} to have succeeded first",
                          hint="Run `herokufly migrate --from " + not_ready[0] + "` and then cutover")
    current = formation_quantities(heroku.formation(opts.heroku_app))
    window = state.heroku.get("window") or {}
    recorded = state.heroku.get("formation_before_cutover")
    if recorded is None:
        # Dynos the database stage scaled down count as part of the old formation.
        before = dict(current)
        for ptype, qty in (window.get("scaled_down") or {}).items():
            if before.get(ptype, 0) == 0:
                before[ptype] = qty
        state.heroku["formation_before_cutover"] = before
        state.heroku.setdefault("maintenance_before", window.get("maintenance_before", False))
        state.save()
        recorded = before
    ctx.say("Heroku formation before cutover (rollback restores it): "
            + ", ".join(f"{t}={q}" for t, q in sorted(recorded.items())))
    changes = []
    app = heroku.app(opts.heroku_app)
    if not field_of(app, "maintenance", False):
        heroku.set_maintenance(opts.heroku_app, True)
        changes.append("Heroku maintenance on")
    running = {t: q for t, q in current.items() if q > 0}
    if running:
        heroku.update_formation(opts.heroku_app, [{"type": t, "quantity": 0} for t in running])
        changes.append("scaled Heroku " + ", ".join(sorted(running)) + " to 0")
    if not changes:
        return StageResult("unchanged", "Heroku is already scaled to 0 and in maintenance; nothing to do",
                           details={"formation_before": recorded})
    return StageResult("done", "; ".join(changes), changes, {"formation_before": recorded})
