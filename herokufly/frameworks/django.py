"""Django apps. Detected by manage.py or a django dependency anywhere Heroku's Python
buildpack reads one (requirements.txt and its -r includes, Pipfile, pyproject.toml, setup.py).

Release: `python manage.py migrate --noinput` (Heroku's Django guide puts it in the Procfile
release phase). Celery workers keep their Procfile lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common, python
from herokufly.frameworks._files import find_health_route, read_text

NAME = "django"


def detect(root: Path) -> Detection | None:
    manage = read_text(root, "manage.py")
    deps = python.dependency_text(root) if any(
        (Path(root) / m).is_file() for m in python._MANIFESTS) else ""
    evidence = []
    if python.has_dependency(deps, "django"):
        evidence.append("django is a dependency")
    if manage is not None and "django" in manage.lower():
        evidence.append("manage.py")
    if not evidence:
        return None
    facts = python.python_facts(root)
    settings = re.search(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""", manage or "")
    facts["settings_module"] = settings.group(1) if settings else None
    facts["health_path"] = _health_path(root)
    return Detection(NAME, evidence, facts)


def _health_path(root: Path) -> str | None:
    """A health route the app declares in a urls.py (path("health/") ...), if any."""
    found = find_health_route(root, ("urls.py",),
                              r"""(?:path|re_path|url)\(\s*r?['"]\^?(?P<path>(?:health[\w-]*|healthz|ping|up)/?)\$?['"]""")
    return "/" + found[0] if found else None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = python.python_base(detection, ctx)
    advice.processes = _common.web_processes(ctx, None, "", advice)
    advice.release = _common.release_from(ctx, "python manage.py migrate --noinput",
                                          "Django migrations, run before each deploy")
    if facts.get("health_path"):
        advice.health_check = _common.health_check(facts["health_path"], "a health route in urls.py")
    else:
        advice.health_check = _common.health_check("/", "the app's root; no health route found "
                                                   "in urls.py")
    advice.notes.append(f"ALLOWED_HOSTS must include {ctx.fly_app}.fly.dev (and your domains); "
                        "with SECURE_SSL_REDIRECT, set SECURE_PROXY_SSL_HEADER = "
                        "('HTTP_X_FORWARDED_PROTO', 'https') as on Heroku. If the health check "
                        "gets 400, its Host is not allowed: answer the check path before "
                        "CommonMiddleware, or allow the Machine's address")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice
