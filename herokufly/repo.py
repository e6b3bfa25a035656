"""Read what the user's repository says about the app: Procfile, app.json, mix.exs, ...

Only reads; never writes. A malformed file raises ConfigError naming the file
and line, so the user can fix it before anything is planned or written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import tomlkit
import tomlkit.exceptions

from herokufly.errors import ConfigError
from herokufly.inventory import Repo

# Heroku's Procfile grammar: `<process type>: <command>`, type is alphanumeric plus _ and -.
_PROCFILE_LINE = re.compile(r"^(?P<type>[A-Za-z0-9_-]+):\s*(?P<command>.*\S)\s*$")
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

    procfile = root / "Procfile"
    if procfile.is_file():
        repo.procfile = parse_procfile(_read_text(procfile), "Procfile")

    app_json = root / "app.json"
    if app_json.is_file():
        repo.app_json = parse_app_json(_read_text(app_json), "app.json")
        repo.stack = repo.app_json.get("stack") if isinstance(repo.app_json.get("stack"), str) else None
        scripts = repo.app_json.get("scripts")
        if isinstance(scripts, dict) and isinstance(scripts.get("postdeploy"), str):
            repo.postdeploy = scripts["postdeploy"]

    fly_toml = root / "fly.toml"
    if fly_toml.is_file():
        doc = parse_toml(_read_text(fly_toml), "fly.toml")
        repo.has_fly_toml = True
        app = doc.get("app")
        repo.fly_toml_app = str(app) if app else None

    repo.has_dockerfile = (root / "Dockerfile").is_file()
    _read_elixir(root, repo)
    _read_versions(root, repo)
    if repo.framework == "unknown":
        repo.framework = _other_framework(root)
    return repo


def parse_procfile(text: str, filename: str = "Procfile") -> dict[str, str]:
    """Process type -> command. Blank lines and # comments are skipped."""
    processes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _PROCFILE_LINE.match(stripped)
        if not match:
            raise ConfigError(
                f"{filename}:{number}: malformed line (expected '<process type>: <command>')",
                hint="Process types use letters, digits, '_' and '-'",
            )
        kind = match.group("type")
        if kind in processes:
            raise ConfigError(f"{filename}:{number}: process type '{kind}' is defined twice")
        processes[kind] = match.group("command")
    return processes


def parse_app_json(text: str, filename: str = "app.json") -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{filename}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}:1:1: expected a JSON object at the top level")
    return data


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
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}:1:1: not UTF-8 text") from None


def _read_elixir(root: Path, repo: Repo) -> None:
    mix = root / "mix.exs"
    if not mix.is_file():
        return
    text = _read_text(mix)
    repo.framework = "phoenix" if re.search(_MIX_DEP.format(name="phoenix"), text) else "elixir"
    app = _MIX_APP.search(text)
    repo.mix_app = app.group("app") if app else None
    module = _MIX_MODULE.search(text)
    repo.mix_module = module.group("module") if module else _camelize(repo.mix_app)
    repo.has_oban = bool(re.search(_MIX_DEP.format(name="oban"), text))
    repo.has_ecto = bool(re.search(_MIX_DEP.format(name="(?:ecto_sql|phoenix_ecto)"), text))
    lib = root / "lib"
    if lib.is_dir():
        for source in sorted(lib.rglob("release.ex")):
            found = _RELEASE_MODULE.search(_read_text(source))
            if found:
                repo.release_module = found.group("module")
                break


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
