"""Read what the user's repository says about the app: Procfile, app.json, mix.exs, ...

Only reads; never writes. A malformed file raises ConfigError naming the file
and line, so the user can fix it before anything is planned or written.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomlkit
import tomlkit.exceptions
import yaml

from herokufly import frameworks
from herokufly.base import machine
from herokufly.frameworks import _files
from herokufly.base.errors import ConfigError
from herokufly.base.inventory import Repo

# Heroku's Procfile grammar: `<process type>: <command>`, type is alphanumeric plus _ and -.
_PROCFILE_LINE = re.compile(r"^(?P<type>[A-Za-z0-9_-]+):\s*(?P<command>.*\S)\s*$")
_ADDON_PLAN = re.compile(r"[a-z0-9][a-z0-9-]*(:[\w.-]+)?")  # as plan.addons_from_app_json
_MIX_APP = re.compile(r"\bapp:\s*:(?P<app>[a-z_][a-zA-Z0-9_]*)")
_MIX_MODULE = re.compile(r"defmodule\s+(?P<module>[A-Z][\w.]*)\.MixProject\b")
_MIX_DEP = r"\{{\s*:{name}\s*,"
_RELEASE_MODULE = re.compile(r"defmodule\s+(?P<module>[A-Z][\w.]*\.Release)\s+do")


def read_repo(path: str | Path) -> Repo:
    """Read the repo at `path`; raise ConfigError on a malformed file."""
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"repository directory '{root}' does not exist", hint="Pass --repo DIR")
    repo = Repo(path=str(root), framework="unknown")

    app_json = root / "app.json"
    if app_json.is_file():
        repo.app_json = parse_app_json(_read_text(app_json), "app.json")
        repo.stack = repo.app_json.get("stack") if isinstance(repo.app_json.get("stack"), str) else None
        scripts = repo.app_json.get("scripts")
        if isinstance(scripts, dict) and isinstance(scripts.get("postdeploy"), str):
            repo.postdeploy = scripts["postdeploy"]
        repo.host_bound_vars = _app_json_host_bound(repo.app_json)
        repo.buildpacks = _app_json_buildpacks(repo.app_json)
        repo.buildpacks_source = "app.json" if repo.buildpacks else None

    dot_buildpacks = root / ".buildpacks"
    if dot_buildpacks.is_file() and not repo.buildpacks:
        repo.buildpacks = [line.strip() for line in _read_text(dot_buildpacks).splitlines()
                           if line.strip() and not line.strip().startswith("#")]
        repo.buildpacks_source = ".buildpacks" if repo.buildpacks else None

    repo.app_base = _app_base(root, repo.app_json)
    base = root / repo.app_base if repo.app_base else root  # what Heroku built as the app
    prefix = f"{repo.app_base}/" if repo.app_base else ""
    repo.procfile_path = _procfile_path(base, repo.app_json)
    procfile = base / repo.procfile_path
    if procfile.is_file():
        repo.procfile, repo.procfile_warnings = read_procfile(
            _read_text(procfile), prefix + repo.procfile_path)

    fly_toml = root / "fly.toml"
    if fly_toml.is_file():
        doc = parse_toml(_read_text(fly_toml), "fly.toml")
        repo.has_fly_toml = True
        app = doc.get("app")
        repo.fly_toml_app = str(app) if app else None

    heroku_yml = base / "heroku.yml"
    if heroku_yml.is_file():
        _read_heroku_yml(parse_yaml(_read_text(heroku_yml), prefix + "heroku.yml"), base, repo)
        if not repo.has_heroku_yml and repo.heroku_yml_run and not repo.procfile:
            # `build: languages:` is a buildpack build; its run section is the Procfile.
            repo.procfile = dict(repo.heroku_yml_run)
    if repo.dockerfile_path == "Dockerfile" and not (base / "Dockerfile").is_file() \
            and (base / "dockerfile").is_file():
        # flyctl builds a lowercase one too (internal/build/imgsrc/docker.go ResolveDockerfile).
        repo.dockerfile_path = "dockerfile"
        repo.heroku_yml_images = {k: "dockerfile" if v == "Dockerfile" else v
                                  for k, v in repo.heroku_yml_images.items()}
    repo.has_dockerfile = (base / repo.dockerfile_path).is_file()
    if repo.has_dockerfile:
        text = _read_text(base / repo.dockerfile_path)
        repo.dockerfile_image = machine.image_from_dockerfile(text, _context_reader(base))
        # scaffold's own Dockerfile says so near the top; re-planning must not treat it as
        # the user's.
        repo.dockerfile_by_herokufly = bool(
            re.search(r"^#\s*Written by herokufly", "\n".join(text.splitlines()[:10]), re.M))
    _read_elixir(base, repo)
    _read_versions(base, repo)
    repo.detections = frameworks.detect_all(base)
    if repo.framework == "elixir" and any(d.name == "phoenix" for d in repo.detections):
        # The Mix detection follows apps_path to any folder; the quick read above looks
        # only in apps/. Either one seeing Phoenix makes it a Phoenix app.
        repo.framework = "phoenix"
    elif repo.framework == "unknown":
        repo.framework = repo.detections[0].name if repo.detections else _other_framework(base)
    return repo


def parse_procfile(text: str, filename: str = "Procfile") -> dict[str, str]:
    """Process type -> command, as Heroku reads a Procfile (see read_procfile)."""
    return read_procfile(text, filename)[0]


def read_procfile(text: str, filename: str = "Procfile") -> tuple[dict[str, str], list[str]]:
    """(process type -> command, warnings). Heroku matches each line against
    `^[A-Za-z0-9_-]+:\\s*(.+)$` and ignores lines that do not match (comments, blank lines,
    prose); a type defined twice keeps its last command (heroku/buildpacks-procfile
    src/procfile.rs does the same and warns). A BOM and CRLF line ends are accepted."""
    processes: dict[str, str] = {}
    warnings: list[str] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PROCFILE_LINE.match(stripped)
        if not match:
            warnings.append(f"{filename}:{number}: ignored (not '<process type>: <command>'), "
                            "as Heroku ignores it")
            continue
        kind = match.group("type")
        if kind in processes:
            warnings.append(f"{filename}:{number}: process type '{kind}' is defined again; "
                            "the last definition is used, as on Heroku")
        processes[kind] = match.group("command")
    return processes, warnings


def parse_app_json(text: str, filename: str = "app.json") -> dict:
    return _files.parse_json_object(text, filename)


def parse_yaml(text: str, filename: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        reason = getattr(exc, "problem", None) or "not YAML"
        raise ConfigError(f"{filename}:{where}: invalid YAML ({reason})") from None


def _yml_line(value) -> str | None:
    """A heroku.yml command (a string, or a list run as one shell line) as a Procfile line."""
    if isinstance(value, dict):
        value = value.get("command")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = " ".join(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _read_heroku_yml(doc, root: Path, repo: Repo) -> None:
    """heroku.yml: build.docker.web (the Dockerfile), build.config (build-time args), run,
    release (Dev Center "Building Docker Images with heroku.yml")."""
    if not isinstance(doc, dict):
        return
    build = doc.get("build") if isinstance(doc.get("build"), dict) else {}
    docker = build.get("docker") if isinstance(build.get("docker"), dict) else {}
    repo.has_heroku_yml = bool(docker)  # build.languages is a buildpack build
    paths = {}
    for kind, entry in docker.items():
        entry = entry.get("dockerfile") if isinstance(entry, dict) else entry
        if isinstance(entry, str) and entry.strip():
            # "/docker/Dockerfile" names the repo root (Heroku builds from the checkout).
            paths[str(kind)] = entry.strip().lstrip("/").removeprefix("./")
    # Each build.docker key is a process type built from its own Dockerfile; a Fly app
    # builds one image: web's, else the one Dockerfile every type shares.
    web = paths.get("web") or (next(iter(paths.values())) if len(set(paths.values())) == 1
                               else None)
    if web is None and paths:
        raise ConfigError(
            "heroku.yml: build.docker builds a different Dockerfile for each of "
            f"{', '.join(sorted(paths))} and none for web; a Fly app builds one image",
            hint="Move each image to its own Fly app, or build every process type from one "
                 "Dockerfile in heroku.yml, then plan again")
    if web and (root / web).is_file():
        repo.dockerfile_path = web
    repo.heroku_yml_images = paths
    config = build.get("config") if isinstance(build.get("config"), dict) else {}
    repo.heroku_yml_build_config = {str(k): str(v) for k, v in config.items()
                                    if isinstance(v, (str, int, float, bool))}
    run = doc.get("run") if isinstance(doc.get("run"), dict) else {}
    repo.heroku_yml_run = {str(k): line for k, v in run.items() if (line := _yml_line(v))}
    repo.heroku_yml_release = _yml_line(doc.get("release"))
    _read_heroku_yml_setup(doc.get("setup"), repo)


def _read_heroku_yml_setup(setup, repo: Repo) -> None:
    """heroku.yml `setup`: the add-ons and config vars Heroku creates with the app (`heroku
    create --manifest`, review apps; Dev Center "Building Docker Images with heroku.yml",
    setup section), in app.json's spellings. Offline they say what app.json would, so they
    are merged into the app.json the plan reads, where app.json says nothing; config var
    names only (their values stay out, like every other config var's)."""
    if not isinstance(setup, dict):
        return
    addons = setup.get("addons")
    config = setup.get("config") if isinstance(setup.get("config"), dict) else {}
    merged = dict(repo.app_json or {})
    if isinstance(addons, list) and addons and "addons" not in merged:
        for index, entry in enumerate(addons):
            plan = entry.get("plan") if isinstance(entry, dict) else entry
            if not (isinstance(plan, str) and _ADDON_PLAN.fullmatch(plan.strip())):
                raise ConfigError(f"heroku.yml: setup.addons[{index}] is not an add-on plan",
                                  hint="Write e.g. `- plan: heroku-postgresql`, then run "
                                       "herokufly again")
        merged["addons"] = list(addons)
    env = dict(merged.get("env")) if isinstance(merged.get("env"), dict) else {}
    for name in config:
        env.setdefault(str(name), {"description": "from heroku.yml setup.config"})
    if env:
        merged["env"] = env
    if merged != (repo.app_json or {}):
        repo.app_json = merged


def parse_toml(text: str, filename: str):
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        # tomlkit's message ends with "at line L col C"; keep only the reason.
        reason = re.sub(r"\s+at line \d+ col \d+$", "", str(exc))
        raise ConfigError(f"{filename}:{exc.line}:{exc.col}: TOML syntax error ({reason})") from None


def app_json_env_names(app_json: dict | None) -> list[str]:
    env = (app_json or {}).get("env")
    return sorted(env) if isinstance(env, dict) else []


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}:1:1: not UTF-8 text") from None


def _context_reader(root: Path):
    """Read a build-context file for the Dockerfile model; None when absent or unreadable."""
    resolved = root.resolve()

    def read(rel: str) -> str | None:
        path = (root / rel).resolve()
        if resolved not in path.parents or not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            return None
    return read


_HEROKU_HOST = re.compile(r"\.herokuapp\.com\b", re.I)


def _app_json_value(entry) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("value"), str):
        return entry["value"]
    return None


def _app_json_host_bound(app_json: dict) -> list[str]:
    """Names of app.json env vars whose default value names a *.herokuapp.com host."""
    env = app_json.get("env") if isinstance(app_json.get("env"), dict) else {}
    return sorted(name for name, entry in env.items()
                  if _HEROKU_HOST.search(_app_json_value(entry) or ""))


def _app_json_buildpacks(app_json: dict) -> list[str]:
    """app.json "buildpacks": [{"url": ...}] (strings accepted too); junk entries skipped."""
    entries = app_json.get("buildpacks")
    if not isinstance(entries, list):
        return []
    found = []
    for entry in entries:
        url = entry.get("url") if isinstance(entry, dict) else entry
        if isinstance(url, str) and url.strip():
            found.append(url.strip())
    return found


def _app_base(root: Path, app_json: dict | None) -> str | None:
    """APP_BASE from app.json env: the subdirectory a monorepo buildpack (e.g.
    lstoll/heroku-buildpack-monorepo) made the app. Only a directory inside the repo."""
    env = (app_json or {}).get("env")
    value = _app_json_value(env.get("APP_BASE")) if isinstance(env, dict) else None
    if not value or not value.strip().strip("/"):
        return None
    candidate = (root / value.strip()).resolve()
    if root.resolve() in candidate.parents and candidate.is_dir():
        return str(candidate.relative_to(root.resolve()))
    return None


def _procfile_path(root: Path, app_json: dict | None) -> str:
    """PROCFILE_PATH from app.json env (Heroku's build setting), when it names a file here."""
    env = (app_json or {}).get("env")
    value = _app_json_value(env.get("PROCFILE_PATH")) if isinstance(env, dict) else None
    if value:
        rel = value.strip().removeprefix("./")
        candidate = (root / rel).resolve()
        if root.resolve() in candidate.parents and candidate.is_file():
            return str(candidate.relative_to(root.resolve()))
    return "Procfile"


def _read_elixir(root: Path, repo: Repo) -> None:
    mix = root / "mix.exs"
    if not mix.is_file():
        return
    text = _read_text(mix)
    texts = [text]
    if re.search(r"\bapps_path:", text):
        # An umbrella: the Phoenix app and its deps live in apps/*/mix.exs.
        for child in sorted((root / "apps").glob("*/mix.exs")):
            repo.umbrella_apps.append(child.parent.name)
            texts.append(_read_text(child))
    deps_text = "\n".join(texts)
    repo.framework = "phoenix" if re.search(_MIX_DEP.format(name="phoenix"), deps_text) else "elixir"
    app = _MIX_APP.search(text)
    repo.mix_app = app.group("app") if app else None
    module = _MIX_MODULE.search(text)
    repo.mix_module = module.group("module") if module else _camelize(repo.mix_app)
    repo.has_oban = bool(re.search(_MIX_DEP.format(name="oban"), deps_text))
    repo.has_ecto = bool(re.search(_MIX_DEP.format(name="(?:ecto_sql|phoenix_ecto)"), deps_text))
    lib = root / "lib"
    if lib.is_dir():
        for source in sorted(lib.rglob("release.ex")):
            found = _RELEASE_MODULE.search(_read_text(source))
            if found:
                repo.release_module = found.group("module")
                break
    overlays = root / "rel" / "overlays"  # `mix release` copies these into the release root
    if overlays.is_dir() and not overlays.is_symlink():
        repo.release_overlay_scripts = sorted(
            str(p.relative_to(overlays)) for p in overlays.rglob("*") if p.is_file())[:200]


def _read_versions(root: Path, repo: Repo) -> None:
    # elixir_buildpack.config is what Heroku builds with today, so it wins over .tool-versions.
    tool_versions = root / ".tool-versions"
    if tool_versions.is_file():
        for line in _read_text(tool_versions).splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) < 2:
                continue
            tool, version = parts[0], parts[1]
            if tool == "elixir":
                repo.elixir_version = re.sub(r"-otp-\d+$", "", version)
            elif tool == "erlang":
                repo.otp_version = version
            elif tool in ("nodejs", "node"):
                repo.node_version = version
        if repo.elixir_version or repo.otp_version:
            repo.versions_source = ".tool-versions"
    buildpack = root / "elixir_buildpack.config"
    if buildpack.is_file():
        found = False
        for line in _read_text(buildpack).splitlines():
            key, _, value = line.split("#", 1)[0].partition("=")
            value = value.strip().strip("\"'")
            if key.strip() == "elixir_version" and re.fullmatch(r"\d+(\.\d+)*", value):
                repo.elixir_version, found = value, True
            elif key.strip() == "erlang_version" and re.fullmatch(r"\d+(\.\d+)*", value):
                repo.otp_version, found = value, True
        if found:
            repo.versions_source = "elixir_buildpack.config"


def _other_framework(root: Path) -> str:
    gemfile = root / "Gemfile"
    if gemfile.is_file():
        return "rails" if re.search(r"""gem\s+['"]rails['"]""", _read_text(gemfile)) else "ruby"
    python_files = [root / name for name in ("requirements.txt", "Pipfile", "pyproject.toml")]
    present = [p for p in python_files if p.is_file()]
    if present:
        text = "\n".join(_read_text(p) for p in present).lower()
        return "django" if re.search(r"\bdjango\b", text) else "python"
    if (root / "package.json").is_file():
        return "node"
    if (root / "go.mod").is_file():
        return "go"
    return "unknown"


def _camelize(name: str | None) -> str | None:
    if not name:
        return None
    return "".join(part.capitalize() for part in name.split("_"))
