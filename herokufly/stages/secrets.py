"""secrets: copy the plan's config vars from Heroku to Fly secrets, values on stdin only.

Staged (`--stage`), so no machine restarts; the deploy stage rolls them out.
A secret is set again only when its Heroku value changed since we set it or
someone changed it on Fly (Fly's digest moved). Reports carry names only.
"""

from __future__ import annotations

from herokufly.stages.base import StageContext, StageResult

NAME = "secrets"
# Never copied: Fly's own database/Redis URLs come from provision.
ALWAYS_EXCLUDED = {"DATABASE_URL", "HEROKU_DATABASE_URL"}
OWNED_SECRETS_KEY = "provisioned_secret_names"


def run(ctx: StageContext) -> StageResult:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    wanted = list(ctx.plan.get("secrets") or [])
    excluded = set(ALWAYS_EXCLUDED) | set(_names(ctx.plan.get("excluded_config")))
    excluded |= set(state.created(OWNED_SECRETS_KEY, []))
    names = [n for n in wanted if n not in excluded]

    values = ctx.heroku.config_vars(opts.heroku_app, names)  # only these are registered with masking
    missing = [n for n in names if n not in values]
    current = fly.secrets(opts.fly_app)

    to_set: dict[str, str] = {}
    for name in names:
        if name not in values:
            continue
        fingerprint = state.fingerprint(name, values[name])
        record = state.secret_record(name)
        on_fly = current.get(name)
        if on_fly and record and record.get("fingerprint") == fingerprint \
                and record.get("fly_digest") == on_fly.get("digest"):
            continue
        to_set[name] = values[name]

    if to_set:
        ctx.say(f"Setting {len(to_set)} secret(s) on {opts.fly_app} (staged): {', '.join(sorted(to_set))}")
        fly.import_secrets(opts.fly_app, to_set, stage=True)
        after = fly.secrets(opts.fly_app)
        for name, value in to_set.items():
            state.record_secret(name, fly_digest=(after.get(name) or {}).get("digest"),
                                fingerprint=state.fingerprint(name, value))
        state.save()

    details = {"set": sorted(to_set), "unchanged": sorted(set(names) - set(to_set) - set(missing)),
               "missing_on_heroku": sorted(missing), "excluded": sorted(set(wanted) & excluded)}
    if not to_set:
        return StageResult("unchanged", f"all {len(names) - len(missing)} secret(s) already on Fly; nothing to do",
                           details=details)
    return StageResult("done", f"set {len(to_set)} secret(s): {', '.join(sorted(to_set))}",
                       [f"set {n}" for n in sorted(to_set)], details)


def _names(items) -> list[str]:
    """Excluded config may be plain names or {"name": ..., "reason": ...} entries."""
    out = []
    for item in items or []:
        out.append(item if isinstance(item, str) else (item.get("name") if isinstance(item, dict) else str(item)))
    return [n for n in out if n]
