"""Python apps (Flask, FastAPI, ...) and the Python facts Django builds on.

Heroku's Python buildpack reads the version from runtime.txt (deprecated), .python-version,
or Pipfile.lock python_full_version (heroku/heroku-buildpack-python README). It runs
bin/pre_compile and bin/post_compile hooks; the Python CNB does not (buildpacks-python README
lists no hooks), so they become manual steps. requirements.txt may include others with
`-r file` / `--requirement file` (pip's requirements-file format).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import HEALTH_PATHS, find_health_route, first_line, read_text

NAME = "python"
_MANIFESTS = ("requirements.txt", "Pipfile", "pyproject.toml", "setup.py", "setup.cfg",
              "poetry.lock", "uv.lock", "Pipfile.lock")


def detect(root: Path) -> Detection | None:
    present = [m for m in _MANIFESTS if (Path(root) / m).is_file()]
    if not present:
        return None
    return Detection(NAME, present, python_facts(root))


def requirement_texts(root: Path, rel: str = "requirements.txt", seen: set | None = None) -> str:
    """requirements.txt with every `-r`/`-c` include inlined (cycles and missing files skipped)."""
    seen = seen if seen is not None else set()
    if rel in seen:
        return ""
    seen.add(rel)
    text = read_text(root, rel)
    if text is None:
        return ""
    parts = [text]
    base = PurePosixPath(rel).parent
    for match in re.finditer(r"^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)", text, re.M):
        included = str(base / match.group(1)) if str(base) != "." else match.group(1)
        parts.append(requirement_texts(root, included, seen))
    return "\n".join(parts)


def dependency_text(root: Path) -> str:
    texts = [requirement_texts(root)]
    for rel in ("Pipfile", "pyproject.toml", "setup.py", "setup.cfg", "poetry.lock", "uv.lock"):
        texts.append(read_text(root, rel) or "")
    return "\n".join(texts).lower()


def has_dependency(text: str, name: str) -> bool:
    return bool(re.search(rf"(^|[\s'\"\[,]){re.escape(name)}\s*([<>=!~;\[,'\"\s]|$)", text, re.M))


def python_facts(root: Path) -> dict:
    deps = dependency_text(root)
    version, source = None, None
    runtime = first_line(read_text(root, "runtime.txt"))
    if runtime:
        version, source = re.sub(r"^python-", "", runtime), "runtime.txt"
    else:
        pinned = first_line(read_text(root, ".python-version"))
        if pinned:
            version, source = pinned, ".python-version"
    hooks = [h for h in ("bin/pre_compile", "bin/post_compile") if (Path(root) / h).is_file()]
    return {
        "python_version": version,
        "python_version_source": source,
        "compile_hooks": hooks,
        "packages": sorted(p for p in ("django", "celery", "gunicorn", "uvicorn", "flask",
                                       "fastapi", "alembic", "flask-migrate", "psycopg2",
                                       "psycopg2-binary", "psycopg", "whitenoise", "rq",
                                       "django-heroku", "dj-database-url")
                           if has_dependency(deps, p)),
        "has_alembic_ini": (Path(root) / "alembic.ini").is_file(),
        # Flask/FastAPI style: @app.get("/health"), @bp.route("/healthz").
        "health_route": find_health_route(root, (".py",),
                                          rf"""@\w+\.(?:get|route|api_route)\(\s*['"](?P<path>{HEALTH_PATHS})/?['"]"""),
    }


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = python_base(detection, ctx)
    advice.processes = _common.web_processes(ctx, None, "", advice)
    proposal = None
    if facts.get("has_alembic_ini") or "alembic" in facts.get("packages", []):
        proposal = "alembic upgrade head"
    elif "flask-migrate" in facts.get("packages", []):
        proposal = "flask db upgrade"
    advice.release = _common.release_from(ctx, proposal, "the database migrations")
    route = facts.get("health_route")
    if route:
        advice.health_check = _common.health_check(route[0], f"{route[1]} routes {route[0]}")
    else:
        advice.health_check = _common.health_check("/", "the app's root; no health route found")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice


def python_base(detection: Detection, ctx: AppContext) -> Advice:
    """Build, hooks, config kinds and IPv6: what every Python app shares."""
    facts = detection.facts
    advice = Advice(build={})
    advice.build = _common.buildpacks_build(ctx, "python", facts.get("python_version"),
                                            facts.get("python_version_source"), advice.notes)
    if facts.get("python_version_source") == "runtime.txt":
        advice.notes.append("runtime.txt is deprecated by Heroku's Python buildpacks; "
                            "`.python-version` holds the same pin")
    for hook in facts.get("compile_hooks", []):
        advice.manual_steps.append({
            "item": f"{hook} hook",
            "why": "Heroku's classic Python buildpack ran it during the build; the Cloud Native "
                   "Buildpacks builder does not",
            "how": "Run its commands in a Dockerfile RUN step (switch to a Dockerfile build), or, "
                   "if they only touch the database, in the release command",
        })
    advice.config = _common.config_kinds(ctx, ("python",), f"{ctx.fly_app}.fly.dev")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; psycopg and redis-py resolve it without a "
                        "setting. Bind gunicorn/uvicorn to 0.0.0.0:$PORT (or [::]:$PORT to be "
                        "reachable over the private network)")
    return advice
