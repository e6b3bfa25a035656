"""Rails apps (Heroku's Ruby buildpack, Rails 3 to 8).

Sources: devcenter ruby-support-reference (Rails detection: config/application.rb with
Rails::Application; default web `bin/rails server -p ${PORT:-5000} -e $RAILS_ENV` for Rails 4+);
Rails 7.1 generates `get "up" => "rails/health#show"` in config/routes.rb (railties
generator templates); `bin/rails db:migrate` exists from Rails 5, before that `rake db:migrate`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common, ruby
from herokufly.frameworks._files import read_text, version_tuple

NAME = "rails"


def detect(root: Path) -> Detection | None:
    gemfile = read_text(root, "Gemfile")
    if gemfile is None:
        return None
    lock = read_text(root, "Gemfile.lock") or ""
    application = read_text(root, "config/application.rb") or ""
    evidence = []
    if ruby.has_gem(gemfile, lock, "rails") or ruby.has_gem(gemfile, lock, "railties"):
        evidence.append("Gemfile: gem 'rails'")
    if "Rails::Application" in application:
        evidence.append("config/application.rb: Rails::Application")
    if not evidence:
        return None
    facts = ruby.ruby_facts(root, gemfile)
    version = ruby.locked_version(lock, "rails") or ruby.locked_version(lock, "railties")
    if not version:
        pinned = re.search(r"""gem\s+['"]rails['"]\s*,\s*['"][~>=<\s]*(\d+(?:\.\d+)*)""", gemfile)
        version = pinned.group(1) if pinned else None
    app_dir = _app_dir(root)
    routes = read_text(root, f"{app_dir}config/routes.rb") or ""
    production = read_text(root, f"{app_dir}config/environments/production.rb") or ""
    environments = Path(root) / f"{app_dir}config" / "environments"
    facts.update(
        rails_version=version,
        has_bin_rails=(Path(root) / "bin" / "rails").is_file(),
        has_database_yml=(Path(root) / "config" / "database.yml").is_file(),
        up_route=bool(re.search(r"""rails/health#show|get\s+['"]/?up['"]""", routes)),
        health_route=_health_route(routes),
        root_redirect=_root_redirect(routes),
        force_ssl=bool(re.search(r"^\s*config\.force_ssl\s*=\s*true", production, re.M)),
        has_credentials=any((Path(root) / "config" / f).is_file() for f in (
            "credentials.yml.enc", "credentials/production.yml.enc")),
        app_dir=app_dir,
        custom_environments=sorted(
            f.stem for f in environments.glob("*.rb")
            if f.stem not in ("development", "test", "production")) if environments.is_dir() else [],
    )
    if version:
        evidence.append(f"Rails {version}")
    return Detection(NAME, evidence, facts)


# bin/rails of an engine or gem whose Heroku app lives in a folder (good_job's demo/,
# administrate's spec/example_app/): `APP_PATH = File.expand_path("../demo/config/application",
# __dir__)`; `rails server` and the rake tasks then boot that app.
_APP_PATH = re.compile(r"""^\s*APP_PATH\s*=\s*File\.expand_path\(\s*['"](?P<rel>[^'"]*?)/?config/"""
                       r"""application['"]\s*,\s*(?P<base>__dir__|__FILE__)\s*\)""", re.M)


def _app_dir(root: Path) -> str:
    """The folder (ending in /, or "") holding the app bin/rails boots; "" for the root."""
    found = _APP_PATH.search(read_text(root, "bin/rails") or "")
    if not found:
        return ""
    base = Path("/repo/bin") if found.group("base") == "__dir__" else Path("/repo/bin/rails")
    target = Path(os.path.normpath(base / found.group("rel")))
    if target == Path("/repo") or Path("/repo") not in target.parents:
        return ""
    folder = target.relative_to("/repo").as_posix()
    return f"{folder}/" if (Path(root) / folder / "config" / "application.rb").is_file() else ""


_ROUTE = re.compile(r"""^\s*get\s*\(?\s*['"]/?"""
                    r"""(?P<name>health(?:z|check|_check|-check)?|ping|status|_health)/?['"]""",
                    re.M)


_ROOT_REDIRECT = re.compile(r"""^\s*root\s*\(?\s*(?:to:|:to\s*=>)\s*redirect\("""
                            r"""\s*['"](?P<path>/[^'"?#]*)['"]""", re.M)


def _root_redirect(routes: str) -> str | None:
    """The app path `root to: redirect("/x")` sends GET / to (a 301 fails Fly's check)."""
    found = _ROOT_REDIRECT.search(routes)
    return found.group("path") if found and found.group("path") != "/" else None


