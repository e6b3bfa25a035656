"""Django apps. Detected by manage.py or a django dependency anywhere Heroku's Python
buildpack reads one (requirements.txt and its -r includes, Pipfile, pyproject.toml, setup.py).

Release: `python manage.py migrate --noinput` (Heroku's Django guide puts it in the Procfile
release phase), with manage.py where it is: Heroku's classic Python buildpack finds it up to three
directories deep (heroku-buildpack-python bin/steps/collectstatic, `find . -maxdepth 3`).
Celery workers keep their Procfile lines.

collectstatic at build: the classic buildpack ran it with the app's config vars and honoured
DISABLE_COLLECTSTATIC; the Python CNB (buildpacks-python src/django.rs) runs it only for a
manage.py at the root, always, and with no config vars at all.
"""

from __future__ import annotations

import os
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
    manage_path = "manage.py" if manage is not None else _find_manage_py(root)
    if manage is None and manage_path:
        manage = read_text(root, manage_path)
    settings = re.search(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""", manage or "")
    facts["settings_module"] = settings.group(1) if settings else None
    facts["manage_py"] = manage_path
    facts["settings_required_env"] = _settings_required_env(root, manage_path)
    facts["health_path"] = _health_path(root)
    facts["admin_login_path"] = _admin_login_if_no_root(root, manage_path)
    return Detection(NAME, evidence, facts)


_SKIP = {"node_modules", "venv", ".venv", "site-packages", "static", "staticfiles", "media",
         "templates", "tests", "migrations"}
# Settings lines that raise when the variable is missing: os.environ["X"], env("X") with no default.
_REQUIRED_ENV = re.compile(r"""os\.environ\[\s*['"](\w+)['"]\s*\]|\benv(?:\.\w+)?\(\s*['"](\w+)['"]\s*\)""")


def _walk(root: Path, depth: int):
    """(relative dir, file names) up to `depth` directories below the root, shallowest first."""
    root = Path(root)
    for directory, subdirs, files in os.walk(root):
        rel = Path(directory).relative_to(root)
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP and not d.startswith(".")
                            and len(rel.parts) < depth)
        yield rel, sorted(files)


def _find_manage_py(root: Path) -> str | None:
    """The shallowest manage.py within three levels, as Heroku's classic buildpack finds it."""
    found = [rel / "manage.py" for rel, files in _walk(root, 2) if "manage.py" in files]
    found.sort(key=lambda p: (len(p.parts), str(p)))
    return found[0].as_posix() if found else None


def _settings_required_env(root: Path, manage_path: str | None) -> list[str]:
    """Config vars the settings read with no default at top level: importing them fails
    without the var."""
    if not manage_path:
        return []
    base = Path(root) / Path(manage_path).parent
    names: set[str] = set()
    for rel, files in _walk(base, 3):
        in_settings = "settings" in rel.parts
        for name in files:
            if not name.endswith(".py") or not (in_settings or name.startswith("settings")):
                continue
            try:
                text = (base / rel / name).read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # an optional source file: unreadable means nothing found
            for line in text.splitlines():
                if line[:1].isspace():
                    continue  # inside an if/def: may never run at import
                for match in _REQUIRED_ENV.finditer(line):
                    names.add(match.group(1) or match.group(2))
    return sorted(names)


_ADMIN_ROUTE = re.compile(r"""(?:path|re_path|url)\(\s*r?['"]\^?(?P<prefix>[\w/-]*)['"]\s*,\s*"""
                          r"""(?:include\(\s*)?admin\.site\.urls""")
# path(""...), re_path(r"^$"...), url(r'^', include(...)): something answers at /.
_ROOT_ROUTE = re.compile(r"""(?:path|re_path|url)\(\s*r?(?:''|""|['"]\^\$?['"])""")


def _admin_login_if_no_root(root: Path, manage_path: str | None) -> str | None:
    """The admin login page (GET answers 200) when the root URLconf (the urls.py that mounts
    the admin) routes nothing at /, where Django answers 404 and Fly's check would fail."""
    if not manage_path:
        return None
    base = Path(root) / Path(manage_path).parent
    for rel, files in _walk(base, 2):
        if "urls.py" not in files:
            continue
        try:
            text = (base / rel / "urls.py").read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # an optional source file: unreadable means nothing found
        text = re.sub(r"(\"\"\"|\'\'\')[\s\S]*?\1", "", text)  # docstrings show example routes
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        admin = _ADMIN_ROUTE.search(code)
        if admin is None:
            continue
        if _ROOT_ROUTE.search(code):
            return None
        prefix = admin.group("prefix").strip("/")
        return f"/{prefix}/login/" if prefix else None
    return None


def _health_path(root: Path) -> str | None:
    """A health route the app declares in a urls.py (path("health/") ...), if any."""
    found = find_health_route(root, ("urls.py",),
                              r"""(?:path|re_path|url)\(\s*r?['"]\^?(?P<path>(?:health[\w-]*|healthz|ping|up)/?)\$?['"]""")
    return "/" + found[0] if found else None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = python.python_base(detection, ctx)
    advice.processes = _common.web_processes(ctx, None, "", advice)
    manage = facts.get("manage_py") or "manage.py"
    advice.release = _common.release_from(ctx, f"python {manage} migrate --noinput",
                                          "Django migrations, run before each deploy")
    if ctx.user_dockerfile is None:
        advice.manual_steps.extend(_collectstatic_steps(facts, ctx))
    if facts.get("health_path"):
        advice.health_check = _common.health_check(facts["health_path"], "a health route in urls.py")
    elif facts.get("admin_login_path"):
        advice.health_check = _common.health_check(
            facts["admin_login_path"], "the root URLconf routes nothing at / (Django answers "
            "404 there); the admin login page answers GET with 200")
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


def _collectstatic_steps(facts: dict, ctx: AppContext) -> list[dict]:
    """Where the builder's collectstatic differs from the one Heroku ran."""
    manage = facts.get("manage_py")
    disabled = "DISABLE_COLLECTSTATIC" in ctx.config_var_names
    if not manage:
        return []
    if manage != "manage.py":
        if disabled:
            return []
        return [{
            "item": f"collectstatic ({manage})",
            "why": f"Heroku's classic buildpack ran `python {manage} collectstatic` while "
                   "building; the Cloud Native Buildpack runs it only for a manage.py at the "
                   "root, so the image would have no collected static files",
            "how": f"Add a root symlink (`ln -s {manage} manage.py`; the buildpack follows it) "
                   "or build with a Dockerfile that runs collectstatic",
        }]
    required = facts.get("settings_required_env") or []
    why = ("the builder runs `python manage.py collectstatic` with none of the app's config "
           "vars")
    settings_var = "DJANGO_SETTINGS_MODULE" in ctx.config_var_names
    if disabled:
        why += "; it ignores DISABLE_COLLECTSTATIC, which Heroku honoured"
    elif not required and not settings_var:
        return []
    if required:
        why += f", and the settings read {', '.join(required)} with no default, so the build fails"
    if settings_var:
        why += (f"; it uses manage.py's default settings module "
                f"({facts.get('settings_module') or 'unknown'}), not the DJANGO_SETTINGS_MODULE "
                "config var")
    return [{
        "item": "collectstatic during the build",
        "why": why,
        "how": "Make `python manage.py collectstatic --noinput` work with no config vars set "
               "(defaults for the settings it reads; manage.py defaulting to the production "
               "settings module), or build with a Dockerfile that runs it with placeholder values",
    }]
