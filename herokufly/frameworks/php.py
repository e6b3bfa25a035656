"""PHP apps (composer.json). Heroku's PHP buildpacks run `heroku-php-apache2` as web when the
Procfile has none, serving the repository root: heroku/buildpacks-php@46648198
buildpacks/php/src/main.rs registers `["heroku-php-apache2"]` as the default process, as the
classic buildpack did (devcenter php-support, "Default web process"). The CNB buildpack
detects on composer.json only (php_project.rs `detect`); the classic one also took a bare
index.php. Laravel migrates with `php artisan migrate --force`, Symfony with Doctrine
Migrations' `doctrine:migrations:migrate`.
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.base.errors import ConfigError
from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common, _runtime
from herokufly.frameworks._files import (HEALTH_PATHS, find_health_route, read_json, read_text,
                                         version_tuple)
from herokufly.frameworks._runtime import data as builders_data

NAME = "php"
# A boot script called through the app's Composer bin-dir (vendor/bin/, Symfony 2's bin/,
# `$(composer config bin-dir)/`). The classic buildpack copied itself into the vendor dir and
# symlinked its scripts there (heroku/heroku-buildpack-php@ff95c90e bin/compile, "Preparing
# runtime environment"); the CNB one installs them in a layer on PATH and makes no such
# link (heroku/buildpacks-php platform.rs `webservers_json`, bin-dir "bin" in its layer).
_BOOT_SCRIPT = re.compile(r"(?<![\w$-])(?:\$\(composer config (?:--no-plugins )?bin-dir\)|"
                          r"[\w.-]+(?:/[\w.-]+)*)/(heroku-php-(?:apache2|nginx))\b")
_ROUTE = r"""Route::(?:get|any|match)\(\s*(?:\[[^\]]*\],\s*)?['"](?P<path>""" + HEALTH_PATHS + \
    r""")['"]"""


def detect(root: Path) -> Detection | None:
    composer = read_json(root, "composer.json")
    if composer is None:
        return None
    require = composer.get("require") if isinstance(composer.get("require"), dict) else {}
    php = require.get("php") if isinstance(require.get("php"), str) else None
    laravel = "laravel/framework" in require or (Path(root) / "artisan").is_file()
    route = find_health_route(Path(root) / "routes", (".php",), _ROUTE) if laravel else None
    return Detection(NAME, ["composer.json"], {
        "php_version": php,
        "laravel": laravel,
        "symfony": "symfony/framework-bundle" in require or "symfony/symfony" in require,
        "doctrine_migrations": "doctrine/doctrine-migrations-bundle" in require,
        # Laravel 11+ routes /up from bootstrap/app.php (`health: '/up'`).
        "up_route": "health:" in (read_text(root, "bootstrap/app.php") or ""),
        "health_route": route[0] if route else None,
        "docroot": next((d for d in ("public", "web") if (Path(root) / d).is_dir()), None),
        "node_build": _node_build_script(root),
    })


def _node_build_script(root: Path) -> str | None:
    """The package.json script Heroku's Node.js buildpack would run to build assets."""
    try:
        package = read_json(root, "package.json") or {}
    except ConfigError:
        return None  # the node module names a broken package.json; here it is optional
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    return next((s for s in ("heroku-postbuild", "build") if isinstance(scripts.get(s), str)),
                None)


def _upper_bounds(term: str) -> tuple[tuple[int, ...], bool] | None:
    """(version, inclusive) that `term` (one Composer constraint) stays below; None: no bound."""
    term = term.strip().lstrip("v")
    if not term or term == "*" or term.startswith(">"):
        return None
    if term.startswith("<="):
        return version_tuple(term[2:]), True
    if term.startswith("<"):
        return version_tuple(term[1:]), False
    parts = version_tuple(term)
    if not parts:
        return None
    if term.startswith("^"):
        return (parts[0] + 1,), False
    if term.startswith("~"):
        head = parts[:-1] if len(parts) > 1 else parts
        return head[:-1] + (head[-1] + 1,), False
    if "*" in term or term.endswith(".x"):
        return parts[:-1] + (parts[-1] + 1,), False
    return parts, True  # an exact version


def admits_at_least(constraint: str, minimum: str) -> bool:
    """Whether a Composer version constraint allows some version >= `minimum`
    (getcomposer.org/doc/articles/versions.md: `||`/`|` or, space/comma and, `a - b`)."""
    floor = version_tuple(minimum)
    for alternative in re.split(r"\s*\|\|?\s*", constraint.strip()):
        alternative = re.sub(r"(\S+)\s+-\s+", r">=\1 <=", alternative)  # "7.1 - 7.4"
        alternative = re.sub(r"([<>=^~]=?)\s+", r"\1", alternative)
        bounds = [b for b in map(_upper_bounds, re.split(r"\s*,\s*|\s+", alternative)) if b]
        if not bounds:
            return True
        version, inclusive = min(bounds)
        if version > floor or (inclusive and version >= floor):
            return True
    return False


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    constraint = facts.get("php_version")
    stack = _common.builder_for_stack(ctx.stack)[1]
    minimum = builders_data()["runtimes"]["php"]["min"].get(stack)
    # A range such as ">=5.6" or "^7.4|^8.0" resolves to a PHP the builder has; only one that
    # excludes every such version is checked (and warned about).
    checked = constraint if constraint and minimum and not admits_at_least(
        constraint, minimum) else None
    advice.build = _common.buildpacks_build(ctx, "php", checked,
                                            "composer.json" if constraint else None, advice.notes)
    advice.build["runtime"]["version"] = constraint
    several = _runtime.carry_language_buildpacks(ctx.buildpacks, advice)
    if not several and facts.get("node_build") and not ctx.buildpacks:
        advice.manual_steps.append({
            "item": "Node.js asset build",
            "why": f"package.json has a `{facts['node_build']}` script, but the builder builds "
                   "a composer.json app with PHP alone; Heroku ran it only if the app also had "
                   "the heroku/nodejs buildpack",
            "how": "If `heroku buildpacks` lists heroku/nodejs, add `buildpacks = "
                   "[\"heroku/nodejs\", \"heroku/php\", \"heroku/procfile\"]` under [build] in "
                   "fly.toml (or plan online, which reads the app's buildpacks)"})
    advice.processes = _common.web_processes(ctx, "heroku-php-apache2",
                                             "what Heroku's PHP buildpack runs: Apache serving "
                                             "the repository root", advice)
    for kind, line in list(advice.processes.items()):
        bare = _BOOT_SCRIPT.sub(r"\1", line)
        if bare != line:
            advice.processes[kind] = bare
            advice.replaced[kind] = (
                f"Heroku ran `{line}` through a link its classic PHP buildpack made in the "
                "Composer bin-dir; the CNB builder's PHP buildpack puts the same boot script on "
                f"PATH without that link, so the Machine runs `{bare}`")
            advice.notes.append(f"Process '{kind}': {advice.replaced[kind]}")
    docroot = facts.get("docroot")
    if "web" not in ctx.procfile and docroot and (facts.get("laravel") or facts.get("symfony")):
        advice.manual_steps.append({
            "item": f"Serve {docroot}/",
            "why": f"Without a Procfile web line Heroku (and the builder) serve the repository "
                   f"root with Apache, not {docroot}/, so the app's front controller is not "
                   "the document root",
            "how": f"Add `web: heroku-php-apache2 {docroot}/` to the Procfile, then plan again"})
    proposal, why = None, ""
    if facts.get("laravel"):
        proposal, why = "php artisan migrate --force", "Laravel migrations"
    elif facts.get("symfony") and facts.get("doctrine_migrations"):
        proposal = "php bin/console doctrine:migrations:migrate --no-interaction"
        why = "Doctrine Migrations"
    advice.release = _common.release_from(ctx, proposal, why)
    if facts.get("up_route"):
        advice.health_check = _common.health_check("/up", "bootstrap/app.php routes /up")
    elif facts.get("health_route"):
        advice.health_check = _common.health_check(facts["health_route"],
                                                   "a route in routes/ serves it")
    else:
        advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, ("php",), f"{ctx.fly_app}.fly.dev")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; PHP's pdo_pgsql and phpredis resolve it "
                        "without a setting")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice
