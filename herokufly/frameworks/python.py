"""Python apps (Flask, FastAPI, ...) and the Python facts Django builds on.

Heroku's Python buildpack reads the version from runtime.txt (deprecated), .python-version,
or Pipfile.lock python_full_version (heroku/heroku-buildpack-python README). It runs
bin/pre_compile and bin/post_compile hooks; the Python CNB does not (buildpacks-python README
lists no hooks), so they become manual steps. requirements.txt may include others with
`-r file` / `--requirement file` (pip's requirements-file format).

What the Python CNB (heroku/buildpacks-python @f81d0dc) refuses, each a manual step here: a
runtime.txt (src/python_version.rs `RuntimeTxtNotSupported`), Python outside 3.10-3.14, uv
without .python-version, and anything but exactly one of requirements.txt, poetry.lock, uv.lock
(src/package_manager.rs). It ignores DISABLE_COLLECTSTATIC (src/django.rs).
"""

from __future__ import annotations

import codecs
import re
import shlex
from pathlib import Path, PurePosixPath

from herokufly.base.errors import ConfigError
from herokufly.frameworks import HEROKU_ONLY, Advice, AppContext, ConfigVar, Detection
from herokufly.frameworks import _classic_scripts, _common, _runtime, node
from herokufly.frameworks._files import (HEALTH_PATHS, find_health_route, first_line, read_json,
                                         read_text, version_tuple)

NAME = "python"
_MANIFESTS = ("requirements.txt", "Pipfile", "pyproject.toml", "setup.py", "setup.cfg",
              "poetry.lock", "uv.lock", "Pipfile.lock")
# The CNB installs from exactly one of these (buildpacks-python src/package_manager.rs).
_CNB_PACKAGE_FILES = ("requirements.txt", "poetry.lock", "uv.lock")


def detect(root: Path) -> Detection | None:
    present = [m for m in _MANIFESTS if (Path(root) / m).is_file()]
    if not present:
        return None
    return Detection(NAME, present, python_facts(root))


# pip decodes requirements files by their BOM first (pip/_internal/utils/encoding.py
# auto_decode), so `pip freeze > requirements.txt` in Windows PowerShell (UTF-16 LE) installs.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _read_requirements(root: Path, rel: str) -> str | None:
    path = Path(root) / rel
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError:
        head = b""  # missing or unreadable: read_text below says which
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            try:
                return path.read_bytes().decode(encoding)
            except (UnicodeDecodeError, OSError):
                break
    return read_text(root, rel)  # UTF-8, or one ConfigError line naming the file


def requirement_texts(root: Path, rel: str = "requirements.txt", seen: set | None = None) -> str:
    """requirements.txt with every `-r`/`-c` include inlined (cycles and missing files skipped)."""
    seen = seen if seen is not None else set()
    if rel in seen:
        return ""
    seen.add(rel)
    text = _read_requirements(root, rel)
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


def _pipfile_lock_python(root: Path) -> str | None:
    """The version Heroku's classic buildpack took from Pipfile.lock (`_meta.requires`
    python_full_version, else python_version); the CNB ignores it."""
    try:
        lock = read_json(root, "Pipfile.lock")
    except ConfigError:
        return None  # an unreadable lock pins nothing here; the build reports it
    meta = (lock or {}).get("_meta")
    requires = meta.get("requires") if isinstance(meta, dict) else None
    if not isinstance(requires, dict):
        return None
    version = requires.get("python_full_version") or requires.get("python_version")
    return version if isinstance(version, str) else None


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
        else:
            version = _pipfile_lock_python(root)
            source = "Pipfile.lock" if version else None
    hooks = [h for h in ("bin/pre_compile", "bin/post_compile") if (Path(root) / h).is_file()]
    # The `flask` command finds the app by itself only in app.py or wsgi.py (Flask's cli.py
    # locate_app/find_best_app); anything else needs FLASK_APP or --app.
    flask_default_app = any((Path(root) / f).is_file() for f in ("app.py", "wsgi.py"))
    return {
        "python_version": version,
        "python_version_source": source,
        "has_runtime_txt": (Path(root) / "runtime.txt").is_file(),
        "has_python_version_file": (Path(root) / ".python-version").is_file(),
        "package_files": [f for f in _CNB_PACKAGE_FILES if (Path(root) / f).is_file()],
        "compile_hooks": hooks,
        "bin_files": _classic_scripts.bin_files(root),
        "aptfile_step": _classic_scripts.aptfile_step(read_text(root, "Aptfile"),
                                                      read_text(root, "project.toml")),
        "node_lockfile": any((Path(root) / f).is_file() for f in node.LOCKFILES),
        "node_start_script": _has_start_script(root),
        "build_sees_config_vars": _runtime.build_sees_config_vars(read_text(root, "project.toml")),
        "flask_default_app": flask_default_app,
        "packages": sorted(p for p in ("django", "celery", "gunicorn", "uvicorn", "flask",
                                       "fastapi", "alembic", "flask-migrate", "psycopg2",
                                       "psycopg2-binary", "psycopg", "whitenoise", "rq",
                                       "django-heroku", "dj-database-url")
                           if has_dependency(deps, p)),
        "has_alembic_ini": (Path(root) / "alembic.ini").is_file(),
        # Flask/FastAPI style: @app.get("/health"), @bp.route("/healthz").
        "health_route": find_health_route(root, (".py",),
                                          rf"""@\w+\.(?:get|route|api_route)\(\s*['"](?P<path>{HEALTH_PATHS})/?['"]"""),
        # FastAPI serves /docs unless docs_url=None; used when nothing routes / (404 there).
        "root_route": find_health_route(root, (".py",),
                                        r"""@\w+\.(?:get|route|api_route)\(\s*['"](?P<path>/)['"]""")
        is not None,
        "fastapi_docs_off": find_health_route(root, (".py",),
                                              r"""FastAPI\([^)]*docs_url\s*=\s*(?P<path>None)""")
        is not None,
    }


