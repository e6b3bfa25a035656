"""Ruby apps without Rails (Rack, Sinatra, Hanami...); also the Ruby facts Rails builds on.

Heroku's Ruby buildpack runs a Rack app with no Procfile web as
`bundle exec rackup config.ru -p ${PORT:-5000}` (devcenter: ruby-support-reference, "Rack").
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.frameworks import HEROKU_ONLY, Advice, AppContext, ConfigVar, Detection
from herokufly.frameworks import _common, _runtime
from herokufly.frameworks._files import (HEALTH_PATHS, find_health_route, first_line, read_text,
                                         version_tuple)

NAME = "ruby"
# Gems that give ExecJS a JavaScript runtime inside Ruby (no Node needed).
JS_RUNTIME_GEMS = ("mini_racer", "therubyracer", "therubyrhino", "duktape")
_GEM = r"""^\s*gem\s+['"]{name}['"]"""
_LOCK_GEM = r"^    {name} \(([^)]+)\)"


def detect(root: Path) -> Detection | None:
    gemfile = read_text(root, "Gemfile")
    if gemfile is None:
        return None
    return Detection(NAME, ["Gemfile"], ruby_facts(root, gemfile))


def ruby_facts(root: Path, gemfile: str) -> dict:
    lock = read_text(root, "Gemfile.lock") or ""
    version, source = ruby_version(root, gemfile, lock)
    requirement, requirement_source = gemfile_ruby_requirement(root, gemfile)
    return {
        "ruby_version": version,
        "ruby_version_source": source,
        "locked_ruby": locked_ruby(lock),
        "ruby_requirement": requirement,  # the Gemfile `ruby` line, e.g. ["~> 3.2"]
        "ruby_requirement_source": requirement_source,
        "bundler_version": locked_bundler(lock),
        "has_gemfile_lock": (Path(root) / "Gemfile.lock").is_file(),
        "ruby_version_file": first_line(read_text(root, ".ruby-version")),
        "redis_env_vars": redis_env_vars(root),
        "aptfile_packages": aptfile_packages(read_text(root, "Aptfile")),
        "gems": sorted(g for g in ("sidekiq", "resque", "good_job", "delayed_job", "puma",
                                   "unicorn", "pg", "mysql2", "activerecord", "sequel",
                                   "sinatra", "rack", "hanami", "hanami-model", "hanami-db",
                                   "rom-sql", "redis", "jsbundling-rails",
                                   "webpacker", "cssbundling-rails", "execjs", *JS_RUNTIME_GEMS)
                       if has_gem(gemfile, lock, g)),
        "has_config_ru": (Path(root) / "config.ru").is_file(),
        # Sinatra/Roda/Hanami style: get "/health" do ... end, get("/ping") { ... }
        "health_route": find_health_route(root, (".rb",),
                                          rf"""\bget\s*\(?\s*['"](?P<path>{HEALTH_PATHS})/?['"]"""),
        "has_package_json": (Path(root) / "package.json").is_file(),
        "has_yarn_lock": (Path(root) / "yarn.lock").is_file(),
        "has_rakefile": (Path(root) / "Rakefile").is_file(),
        "rake_db_migrate": _defines_db_migrate(root),
    }


def has_gem(gemfile: str, lock: str, name: str) -> bool:
    escaped = re.escape(name)
    return bool(re.search(_GEM.format(name=escaped), gemfile, re.M)
                or re.search(_LOCK_GEM.format(name=escaped), lock, re.M))


def locked_version(lock: str, name: str) -> str | None:
    match = re.search(_LOCK_GEM.format(name=re.escape(name)), lock, re.M)
    return match.group(1) if match else None


def ruby_version(root: Path, gemfile: str, lock: str) -> tuple[str | None, str | None]:
    """The Ruby Heroku's classic buildpack installed: Gemfile.lock RUBY VERSION, else the
    Gemfile `ruby` line (`bundle platform --ruby`), when that names one version."""
    locked = locked_ruby(lock)
    if locked:
        return locked, "Gemfile.lock"
    requirement, source = gemfile_ruby_requirement(root, gemfile)
    if requirement and len(requirement) == 1 and re.fullmatch(r"=?\s*\d+\.\d+(\.\d+)?",
                                                              requirement[0]):
        return requirement[0].lstrip("= "), source
    return None, None


def locked_ruby(lock: str) -> str | None:
    """Gemfile.lock's RUBY VERSION, the only place heroku/buildpacks-ruby reads a Ruby from
    (commons/src/gemfile_lock.rs: `RUBY VERSION` then `ruby X.Y.Z`, two or three spaces)."""
    locked = re.search(r"^RUBY VERSION\s*\n\s+ruby (\d+\.\d+\.\d+)\S*( \(jruby ([\d.]+)\))?",
                       lock, re.M)
    if not locked:
        return None
    # JRuby locks as `ruby 2.5.7p001 (jruby 9.2.13.0)`; the buildpack calls it 2.5.7-jruby-9.2.13.0
    return f"{locked.group(1)}-jruby-{locked.group(3)}" if locked.group(3) else locked.group(1)


def locked_bundler(lock: str) -> str | None:
    found = re.search(r"^BUNDLED WITH\s*\n\s+(\d+\.\d+\.\d+)", lock, re.M)
    return found.group(1) if found else None


_RUBY_LINE = re.compile(r"^\s*ruby[ \t(]+(?P<args>[^#\n]*)", re.M)
_RUBY_VERSION_FILE = re.compile(
    r"""File\.read\(.*\.ruby-version|file:\s*['"][^'"]*\.ruby-version""")


def gemfile_ruby_requirement(root: Path, gemfile: str) -> tuple[list[str] | None, str | None]:
    """The Gemfile's `ruby` requirement as Bundler reads it: `ruby "3.2.2"`, `ruby "~> 3.2"`,
    `ruby ">= 3.3.0", "< 4.1.0"`, `ruby file: ".ruby-version"` or `ruby File.read(...)`."""
    line = _RUBY_LINE.search(gemfile)
    if not line:
        return None, None
    args = line.group("args")
    if _RUBY_VERSION_FILE.search(args):
        pinned = first_line(read_text(root, ".ruby-version"))
        if not pinned:
            return None, None
        return [re.sub(r"^ruby-", "", pinned)], ".ruby-version"
    # Only the leading string arguments; `engine:`/`patchlevel:` options follow them.
    requirement, pos = [], 0
    string_arg = re.compile(r"""\s*,?\s*['"]([^'"]+)['"]""")
    while (match := string_arg.match(args, pos)):
        requirement.append(match.group(1).strip())
        pos = match.end()
    return (requirement or None), ("Gemfile" if requirement else None)


def satisfies(version: str, requirement: list[str]) -> bool:
    """Gem::Requirement semantics for the operators Gemfiles use (=, !=, >, <, >=, <=, ~>)."""
    have = version_tuple(version)
    for item in requirement:
        match = re.fullmatch(r"(~>|>=|<=|!=|=|>|<)?\s*(\d+(?:\.\d+)*)\S*", item.strip())
        if not match:
            return True  # a form not modelled: do not claim a mismatch
        op, want = match.group(1) or "=", version_tuple(match.group(2))
        width = max(len(have), len(want))
        a, b = have + (0,) * (width - len(have)), want + (0,) * (width - len(want))
        if op == "~>":
            # ~> 3.2 means >= 3.2, < 4; ~> 3.2.1 means >= 3.2.1, < 3.3
            prefix = want[:-1] if len(want) > 1 else want
            ok = a >= b and have[:len(prefix)] == prefix
        else:
            ok = {"=": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b,
                  "<=": a <= b}[op]
        if not ok:
            return False
    return True


def _defines_db_migrate(root: Path) -> bool:
    """The Rakefile (or lib/tasks) defines db:migrate, e.g. a Sequel app's own task."""
    texts = [read_text(root, "Rakefile") or ""]
    tasks = Path(root) / "lib" / "tasks"
    if tasks.is_dir():
        texts += [read_text(root, str(p.relative_to(root))) or ""
                  for p in sorted(tasks.glob("*.rake"))[:50]]
    return any(re.search(r"namespace\s*\(?\s*:db\b[\s\S]*?task\s*\(?\s*:migrate\b|"
                         r"sinatra/activerecord/rake|active_record/railties/databases", t)
               for t in texts)


def aptfile_packages(text: str | None) -> list[str]:
    """Package names (or .deb URLs, `:repo:` lines) heroku-buildpack-apt installed from Aptfile."""
    return [line.strip() for line in (text or "").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


_REDIS_ENV = re.compile(r"""ENV\s*(?:\[|\.fetch\(?)\s*['"]([A-Z0-9_]*REDIS[A-Z0-9_]*)['"]""")


def redis_env_vars(root: Path, max_files: int = 300) -> list[str]:
    """Names of environment variables holding Redis settings that the app's config reads."""
    root = Path(root)
    found: set[str] = set()
    files = [root / "config.ru"]
    for folder in ("config", "lib", "app/workers", "app/jobs"):
        base = root / folder
        if base.is_dir():
            files += sorted(p for p in base.rglob("*") if p.suffix in (".rb", ".yml", ".erb"))
    for path in files[:max_files]:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # optional source file; unreadable means nothing found
        found.update(_REDIS_ENV.findall(text))
    return sorted(found)


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    advice.build = ruby_build(ctx, facts, advice)
    default_web = ("bundle exec rackup config.ru -p ${PORT:-5000}"
                   if facts.get("has_config_ru") else None)
    advice.processes = _common.web_processes(ctx, default_web, "what Heroku's Ruby buildpack "
                                             "runs for a Rack app", advice)
    gems = facts.get("gems", [])
    proposal, why = None, "the database migrations"
    if "hanami" in gems and any(g in gems for g in ("hanami-model", "hanami-db", "rom-sql")):
        # Hanami 1 and 2 both migrate with `hanami db migrate` (guides.hanamirb.org, "DB")
        proposal, why = "bundle exec hanami db migrate", "Hanami's database migrations"
    elif facts.get("has_rakefile") and ("activerecord" in gems or facts.get("rake_db_migrate")):
        proposal = "bundle exec rake db:migrate"
    advice.release = _common.release_from(ctx, proposal, why)
    route = facts.get("health_route")
    advice.health_check = (_common.health_check(route[0], f"{route[1]} routes {route[0]}")
                           if route else _common.root_health_check())
    advice.config = _common.config_kinds(ctx, ("ruby", "node"), f"{ctx.fly_app}.fly.dev")
    runtime_config(ctx, facts, advice)
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    advice.notes.append(ipv6_note())
    return advice


def ruby_build(ctx: AppContext, facts: dict, advice: Advice,
               rails_version: tuple[int, ...] = ()) -> dict:
    """The build, with the Ruby and Bundler the CNB builder will really install checked.

    heroku/buildpacks-ruby (buildpacks/ruby/src/main.rs) reads the Ruby and Bundler versions
    only from Gemfile.lock, else installs its defaults (builders.json `cnb_default*`), where
    Heroku's classic buildpack also honoured the Gemfile's `ruby` line.
    """
    if ctx.user_dockerfile is not None:
        # The repo's own Dockerfile picks the Ruby (its base image); the builder does not apply.
        build = _common.buildpacks_build(ctx, "ruby", None, None, [])
        build["runtime"] = {"language": "ruby", "version": facts.get("ruby_version"),
                            "source": facts.get("ruby_version_source"), "supported": None}
        advice.notes.append("Ruby comes from your Dockerfile's base image, so the CNB builder's "
                            "Ruby versions do not apply")
        return build
    if "-jruby-" in (facts.get("ruby_version") or ""):
        # JRuby's versions are not MRI's: the MRI minimum does not apply (the buildpack adds a JDK)
        build = _common.buildpacks_build(ctx, "ruby", None, None, advice.notes)
        build["runtime"] = {"language": "ruby", "version": facts["ruby_version"],
                            "source": facts.get("ruby_version_source"), "supported": None}
        advice.notes.append(f"JRuby {facts['ruby_version']}: check that {build['builder']}'s Ruby "
                            "buildpack still offers it before deploying")
        return build
    build = _common.buildpacks_build(ctx, "ruby", facts.get("ruby_version"),
                                     facts.get("ruby_version_source"), advice.notes)
    if not facts.get("has_gemfile_lock", True):
        advice.manual_steps.append({
            "item": "Gemfile.lock is missing",
            "why": "Heroku's Ruby buildpacks, the CNB one included, stop without a Gemfile.lock",
            "how": "Run `bundle lock`, commit Gemfile.lock, and plan again"})
    if build["runtime"]["supported"] is False:
        return build  # the plan's manual step says to raise the pinned version
    cnb = _runtime.data()["runtimes"]["ruby"]
    locked = facts.get("locked_ruby")
    installed = locked or cnb["cnb_default"]
    requirement = facts.get("ruby_requirement")
    shown = ", ".join(requirement or [])
    unlocked = facts.get("has_gemfile_lock", True) and not locked  # a lock without RUBY VERSION
    if unlocked and requirement and not satisfies(installed, requirement):
        advice.manual_steps.append({
            "item": f"Ruby {shown} (from {facts.get('ruby_requirement_source')}) is not in "
                    "Gemfile.lock",
            "why": (f"Heroku's classic buildpack read the Gemfile's `ruby` line; {build['builder']}"
                    " reads only Gemfile.lock's RUBY VERSION and otherwise installs Ruby "
                    f"{installed}, which does not satisfy `ruby {shown}`, so `bundle install` "
                    "stops"),
            "how": ("With that Ruby active locally, run `bundle update --ruby` (it writes RUBY "
                    "VERSION into Gemfile.lock), commit Gemfile.lock, and plan again")})
    elif unlocked and not requirement and rails_version and rails_version < (6, 1):
        advice.manual_steps.append({
            "item": f"No Ruby pinned for Rails {'.'.join(map(str, rails_version))}",
            "why": (f"{build['builder']} installs Ruby {installed} when Gemfile.lock names none; "
                    "Rails before 6.1 does not run on Ruby 3 (Heroku ran this app on its older "
                    "default Ruby)"),
            "how": ("Upgrade to Rails 6.1 or later on a Ruby the builder offers and pin it "
                    "(`ruby \"3.x.y\"` in the Gemfile, then `bundle update --ruby`), or build "
                    "from your own Dockerfile on an official ruby:2.x image")})
    gems = facts.get("gems") or []
    if ("execjs" in gems and not facts.get("has_package_json") and not facts.get("has_yarn_lock")
            and not any(g in gems for g in JS_RUNTIME_GEMS)):
        # Classic buildpack: Node when the bundle has execjs (lib/language_pack/ruby.rb
        # add_node_js_binary); CNB: heroku/nodejs only with package.json or yarn.lock (main.rs).
        advice.manual_steps.append({
            "item": "Node.js for ExecJS (no package.json)",
            "why": ("The bundle has execjs (uglifier, terser, autoprefixer-rails...): Heroku's "
                    f"classic Ruby buildpack installed Node for it, {build['builder']} adds Node "
                    "only for a package.json or yarn.lock, so `rake assets:precompile` (and a boot "
                    "that loads execjs) finds no JavaScript runtime"),
            "how": ("Commit a minimal package.json (`{\"private\": true, \"engines\": {\"node\": "
                    "\"22.x\"}}`) so the build installs Node, or add the mini_racer gem")})
    packages = facts.get("aptfile_packages") or []
    if packages:
        # heroku-buildpack-apt is Cedar-only; its CNB successor heroku/debian-packages reads
        # project.toml, not Aptfile (heroku/buildpacks-deb-packages README).
        shown = ", ".join(packages[:6]) + (", ..." if len(packages) > 6 else "")
        advice.manual_steps.append({
            "item": f"Aptfile packages ({shown})",
            "why": ("Heroku's apt buildpack installed them from Aptfile; the CNB build never reads "
                    "Aptfile, so the image lacks them"),
            "how": ("List them under [com.heroku.buildpacks.debian-packages] install = [...] in a "
                    "project.toml (with [_] schema-version = \"0.2\") for the "
                    "heroku/debian-packages "
                    "buildpack, or build from a Dockerfile that apt-get installs them")})
    dotfile = re.sub(r"^ruby-", "", facts.get("ruby_version_file") or "")
    if (unlocked and not requirement and dotfile
            and version_tuple(dotfile) != version_tuple(installed)):
        advice.notes.append(f".ruby-version says {dotfile}, but neither Heroku's Ruby buildpacks "
                            f"nor {build['builder']} read it: the build installs Ruby {installed} "
                            "(pin it with `ruby file: \".ruby-version\"` and `bundle update --ruby`)")
    bundler = facts.get("bundler_version")
    if bundler and version_tuple(bundler) < (2,) and version_tuple(installed) >= (3, 2):
        # Bundler 1.x calls String#untaint, removed in Ruby 3.2 (NoMethodError; seen by
        # heroku/heroku-buildpack-ruby#1564).
        advice.manual_steps.append({
            "item": f"Bundler {bundler} (Gemfile.lock BUNDLED WITH) on Ruby {installed}",
            "why": ("The CNB Ruby buildpack installs the Bundler Gemfile.lock names; Bundler 1.x "
                    "fails on Ruby 3.2 and later (undefined method `untaint`)"),
            "how": "Run `bundle update --bundler`, commit Gemfile.lock, and plan again"})
    return build


# Config vars Redis add-ons set, other than Heroku Redis's REDIS_URL (Heroku Elements pages).
REDIS_ADDON_VARS = {"REDISCLOUD_URL": "rediscloud", "REDISTOGO_URL": "redistogo",
                    "OPENREDIS_URL": "openredis", "REDISGREEN_URL": "redisgreen",
                    "REDISLABS_URL": "redislabs"}


# Config vars Heroku's first Ruby buildpack set for the slug's layout (/app/bin,
# vendor/bundle/ruby/X/bin): heroku/heroku-buildpack-ruby@11771c53 default_config_vars.
SLUG_LAYOUT_VARS = ("PATH", "GEM_PATH")


def runtime_config(ctx: AppContext, facts: dict, advice: Advice) -> None:
    """Ruby's runtime-and-build config vars, and Redis URLs the app reads by another name."""
    for name in SLUG_LAYOUT_VARS:
        if name in ctx.config_var_names:
            # As a Fly secret it would replace the image's own PATH, so a Dockerfile CMD such
            # as `rails server` (in /usr/local/bundle/bin) is no longer found.
            advice.config[name] = ConfigVar(HEROKU_ONLY, "set by Heroku's Ruby buildpack for "
                                            "the slug's /app/vendor/bundle layout; the image sets "
                                            "its own")
    if "BUNDLE_WITHOUT" in advice.config and ctx.user_dockerfile is None:
        # The CNB buildpack's launch env defaults BUNDLE_WITHOUT to development:test
        # (buildpacks/ruby/src/layers/bundle_install_layer.rs, Scope::All); Bundler.setup at
        # boot then wants every other group installed. The app's value is needed at both times.
        del advice.config["BUNDLE_WITHOUT"]
        advice.manual_steps.append({
            "item": "BUNDLE_WITHOUT at build time too",
            "why": ("bundle install reads it while building and Bundler reads it again when the "
                    "app boots; herokufly copies it as a secret for the boot"),
            "how": ("Also set BUNDLE_WITHOUT under [build.args] in fly.toml with the value from "
                    "`heroku config:get BUNDLE_WITHOUT` (it is not a secret)")})
    names = set(ctx.config_var_names)
    queues = [g for g in ("sidekiq", "resque") if g in facts.get("gems", [])]
    read = set(facts.get("redis_env_vars") or [])
    for name in sorted(read):
        if name in REDIS_ADDON_VARS and name in read:
            advice.manual_steps.append({
                "item": f"Redis URL in {name}",
                "why": (f"The app reads {name}, which the {REDIS_ADDON_VARS[name]} add-on set on "
                        "Heroku; herokufly moves only Heroku Redis (to Upstash, as REDIS_URL)"),
                "how": (f"Create a Redis with `fly redis create` and `fly secrets set "
                        f"{name}=<its URL>` before the deploy stage (or keep the "
                        f"{REDIS_ADDON_VARS[name]} database and copy its URL)")})
    if "REDIS_PROVIDER" in names and queues:
        advice.notes.append("REDIS_PROVIDER is copied: Sidekiq reads the Redis URL from the "
                            "config var it names, so that var must be set on Fly too")
    has_redis_var = any("REDIS" in n and n != "REDIS_PROVIDER" for n in names)
    if queues and not has_redis_var:
        verb = "needs" if len(queues) == 1 else "need"
        advice.notes.append(f"{' and '.join(queues).capitalize()} {verb}"
                            " Redis, and no Redis add-on or URL is known: create one with "
                            "`fly redis create` and set REDIS_URL")


def ipv6_note() -> str:
    return (f"{_common.IPV6_PRIVATE}; Ruby's pg, redis and sidekiq clients resolve it without a "
            "setting. Bind the web server to 0.0.0.0 (or [::] to be reachable over the "
            "private network)")