def _health_route(routes: str) -> str | None:
    """A health-like GET route in config/routes.rb (Rails paths may omit the leading /)."""
    found = _ROUTE.search(routes)
    if found:
        return "/" + found.group("name")
    mounted = re.search(r"""mount\s+OkComputer::Engine\s*,\s*at:\s*['"](?P<at>/[^'"]*)['"]""",
                        routes)
    if mounted:
        return mounted.group("at")  # okcomputer's default check answers at the mount point
    if re.search(r"^\s*health_check_routes\b", routes, re.M):
        return "/health_check"  # the health_check gem's default route
    return None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    version = version_tuple(facts.get("rails_version"))
    advice = Advice(build={})
    advice.build = ruby.ruby_build(ctx, facts, advice, version)
    modern = not version or version >= (4,)
    default_web = ("bin/rails server -p ${PORT:-5000} -e $RAILS_ENV" if modern and
                   facts.get("has_bin_rails") else "bundle exec rails server -p ${PORT:-5000}")
    advice.processes = _common.web_processes(ctx, default_web, "what Heroku's Ruby buildpack "
                                             "runs for Rails", advice)
    others = [k for k in ctx.procfile if k not in ("web", "release")]  # plan asks for it then
    if ("web" not in ctx.procfile and not others and not facts.get("has_bin_rails")
            and ctx.user_dockerfile is None):
        # heroku/buildpacks-ruby's default web is `bin/rails server ...` for any app with
        # railties (steps/get_default_process.rs); Rails 3 apps have script/rails instead.
        advice.manual_steps.append({
            "item": f"Add `web: {default_web}` to the Procfile",
            "why": ("The CNB Ruby buildpack's default web process runs bin/rails, which this app "
                    "does not have; Heroku's classic buildpack ran `bundle exec rails server`"),
            "how": f"Add the line `web: {default_web}` to the Procfile and plan again"})
    if facts.get("has_bin_rails") and (not version or version >= (5,)):
        migrate = "bin/rails db:migrate"
    else:
        migrate = "bundle exec rake db:migrate"
    advice.release = _common.release_from(ctx, migrate, "Rails database migrations, run "
                                          "before each deploy")
    routes = f"{facts.get('app_dir') or ''}config/routes.rb"
    if version >= (7, 1) and facts.get("up_route"):
        advice.health_check = _common.health_check("/up", f"Rails {facts['rails_version']} "
                                                   "serves /up (rails/health#show)")
    elif facts.get("up_route"):
        advice.health_check = _common.health_check("/up", f"{routes} routes /up")
    elif facts.get("health_route"):
        advice.health_check = _common.health_check(facts["health_route"],
                                                    f"{routes} routes {facts['health_route']}")
    elif facts.get("root_redirect"):
        # Fly counts only a 2xx as passing (http_service checks); GET / answers 301 here.
        target = facts["root_redirect"]
        advice.health_check = _common.health_check(target, f"{routes} redirects / to {target}")
    else:
        why = "the app's root"
        if version >= (7, 1):
            why += f"; {routes} has no /up route (add `get \"up\" => \"rails/health#show\"`)"
        advice.health_check = _common.health_check("/", why)
    if facts.get("force_ssl"):
        advice.notes.append("config.force_ssl is on: the health check sends X-Forwarded-Proto: "
                            "https so it is not redirected")
    advice.config = _common.config_kinds(ctx, ("ruby", "node"), f"{ctx.fly_app}.fly.dev")
    ruby.runtime_config(ctx, facts, advice)
    for name in ("RAILS_SERVE_STATIC_FILES", "RAILS_LOG_TO_STDOUT"):
        if name in ctx.config_var_names:
            advice.notes.append(f"{name} is copied: Heroku's Ruby buildpack set it, and Fly "
                                "needs it the same way")
    if "RAILS_MASTER_KEY" not in ctx.config_var_names and "SECRET_KEY_BASE" not in ctx.config_var_names \
            and version >= (5, 2):
        advice.notes.append("Neither RAILS_MASTER_KEY nor SECRET_KEY_BASE is a config var: set one "
                            "with `fly secrets set` if the app reads credentials")
    if facts.get("has_credentials") and ctx.user_dockerfile is None:
        # heroku/buildpacks-ruby runs `rake assets:precompile` at build with its own default
        # SECRET_KEY_BASE (steps/default_env.rs); Fly's build gets no app secrets.
        advice.notes.append("The app has encrypted credentials: Heroku's build saw "
                            "RAILS_MASTER_KEY, Fly's build sees no secrets, so `rake "
                            "assets:precompile` must not need credentials (the key stays a "
                            "runtime secret)")
    custom = facts.get("custom_environments") or []
    if custom and "RAILS_ENV" in ctx.config_var_names and ctx.user_dockerfile is None:
        # heroku/buildpacks-ruby defaults RAILS_ENV/RACK_ENV to production for the build
        # (steps/default_env.rs) and Fly's build gets no secrets; Heroku's build saw the config
        # var. flyctl passes [build.args] to the builder as its env (buildpacks_builder.go).
        where = f"{facts.get('app_dir') or ''}config/environments"
        advice.manual_steps.append({
            "item": "RAILS_ENV at build time too",
            "why": (f"{where} has {', '.join(f + '.rb' for f in custom)}: if RAILS_ENV names "
                    "one, Heroku's build ran `rake assets:precompile` in it, while the build on "
                    "Fly runs it with RAILS_ENV=production (the secret applies only at boot)"),
            "how": ("If `heroku config:get RAILS_ENV` is not production, set RAILS_ENV and "
                    "RACK_ENV to it under [build.args] in fly.toml (they are not secrets)")})
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    advice.notes.append(ruby.ipv6_note())
    return advice
