"""Ruby apps without Rails (Rack, Sinatra, Hanami...); also the Ruby facts Rails builds on.

Heroku's Ruby buildpack runs a Rack app with no Procfile web as
`bundle exec rackup config.ru -p ${PORT:-5000}` (devcenter: ruby-support-reference, "Rack").
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import first_line, read_text

NAME = "ruby"
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
    return {
        "ruby_version": version,
        "ruby_version_source": source,
        "gems": sorted(g for g in ("sidekiq", "resque", "good_job", "delayed_job", "puma",
                                   "unicorn", "pg", "mysql2", "activerecord", "sequel",
                                   "sinatra", "rack", "hanami", "redis", "jsbundling-rails",
                                   "webpacker", "cssbundling-rails")
                       if has_gem(gemfile, lock, g)),
        "has_config_ru": (Path(root) / "config.ru").is_file(),
        "has_package_json": (Path(root) / "package.json").is_file(),
        "has_rakefile": (Path(root) / "Rakefile").is_file(),
    }


def has_gem(gemfile: str, lock: str, name: str) -> bool:
    escaped = re.escape(name)
    return bool(re.search(_GEM.format(name=escaped), gemfile, re.M)
                or re.search(_LOCK_GEM.format(name=escaped), lock, re.M))


def locked_version(lock: str, name: str) -> str | None:
    match = re.search(_LOCK_GEM.format(name=re.escape(name)), lock, re.M)
    return match.group(1) if match else None


def ruby_version(root: Path, gemfile: str, lock: str) -> tuple[str | None, str | None]:
    """The Ruby Heroku installs: Gemfile.lock RUBY VERSION, else the Gemfile `ruby` line."""
    locked = re.search(r"^RUBY VERSION\s*\n\s+ruby (\d+\.\d+\.\d+)", lock, re.M)
    if locked:
        return locked.group(1), "Gemfile.lock"
    line = re.search(r"""^\s*ruby\s+['"](\d+\.\d+(?:\.\d+)?)""", gemfile, re.M)
    if line:
        return line.group(1), "Gemfile"
    if re.search(r"^\s*ruby\s+file:", gemfile, re.M):
        pinned = first_line(read_text(root, ".ruby-version"))
        if pinned:
            return re.sub(r"^ruby-", "", pinned), ".ruby-version"
    return None, None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    advice.build = _common.buildpacks_build(ctx, "ruby", facts.get("ruby_version"),
                                            facts.get("ruby_version_source"), advice.notes)
    default_web = ("bundle exec rackup config.ru -p ${PORT:-5000}"
                   if facts.get("has_config_ru") else None)
    advice.processes = _common.web_processes(ctx, default_web, "what Heroku's Ruby buildpack "
                                             "runs for a Rack app", advice)
    proposal = "bundle exec rake db:migrate" if (
        facts.get("has_rakefile") and "activerecord" in facts.get("gems", [])) else None
    advice.release = _common.release_from(ctx, proposal, "the database migrations")
    advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, ("ruby", "node"), f"{ctx.fly_app}.fly.dev")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    advice.notes.append(ipv6_note())
    return advice


def ipv6_note() -> str:
    return (f"{_common.IPV6_PRIVATE}; Ruby's pg, redis and sidekiq clients resolve it without a "
            "setting. Bind the web server to 0.0.0.0 (or [::] to be reachable over the "
            "private network)")
