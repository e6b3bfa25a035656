"""rollback: Heroku back as it was before herokufly touched it; Fly left in place.

Restores the formation recorded at cutover (or the dynos the database stage
scaled down), turns maintenance off unless it was on before we started, and
reports what exists on Fly so the user can decide what to keep.
"""

from __future__ import annotations

from herokufly.base.errors import ConfigError, HerokuflyError
from herokufly.stages.base import StageContext, StageResult, field_of, formation_quantities


def parse_formation(text: str) -> dict[str, int]:
    """"web=2,worker=1" -> {"web": 2, "worker": 1}."""
    out = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        ptype, _, qty = part.partition("=")
        if not ptype.strip() or not qty.strip().isdigit():
            raise ConfigError(f"'{part}' is not TYPE=COUNT", hint="Use e.g. --formation web=2,worker=1")
        out[ptype.strip()] = int(qty)
    return out


def run(ctx: StageContext, formation_override: dict[str, int] | None = None) -> StageResult:
    opts, state, heroku = ctx.options, ctx.state, ctx.heroku
    target = formation_override or state.heroku.get("formation_before_cutover")
    window = state.heroku.get("window") or {}
    if not target:
        target = dict(window.get("scaled_down") or {})
    current = formation_quantities(heroku.formation(opts.heroku_app))
    changes = []
    if not target and current and not any(current.values()):
        raise ConfigError("the Heroku formation is at 0 and no earlier formation is recorded",
                          hint="Pass --formation web=1,worker=1 with the counts you want back")
    updates = [{"type": t, "quantity": q} for t, q in sorted((target or {}).items()) if current.get(t) != q]
    if updates:
        heroku.update_formation(opts.heroku_app, updates)
        changes.append("restored Heroku " + ", ".join(f"{u['type']}={u['quantity']}" for u in updates))
    maintenance_before = state.heroku.get("maintenance_before", window.get("maintenance_before", False))
    app = heroku.app(opts.heroku_app)
    if field_of(app, "maintenance", False) and not maintenance_before:
        heroku.set_maintenance(opts.heroku_app, False)
        changes.append("Heroku maintenance off")
    state.heroku["rolled_back_at"] = state.data.get("updated_at")
    state.heroku.pop("window", None)
    if state.status("cutover") == "done":
        state.stage("cutover")["status"] = "rolled_back"
    state.save()
    fly_side = fly_inventory(ctx)
    ctx.say("Left in place on Fly: " + "; ".join(f"{k}: {v}" for k, v in fly_side.items()))
    summary = "; ".join(changes) if changes else "Heroku already runs as before; nothing to do"
    return StageResult("done" if changes else "unchanged", summary, changes, {"fly": fly_side})


def fly_inventory(ctx: StageContext) -> dict:
    """What exists on Fly for this migration (read-only; errors become notes)."""
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    out: dict = {}
    try:
        app = fly.app(opts.fly_app)
        out["app"] = f"{opts.fly_app} ({'deployed' if app and app.get('Deployed') else 'not deployed'})" \
            if app else "none"
        if app:
            out["secrets"] = len(fly.secrets(opts.fly_app))
            # `certs list --json` is snake_case since flyctl v0.4.11 (Machines API)
            out["certificates"] = [c.get("hostname") for c in fly.certs(opts.fly_app)]
    except HerokuflyError as exc:
        out["note"] = exc.one_line()
    postgres = state.created("postgres")
    if postgres:
        out["postgres"] = postgres.get("name") or postgres.get("kind")
    if state.created("redis"):
        out["redis"] = state.created("redis").get("name")
    return out