def _has_start_script(root: Path) -> bool:
    try:
        package = read_json(root, "package.json")
    except ConfigError:
        return False  # the Node.js module names the broken file
    scripts = (package or {}).get("scripts")
    return isinstance(scripts, dict) and isinstance(scripts.get("start"), str)


def _classic_node_web(facts: dict, ctx: AppContext, advice: Advice) -> None:
    """No buildpack set and no Procfile process: Heroku's classic detection tried Node.js before
    Python (Dev Center "Buildpacks": officially supported buildpacks, detected in the order
    Ruby, Node.js, Clojure, Python, ...), so it built a repo with a package.json `start` as
    Node.js and ran `npm start` (heroku-buildpack-nodejs default web). The CNB builder tries
    Python first (builder-24/builder.toml order), so the plan names the Node.js buildpack.
    Procfile lines that run Python say the app had the Python buildpack set: left alone."""
    if (advice.processes or ctx.buildpacks or ctx.user_dockerfile is not None
            or not facts.get("node_start_script")):
        return
    advice.processes["web"] = "npm start"
    advice.build["buildpacks"] = ["heroku/nodejs"]
    if not facts.get("node_lockfile", True):
        advice.manual_steps.append(dict(node.LOCKFILE_STEP))
    advice.notes.append("No buildpack set and no Procfile: Heroku's classic detection tries "
                        "Node.js before Python, so it built this repo as Node.js and ran `npm "
                        "start`; fly.toml lists heroku/nodejs so the builder does the same (the "
                        "requirements.txt is not installed, as on Heroku)")


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = python_base(detection, ctx)
    advice.processes = _common.web_processes(ctx, None, "", advice)
    _classic_node_web(facts, ctx, advice)
    proposal = None
    if facts.get("has_alembic_ini") or "alembic" in facts.get("packages", []):
        proposal = "alembic upgrade head"
    elif "flask-migrate" in facts.get("packages", []):
        proposal = _flask_command(facts, ctx, "db upgrade")
    advice.release = _common.release_from(ctx, proposal, "the database migrations")
    route = facts.get("health_route")
    if route:
        advice.health_check = _common.health_check(route[0], f"{route[1]} routes {route[0]}")
    elif ("fastapi" in facts.get("packages", []) and not facts.get("root_route")
          and not facts.get("fastapi_docs_off")):
        advice.health_check = _common.health_check(
            "/docs", "no route for / or a health path found; FastAPI serves its docs page at "
            "/docs")
    else:
        advice.health_check = _common.health_check("/", "the app's root; no health route found")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice


def _flask_command(facts: dict, ctx: AppContext, args: str) -> str:
    """`flask <args>`, told where the app is when Heroku's config or Flask's defaults do not."""
    if facts.get("flask_default_app") or "FLASK_APP" in ctx.config_var_names:
        return f"flask {args}"
    web = ctx.procfile.get("web", "")
    found = re.search(r"\b(?:gunicorn|waitress-serve|uwsgi)\b.*?\s(?:--call\s+)?([A-Za-z_][\w.]*):"
                      r"([A-Za-z_]\w*(?:\(\))?)", web)
    if not found:
        return f"flask {args}"
    target = found.group(1) if found.group(2) == "app" else f"{found.group(1)}:{found.group(2)}"
    return f"FLASK_APP={shlex.quote(target)} flask {args}"


def python_base(detection: Detection, ctx: AppContext) -> Advice:
    """Build, hooks, config kinds and IPv6: what every Python app shares."""
    facts = detection.facts
    advice = Advice(build={})
    if node.builds_own_image(ctx):
        # Its base image picks the Python (simbapay-backend: python:3.9-alpine beside a
        # Pipfile.lock pinning 3.9); the builder's range does not apply.
        advice.build = _common.buildpacks_build(ctx, "python", None, None, [])
        advice.build["runtime"] = {"language": "python", "version": facts.get("python_version"),
                                   "source": facts.get("python_version_source"),
                                   "supported": None}
        advice.notes.append("Python comes from your Dockerfile's base image, so the CNB "
                            "builder's Python versions do not apply")
    else:
        advice.build = _common.buildpacks_build(ctx, "python", facts.get("python_version"),
                                                facts.get("python_version_source"), advice.notes)
    if ctx.user_dockerfile is None:
        _builder_steps(facts, ctx, advice)
    elif facts.get("python_version_source") == "runtime.txt":
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
    if facts.get("build_sees_config_vars"):
        advice.manual_steps.append(dict(_runtime.BUILD_CONFIG_VARS_STEP))
    if ctx.user_dockerfile is None and "DISABLE_COLLECTSTATIC" in ctx.config_var_names:
        advice.config["DISABLE_COLLECTSTATIC"] = ConfigVar(
            HEROKU_ONLY, "the Python Cloud Native Buildpack ignores it: it runs collectstatic "
            "whenever Django is installed and manage.py is at the root")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; psycopg and redis-py resolve it without a "
                        "setting. Bind gunicorn/uvicorn to 0.0.0.0:$PORT (or [::]:$PORT to be "
                        "reachable over the private network)")
    return advice


def _step(item: str, why: str, how: str) -> dict:
    return {"item": item, "why": why, "how": how}


def _builder_steps(facts: dict, ctx: AppContext, advice: Advice) -> None:
    """Manual steps for a build with the CNB builder: what it refuses or lacks."""
    advice.manual_steps.extend(cnb_refusals(facts, ctx))
    several = _runtime.carry_language_buildpacks(ctx.buildpacks, advice)
    if several:
        if "heroku/nodejs" in several and not facts.get("node_lockfile", True):
            advice.manual_steps.append(dict(node.LOCKFILE_STEP))
    scripts = _classic_scripts.missing_scripts_step(ctx.procfile, facts.get("bin_files", []))
    if scripts:
        advice.manual_steps.append(scripts)
    if facts.get("aptfile_step"):
        advice.manual_steps.append(dict(facts["aptfile_step"]))


def cnb_refusals(facts: dict, ctx: AppContext) -> list[dict]:
    """What stops the Python CNB from building this repo at all, each with its fix."""
    steps = []
    version = facts.get("python_version")
    wanted = version_tuple(version)[:2]
    oldest = _runtime.data()["runtimes"]["python"]["min"].get(ctx.stack or "", "3.10")
    newest = _runtime.data()["runtimes"]["python"].get("max", "3.14")
    offered = len(wanted) == 2 and version_tuple(oldest) <= wanted <= version_tuple(newest)
    suggest = f"{wanted[0]}.{wanted[1]}" if offered else newest
    pin = f"add a `.python-version` file holding `{suggest}`" + (
        "" if offered or not wanted else
        f" (the builder installs Python {oldest} to {newest}; test the app on it)")
    if facts.get("has_runtime_txt"):
        steps.append(_step(
            f"runtime.txt (python-{version})" if version else "runtime.txt",
            "Heroku's Python Cloud Native Buildpack refuses to build an app that has a "
            "runtime.txt (its classic buildpack read the version from it)",
            f"Delete runtime.txt and {pin}"))
    elif facts.get("python_version_source") == "Pipfile.lock":
        steps.append(_step(
            f"python {version} (from Pipfile.lock)",
            "the Python Cloud Native Buildpack reads the version only from .python-version and "
            f"would install its default, Python {newest}",
            pin[0].upper() + pin[1:]))
    elif len(wanted) == 2 and wanted > version_tuple(newest):
        steps.append(_step(
            f"python {version} (from {facts.get('python_version_source')})",
            f"the builder installs Python {oldest} to {newest}, nothing newer",
            f"Pin Python {newest} in .python-version, or build with a Dockerfile"))
    files = facts.get("package_files", [])
    if not files:
        steps.append(_step(
            "Python dependencies file",
            "the Python Cloud Native Buildpack installs from requirements.txt, poetry.lock or "
            "uv.lock and fails without one (Heroku's classic buildpack also took Pipfile.lock "
            "or setup.py)",
            "Commit a requirements.txt (`pipenv requirements > requirements.txt`, or "
            "`pip freeze`), or the lock file of Poetry or uv"))
    elif len(files) > 1:
        steps.append(_step(
            "Python dependencies files " + ", ".join(files),
            "the Python Cloud Native Buildpack fails when more than one package manager file "
            "is present",
            "Keep the one Heroku installed from and delete (or .gitignore) the others"))
    if "uv.lock" in files and not facts.get("has_python_version_file"):
        steps.append(_step(
            "uv without .python-version",
            "the Python Cloud Native Buildpack requires .python-version for uv projects",
            f"Add a `.python-version` file holding the version the app runs on (e.g. {suggest})"))
    return steps
