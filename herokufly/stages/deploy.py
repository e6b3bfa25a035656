"""deploy: `flyctl deploy --remote-only` with the scaffolded fly.toml, then a smoke check.

The release_command in fly.toml runs the migrations. Re-running is a no-op
when the last deploy used the same fly.toml, the app is deployed and no
staged secret waits for a rollout.
"""

from __future__ import annotations

import hashlib
import os
import time

import requests

from herokufly.base import fly_toml_guard
from herokufly.base.errors import ConfigError, FlyError
from herokufly.stages.base import StageContext, StageResult

NAME = "deploy"


def run(ctx: StageContext) -> StageResult:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    config = os.path.abspath(opts.fly_toml or os.path.join(opts.repo, "fly.toml"))
    if not os.path.exists(config):
        raise ConfigError(f"{config} does not exist", hint="Run `herokufly scaffold` first")
    fly_toml_guard.check_local_files(config, opts.repo)  # flyctl must not ship runner files (docs/security.md)
    with open(config, "rb") as fh:
        config_digest = hashlib.sha256(fh.read()).hexdigest()

    status = fly.status(opts.fly_app)
    staged = sorted(n for n, s in fly.secrets(opts.fly_app).items() if s.get("status") == "Staged")
    previous = state.stage(NAME)
    if previous.get("config_sha256") == config_digest and status.get("Deployed") and not staged \
            and previous.get("version") == status.get("Version"):
        smoke = _smoke(ctx) if opts.smoke_check else {"skipped": True}
        note = "smoke check skipped (--no-smoke-check)" if smoke.get("skipped") else \
            f"{smoke['url']} answered {smoke['status']}"
        return StageResult("unchanged", f"release v{status.get('Version')} already runs this fly.toml; "
                           f"nothing to do; {note}", details={"smoke": smoke})

    ctx.say(f"Deploying {opts.fly_app} with {config} (remote builder)")
    fly.deploy(opts.fly_app, config, os.path.abspath(opts.repo), timeout=opts.deploy_timeout)
    status = fly.status(opts.fly_app)
    images = sorted({image_name(m.get("image_ref")) for m in status.get("Machines") or [] if m.get("image_ref")})
    previous.update(config_sha256=config_digest, version=status.get("Version"), images=images)
    state.save()
    smoke = _smoke(ctx) if opts.smoke_check else {"skipped": True, "note": "smoke check skipped (--no-smoke-check)"}
    previous["smoke"] = smoke
    state.save()
    summary = f"deployed release v{status.get('Version')}"
    summary += "; smoke check skipped (--no-smoke-check)" if smoke.get("skipped") else \
        f"; {smoke['url']} answered {smoke['status']}"
    return StageResult("done", summary, [summary], {"version": status.get("Version"), "smoke": smoke,
                                                     "rolled_out_secrets": staged})


def image_name(ref) -> str:
    """fly-go machine_types.go MachineImageRef {registry, repository, tag, digest} as one name."""
    if not isinstance(ref, dict):
        return str(ref)
    name = "/".join(p for p in (ref.get("registry"), ref.get("repository")) if p)
    if ref.get("tag"):
        name += f":{ref['tag']}"
    if ref.get("digest"):
        name += f"@{ref['digest']}"
    return name


def _smoke(ctx: StageContext) -> dict:
    """GET the app until it answers below 500; bounded retries."""
    opts = ctx.options
    url = opts.smoke_url or f"https://{opts.fly_app}.fly.dev/"
    last = "no answer"
    for attempt in range(1, max(1, opts.smoke_attempts) + 1):
        try:
            response = requests.get(url, timeout=10, allow_redirects=True)
            if response.status_code < 500:
                return {"url": url, "status": response.status_code, "attempts": attempt}
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        if attempt < opts.smoke_attempts:
            time.sleep(opts.smoke_delay)
    raise FlyError(f"the deploy finished but {url} did not answer ({last} after {opts.smoke_attempts} tries)",
                   hint=f"Check `fly logs -a {opts.fly_app}`; re-run with --from deploy, "
                        "or --no-smoke-check to skip the check")
