"""PHP apps (composer.json). Heroku's PHP buildpack runs `heroku-php-apache2` as web when the
Procfile has none (devcenter php-support, "Default web process"); Laravel migrates with
`php artisan migrate --force`.
"""

from __future__ import annotations

from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import read_json, read_text

NAME = "php"


def detect(root: Path) -> Detection | None:
    composer = read_json(root, "composer.json")
    if composer is None:
        return None
    require = composer.get("require") if isinstance(composer.get("require"), dict) else {}
    php = require.get("php") if isinstance(require.get("php"), str) else None
    return Detection(NAME, ["composer.json"], {
        "php_version": php,
        "laravel": "laravel/framework" in require or (Path(root) / "artisan").is_file(),
        "symfony": "symfony/framework-bundle" in require,
        # Laravel 11+ routes /up from bootstrap/app.php (`health: '/up'`).
        "up_route": "health:" in (read_text(root, "bootstrap/app.php") or ""),
    })


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    advice.build = _common.buildpacks_build(ctx, "php", facts.get("php_version"),
                                            "composer.json" if facts.get("php_version") else None,
                                            advice.notes)
    docroot = " public/" if facts.get("laravel") or facts.get("symfony") else ""
    advice.processes = _common.web_processes(ctx, f"heroku-php-apache2{docroot}",
                                             "what Heroku's PHP buildpack runs", advice)
    proposal = "php artisan migrate --force" if facts.get("laravel") else None
    advice.release = _common.release_from(ctx, proposal, "Laravel migrations")
    if facts.get("up_route"):
        advice.health_check = _common.health_check("/up", "bootstrap/app.php routes /up")
    else:
        advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, ("php",), f"{ctx.fly_app}.fly.dev")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; PHP's pdo_pgsql and phpredis resolve it "
                        "without a setting")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice
