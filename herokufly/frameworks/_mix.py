"""Read what a Mix project says about how Heroku built and ran it (read-time only).

Facts are JSON-able and hold no config var values: env var NAMES the config reads, file flags,
versions, and the buildpack settings in the repo (elixir_buildpack.config,
phoenix_static_buildpack.config), which are build instructions, not secrets.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from pathlib import Path

from herokufly.frameworks._files import read_json, read_text, version_tuple

_DEP = r"\{{\s*:{name}\s*,"
_APP = re.compile(r"\bapp:\s*:(?P<app>[a-z_][a-zA-Z0-9_]*)")
_MODULE = re.compile(r"defmodule\s+(?P<module>[A-Z][\w.]*?)\.Mix(?:Project|file)\b")
_APPS_PATH = re.compile(r"\bapps_path:\s*\"(?P<path>[^\"]+)\"")
_ELIXIR_REQ = re.compile(r"\belixir:\s*\"(?P<req>[^\"]+)\"")
_RELEASES = re.compile(r"\breleases:\s*(?P<rest>.{0,600})", re.S)
_RELEASE_NAME = re.compile(r"\[\s*(?P<name>[a-z_][a-zA-Z0-9_]*):\s*\[")
# `System.get_env("X")`, `Map.fetch!(System.get_env(), "X")` (both read now: group a) and
# `{:system, "X"}` (resolved by Phoenix/Ecto at boot: group b).
_ENV_READ = re.compile(
    r"""(?:System\.(?:get_env|fetch_env!?)\(|Map\.(?:fetch!?|get)\(\s*System\.get_env\(\s*\)\s*,)\s*"(?P<a>[A-Za-z_][A-Za-z0-9_]*)"|\{:system,\s*"(?P<b>[A-Za-z_][A-Za-z0-9_]*)\"""")
_LOCK_VERSION = r"\"{name}\":\s*\{{:hex,\s*:{name},\s*\"(?P<v>[^\"]+)\""
_DEP_REQ = r"\{{\s*:{name}\s*,\s*\"(?P<req>[^\"]+)\""
_ROUTE = re.compile(r"^\s*(?P<verb>get|live|forward)[\s(]+\"(?P<path>[^\"]*)\"(?P<rest>.*)$")
# `resources "/posts", PostController[, only:/except:/singleton:]` defines GET /posts (:index,
# or :show for a singleton) unless its options leave that action out (Phoenix.Router.resources).
_RESOURCES = re.compile(r"^\s*resources[\s(]+\"(?P<path>[^\"]*)\"\s*,\s*[A-Z][\w.]*(?P<rest>.*)$")
_SCOPE = re.compile(r"^\s*scope[\s(]+\"(?P<path>[^\"]*)\"")
_PIPE = re.compile(r"^\s*pipe_through\s+(?P<pipes>.+)$")
_ECTO_REPOS = re.compile(r"config\s+:(?P<app>[a-z_]\w*)\s*,\s*ecto_repos:")
_URL_HOST = re.compile(r"url:\s*\[[^\]]*host:\s*\"(?P<host>[^\"]+)\"")
_RELEASE_MODULE = re.compile(r"defmodule\s+(?P<module>[A-Z][\w.]*)\s+do")
_BUILDPACK_LINE = re.compile(r"^\s*(?P<key>[a-z_]+)=(?P<value>.*)$")
_ASSIGNMENT_WORD = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$", re.S)

BUILDPACK_KEYS = ("erlang_version", "elixir_version", "always_rebuild", "release", "runtime_path",
                  "hook_pre_fetch_dependencies", "hook_pre_compile", "hook_compile",
                  "hook_post_compile", "pre_compile", "post_compile", "config_vars_to_export")
STATIC_KEYS = ("node_version", "npm_version", "yarn_version", "compile", "assets_path",
               "phoenix_relative_path", "remove_node", "phoenix_ex", "clean_cache")


def read_mix_project(root: Path) -> dict | None:
    """Facts about the Mix project at `root`, or None when there is no mix.exs."""
    root = Path(root)
    mix = read_text(root, "mix.exs")
    if mix is None:
        return None
    facts: dict = {"umbrella": False, "apps": []}
    apps_path = _APPS_PATH.search(mix)
    sources = {"mix.exs": mix}
    if apps_path:
        facts["umbrella"] = True
        base = apps_path.group("path").strip("/")
        for child in sorted((root / base).glob("*/mix.exs")) if (root / base).is_dir() else []:
            rel = str(child.relative_to(root))
            sources[rel] = read_text(root, rel) or ""
    lock = read_text(root, "mix.lock") or ""
    apps = []
    for rel, text in sources.items():
        if rel == "mix.exs" and facts["umbrella"]:
            continue
        app = _APP.search(text)
        module = _MODULE.search(text)
        apps.append({
            "dir": str(Path(rel).parent) if rel != "mix.exs" else ".",
            "app": app.group("app") if app else None,
            "module": module.group("module") if module else None,
            "phoenix": bool(re.search(_DEP.format(name="phoenix"), text)),
            "ecto": bool(re.search(_DEP.format(name="(?:ecto_sql|phoenix_ecto|ecto)"), text)),
        })
    facts["apps"] = apps
    web = next((a for a in apps if a["phoenix"]), apps[0] if apps else None)
    root_app = _APP.search(mix)
    facts["mix_app"] = (root_app.group("app") if root_app and not facts["umbrella"]
                        else (web or {}).get("app"))
    facts["web_dir"] = (web or {}).get("dir", ".")
    facts["web_app"] = (web or {}).get("app")
    facts["web_module"] = (web or {}).get("module")
    all_mix = "\n".join(sources.values())
    facts["phoenix"] = any(a["phoenix"] for a in apps)
    facts["ecto"] = any(a["ecto"] for a in apps)
    # mix.exs that reads other files (`version: File.read!("VERSION")`) needs them before deps.
    facts["mix_reads_files"] = bool(re.search(
        r"\b(?:File\.(?:read|stream|exists\?|ls)|Code\.(?:eval|require)_file)|"
        r"\{\s*:\w+\s*,[^}]*\bpath:", strip_comments(mix)))  # path deps are files too
    facts["dep_names"] = sorted(set(re.findall(r"\{\s*:([a-z_][a-z0-9_]*)\s*,", strip_comments(all_mix))))
    facts["http_server"] = facts["phoenix"] or bool(re.search(
        _DEP.format(name="(?:plug_cowboy|cowboy|bandit|elli|ace|raxx)"), all_mix))
    facts["oban"] = bool(re.search(_DEP.format(name="oban"), all_mix))
    facts["rust"] = _rust(root, facts, all_mix)
    # Hex packages from a private repo or organization (e.g. Oban Pro's `repo: "oban"`): the
    # build must authenticate, as Heroku's build did with its config vars.
    facts["private_hex"] = sorted(set(re.findall(
        r"\{\s*:(\w+)\s*,[^}]*?\b(?:repo|organization):\s*\"[^\"]+\"", strip_comments(all_mix))))
    facts["distillery"] = bool(re.search(_DEP.format(name="distillery"), all_mix)) \
        or (root / "rel" / "config.exs").is_file()
    facts["phoenix_version"] = _locked_version(lock, "phoenix") or _requirement(all_mix, "phoenix")
    facts["elixir_requirement"] = _elixir_requirement(mix) or _elixir_requirement(all_mix)
    mix_code = strip_comments(mix)  # `# releases: releases(),` left commented out is no release
    facts["releases"] = _release_names(mix_code)
    facts["releases_unread"] = bool(_RELEASES.search(mix_code)) and not facts["releases"]
    facts["assets_deploy_alias"] = '"assets.deploy"' in all_mix
    facts["esbuild"] = bool(re.search(_DEP.format(name="(?:esbuild|tailwind|dart_sass)"), all_mix))
    facts["config_files"] = sorted(p.name for p in (root / "config").glob("*.exs")) \
        if (root / "config").is_dir() else []
    facts["imports_env_config"] = bool(re.search(
        r"import_config\s*\(?\s*\"#\{\s*(?:Mix\.env|config_env)",
        strip_comments(read_text(root, "config/config.exs") or "")))
    facts["runtime_exs"] = "runtime.exs" in facts["config_files"]
    facts["releases_exs"] = "releases.exs" in facts["config_files"]
    facts["rel_env_sh"] = (root / "rel" / "env.sh.eex").is_file()
    facts["ecto_app"] = _ecto_app(root, facts)
    facts["release_module"] = _release_module(root, facts)
    _read_config(root, facts)
    facts["routes"] = _routes(root, facts)
    facts["buildpack"] = _key_values(root, "elixir_buildpack.config", BUILDPACK_KEYS)
    facts["static"] = _key_values(root, "phoenix_static_buildpack.config", STATIC_KEYS)
    facts["tool_versions"] = _tool_versions(root)
    facts["assets"] = _assets(root, facts)
    facts["mix_env_declared"] = _declared_mix_env(root, facts)
    return facts


def _rust(root: Path, facts: dict, all_mix: str) -> dict | None:
    """Rust crates Rustler compiles while `mix compile` runs (`:rustler` as a dependency and a
    native/<crate>/Cargo.toml); rustler_precompiled alone downloads built NIFs instead."""
    if not re.search(_DEP.format(name="rustler"), all_mix):
        return None
    crates = sorted(str(p.parent.relative_to(root)) for app in facts["apps"]
                    for p in (root / app["dir"]).glob("native/*/Cargo.toml"))
    if not crates:
        return None
    version = None
    for line in (read_text(root, ".tool-versions") or "").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "rust" and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", parts[1]):
            version = parts[1]
    return {"crates": crates, "version": version}


def _elixir_requirement(text: str) -> str | None:
    """`elixir: "~> 1.x"`, or `elixir: @attr` with `@attr "~> 1.x"` set in the same file."""
    text = strip_comments(text)
    found = _ELIXIR_REQ.search(text)
    if found:
        return found.group("req")
    attr = re.search(r"\belixir:\s*@(?P<name>\w+)", text)
    value = attr and re.search(r"^\s*@" + attr.group("name") + r"\s+\"(?P<req>[^\"]+)\"", text, re.M)
    return value.group("req") if value else None


def _locked_version(lock: str, name: str) -> str | None:
    found = re.search(_LOCK_VERSION.format(name=name), lock)
    return found.group("v") if found else None


def _requirement(text: str, name: str) -> str | None:
    found = re.search(_DEP_REQ.format(name=name), text)
    return found.group("req") if found else None


def _release_names(mix: str) -> list[str]:
    """Release names from `releases: [name: [...]]` or `releases: releases()` + its body."""
    found = _RELEASES.search(mix)
    if not found:
        return []
    rest = found.group("rest")
    call = re.match(r"\s*(?P<fun>[a-z_]\w*)\(\)", rest)
    if call:
        body = re.search(r"defp?\s+" + call.group("fun") + r"\b.*?\bdo\b(?P<body>.{0,600})", mix, re.S)
        rest = body.group("body") if body else ""
    names = []
    depth = 0
    # Top-level keys of the keyword list: `name: [` at bracket depth 1.
    for match in re.finditer(r"\[|\]|(?P<name>[a-z_][a-zA-Z0-9_]*):\s*\[", rest):
        token = match.group(0)
        if match.group("name"):
            if depth <= 1:
                names.append(match.group("name"))
            depth += 1
        elif token == "[":
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                break
    return names


def _ecto_app(root: Path, facts: dict) -> str | None:
    for path in _config_paths(root, facts):
        found = _ECTO_REPOS.search(read_text(root, path) or "")
        if found:
            return found.group("app")
    ecto_apps = [a["app"] for a in facts["apps"] if a["ecto"] and a["app"]]
    return ecto_apps[0] if ecto_apps else facts.get("mix_app")


def _release_module(root: Path, facts: dict) -> str | None:
    """A module with `def migrate` under lib/ (e.g. MyApp.Release), used by bin/migrate."""
    for app in facts["apps"]:
        lib = root / app["dir"] / "lib"
        if not lib.is_dir():
            continue
        for source in sorted(lib.rglob("*.ex")):
            text = read_text(root, str(source.relative_to(root))) or ""
            module = _RELEASE_MODULE.search(text)
            if module and re.search(r"\bdef\s+migrate\b", text) and (
                    "Ecto.Migrator" in text or module.group("module").endswith(".Release")):
                return module.group("module")
    return None


def _config_paths(root: Path, facts: dict) -> list[str]:
    paths = [f"config/{name}" for name in facts["config_files"]]
    for app in facts["apps"]:
        if app["dir"] != "." and (root / app["dir"] / "config").is_dir():
            paths += sorted(str(p.relative_to(root)) for p in (root / app["dir"] / "config").glob("*.exs"))
    return paths


def _read_config(root: Path, facts: dict) -> None:
    """Env var names read at boot or build, and settings that decide IPv6, SSL and host."""
    reads: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for path in _config_paths(root, facts):
        texts[path] = strip_comments(read_text(root, path) or "")
    for app in facts["apps"]:
        for sub in ("lib", "web"):
            base = root / app["dir"] / sub
            if base.is_dir():
                for source in sorted(base.rglob("*.ex")):
                    if source.name in ("endpoint.ex", "repo.ex", "application.ex"):
                        rel = str(source.relative_to(root))
                        texts[rel] = strip_comments(read_text(root, rel) or "")
    for path, text in texts.items():
        for match in _ENV_READ.finditer(text):
            reads.setdefault(match.group("a") or match.group("b"), []).append(path)
    facts["env_reads"] = {name: sorted(set(paths)) for name, paths in sorted(reads.items())}
    prod = {p: t for p, t in texts.items() if p.endswith(("prod.exs", "runtime.exs", "releases.exs"))}
    # Reads that fail while compiling when the variable is missing (a Docker build has none):
    # System.fetch_env!/1 or String.to_integer(System.get_env(..)) with no default, in config
    # files Mix evaluates at build time (everything but runtime.exs/releases.exs).
    build_time = set()
    for path, text in texts.items():
        if path.startswith(("config/", "apps/")) and path.endswith(".exs") and not \
                path.endswith(("runtime.exs", "releases.exs", "test.exs", "dev.exs")):
            build_time.update(re.findall(r'System\.fetch_env!\(\s*"(\w+)"', text))
            build_time.update(re.findall(r'Map\.fetch!\(\s*System\.get_env\(\s*\)\s*,\s*"(\w+)"', text))
            build_time.update(re.findall(r'String\.to_(?:integer|atom)\(\s*System\.get_env\(\s*"(\w+)"\s*\)\s*\)', text))
    facts["build_time_required"] = sorted(build_time)
    # Per config file, the variables read with System.get_env/fetch_env (a `{:system, "X"}`
    # tuple is resolved by Phoenix/Ecto at boot, so it is not listed).
    facts["config_env_reads"] = {
        path: sorted({m.group("a") for m in _ENV_READ.finditer(text) if m.group("a")})
        for path, text in texts.items() if path.endswith(".exs")}
    everything = "\n".join(texts.values())
    # Ecto's IPv6 option (an endpoint's `http: [:inet6, ...]` is not the database's).
    facts["inet6"] = bool(re.search(r"socket_options:\s*\[[^\]]*:inet6", everything))
    facts["force_ssl"] = bool(re.search(r"\bforce_ssl\b|Plug\.SSL", everything))
    # Where the Repo is configured for production (runtime config first), for the IPv6 step.
    facts["repo_config"] = None
    for suffix in ("runtime.exs", "releases.exs", "prod.exs", "config.exs"):
        for path, text in texts.items():
            found = re.search(r"config\s+:(?P<app>\w+)\s*,\s*(?P<repo>[A-Z][\w.]*Repo)\s*,", text)
            if path.endswith(suffix) and found and facts["repo_config"] is None:
                facts["repo_config"] = {"file": path, "app": found.group("app"),
                                        "repo": found.group("repo")}
    # A variable the app reads to turn on IPv6 for Ecto, e.g.
    # `if System.get_env("USE_IP_V6") == "true", do: [:inet6]` (ECTO_IPV6 in `mix phx.new`).
    facts["ipv6_env"] = _ipv6_toggle(everything)
    facts["server_true"] = bool(re.search(r"\bserver:\s*true\b", "\n".join(prod.values())))
    host = _URL_HOST.search("\n".join(prod.values()))
    facts["url_host"] = host.group("host") if host else None
    facts["check_origin"] = bool(re.search(r"\bcheck_origin:", "\n".join(prod.values())))
    facts["sockets"] = bool(re.search(r"^\s*socket[\s(]+\"", "\n".join(
        t for p, t in texts.items() if p.endswith("endpoint.ex")), re.M))
    # Other literal Heroku hosts in config (check_origin lists, CORS origins): LiveView and
    # channel sockets from the Fly host are refused until it is added.
    facts["heroku_host_literals"] = sorted({
        (path, found) for path, text in texts.items() if path.endswith(".exs")
        and not path.endswith(("dev.exs", "test.exs"))
        for found in re.findall(r'"((?:https?://)?[\w.-]+\.herokuapp\.com)"', text)
        if found != facts["url_host"]})


def _ipv6_toggle(text: str) -> str | None:
    """The variable whose value decides `:inet6` (`if System.get_env("X") ..., do: [:inet6]`).
    Only the nearest read before `:inet6` on its line counts, and only when a condition joins
    them: in `url: System.get_env("DATABASE_URL"), socket_options: [:inet6]` the read is a
    value of its own, not the switch."""
    for inet6 in re.finditer(r":inet6\b", text):
        line_start = text.rfind("\n", 0, inet6.start()) + 1
        before = text[line_start:inet6.start()]
        last = None
        for match in re.finditer(r"""System\.get_env\(\s*"(?P<name>[A-Za-z_][A-Za-z0-9_]*)"\s*\)""", before):
            last = match
        if last is None:
            continue
        between = before[last.end():]
        if re.search(r"\b\w+:\s", between) and not re.search(r"\bdo:\s*\[?\s*$", between):
            continue  # another keyword (e.g. socket_options:) separates the read from :inet6
        if re.search(r"\bdo:|->|\bthen\b|==|\bin\b", between) or re.search(r"\bif\b", before[:last.start()]):
            return last.group("name")
    return None


def _routes(root: Path, facts: dict) -> list[dict]:
    """GET routes from the router(s): full path, pipelines, file."""
    routes = []
    for app in facts["apps"]:
        base = root / app["dir"]
        candidates = sorted(base.glob("lib/**/router.ex")) + sorted(base.glob("web/router.ex"))
        for router in candidates:
            rel = str(router.relative_to(root))
            routes += _parse_router(read_text(root, rel) or "", rel)
    return routes


def _parse_router(text: str, rel: str) -> list[dict]:
    """GET/live routes with their full path and pipelines; dev-only blocks are skipped."""
    stack: list[tuple[str, list[str], bool]] = []  # (path prefix, pipelines, dev only)
    routes = []
    for raw in strip_comments(text).splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        scope = _SCOPE.match(line)
        opens = bool(re.search(r"\bdo\s*$", line)) or bool(re.search(r"\bfn\b.*->\s*$", line))
        dev_only = any(s[2] for s in stack)
        if scope and opens:
            stack.append((scope.group("path"), [], dev_only))
            continue
        if re.match(r"^\s*end\b", line):
            if stack:
                stack.pop()
            continue
        resource = _RESOURCES.match(line)
        if resource and not dev_only and _resources_answers_get(resource.group("rest")):
            routes.append(_route_entry(stack, resource.group("path"), rel))
        if resource and opens:  # nested resources live under /<path>/:id (not a fixed path)
            stack.append((resource.group("path").rstrip("/") + "/:id", [], dev_only))
            continue
        if opens:
            dev = dev_only or bool(re.search(r"^\s*if\b.*(Mix\.env|dev_routes)", line))
            stack.append(("", [], dev))
            continue
        pipes = _PIPE.match(line)
        if pipes and stack:
            stack[-1][1].extend(re.findall(r":(\w+)", pipes.group("pipes")))
            continue
        route = _ROUTE.match(line)
        if route and not dev_only:
            entry = _route_entry(stack, route.group("path"), rel)
            if route.group("verb") == "forward":
                # A plug mounted at a path (e.g. Absinthe's GraphiQL, which answers GET).
                target = re.match(r"\s*[,)]?\s*,?\s*(?P<plug>[A-Z][\w.]*)", route.group("rest"))
                entry["forward"] = target.group("plug") if target else ""
            routes.append(entry)
    return routes


def _route_entry(stack: list[tuple[str, list[str], bool]], path: str, rel: str) -> dict:
    prefix = "".join(s[0].rstrip("/") for s in stack)
    full = prefix + "/" + path.lstrip("/") if path != "/" else (prefix or "/")
    return {"path": full or "/", "pipes": [p for s in stack for p in s[1]], "file": rel}


def _resources_answers_get(options: str) -> bool:
    """Whether `resources` options keep the action GET <path> runs (:index; :show for a singleton)."""
    action = "show" if re.search(r"\bsingleton:\s*true", options) else "index"
    only = re.search(r"\bonly:\s*\[([^\]]*)\]", options)
    if only:
        return f":{action}" in re.findall(r":\w+", only.group(1))
    excluded = re.search(r"\bexcept:\s*\[([^\]]*)\]", options)
    return not (excluded and f":{action}" in re.findall(r":\w+", excluded.group(1)))


def strip_comments(text: str) -> str:
    """Elixir source without `#` comments (a `#` inside a double-quoted string stays)."""
    out = []
    for line in text.splitlines():
        in_string = False
        cut = len(line)
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and in_string:
                i += 2
                continue
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                cut = i
                break
            i += 1
        out.append(line[:cut])
    return "\n".join(out)


def _key_values(root: Path, rel: str, keys: tuple[str, ...]) -> dict | None:
    """`key=value` lines of a buildpack config (a bash file the buildpack sources)."""
    text = read_text(root, rel)
    if text is None:
        return None
    values: dict[str, str] = {}
    for line in text.splitlines():
        several = _assignments(line)
        if several:
            values.update((key, value) for key, value in several if key in keys)
            continue
        found = _BUILDPACK_LINE.match(line.split(" #", 1)[0] if not line.lstrip().startswith("#") else "")
        if found and found.group("key") in keys:
            value = found.group("value").strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[found.group("key")] = value
    return values


def _assignments(line: str) -> list[tuple[str, str]]:
    """`a=1 b=2` on one line: bash (the buildpack sources the file) sets both.

    Only lines made of two or more assignments and nothing else; a line that
    goes on with a command word leaves the shell's variables unset in bash, and
    is read by the one-key rule like before."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return []
    pairs = [_ASSIGNMENT_WORD.match(word) for word in words]
    if len(pairs) < 2 or not all(pairs):
        return []
    return [(found.group("key"), found.group("value")) for found in pairs]


def _tool_versions(root: Path) -> dict:
    versions = {}
    for line in (read_text(root, ".tool-versions") or "").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] in ("elixir", "erlang", "nodejs", "node"):
            versions["nodejs" if parts[0] == "node" else parts[0]] = parts[1]
    return versions


def _assets(root: Path, facts: dict) -> dict:
    """Where package.json lives the way the Phoenix static buildpack looked for it."""
    static = facts["static"] or {}
    phoenix_dir = static.get("phoenix_relative_path", facts["web_dir"] if facts["umbrella"] else ".")
    phoenix_dir = posixpath.normpath(phoenix_dir.strip("/") or ".")
    if phoenix_dir.startswith(".."):
        phoenix_dir = "."  # outside the repo: the buildpack would not have found it either
    assets_path = static.get("assets_path")
    candidates = [assets_path] if assets_path and assets_path != "." else []
    candidates += ["assets", "."]
    found = None
    for candidate in candidates:
        rel = str(Path(phoenix_dir) / candidate)
        if (root / rel / "package.json").is_file():
            found = rel
            break
    info = {"phoenix_dir": phoenix_dir, "dir": found, "package_json": None}
    if found:
        package = read_json(root, str(Path(found) / "package.json")) or {}
        scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
        engines = package.get("engines") if isinstance(package.get("engines"), dict) else {}
        deps = package.get("dependencies") if isinstance(package.get("dependencies"), dict) else {}
        dev = package.get("devDependencies") if isinstance(package.get("devDependencies"), dict) else {}
        info["package_json"] = {
            "deploy_script": isinstance(scripts.get("deploy"), str),
            "engines_node": engines.get("node") if isinstance(engines.get("node"), str) else None,
            "dependencies": bool(deps or dev),
            # Phoenix 1.2 used brunch; 1.3-1.5 webpack (or brunch in 1.3).
            "bundler": next((b for b in ("webpack", "brunch", "esbuild", "vite") if b in {**deps, **dev}), None),
        }
        info["yarn_lock"] = (root / found / "yarn.lock").is_file()
        info["package_lock"] = (root / found / "package-lock.json").is_file()
    compile_name = static.get("compile", "compile") if facts["static"] is not None else "compile"
    script = (root / compile_name).resolve()
    inside = script.is_relative_to(root.resolve())
    info["compile_script"] = (str(script.relative_to(root.resolve())) if inside and script.is_file()
                              else None)
    info["phoenix_ex"] = _phoenix_ex(static, phoenix_dir, found, facts.get("phoenix_version"),
                                     (root / "assets").is_dir())
    return info


def _phoenix_ex(static: dict, phoenix_dir: str, found: str | None, phoenix_version: str | None,
                has_assets_dir: bool) -> str:
    """The mix task namespace (`phoenix` or `phx`) the static buildpack used (lib/common.sh
    load_config at 5bc13be): the config's `phoenix_ex` (default `phoenix`) only when package.json
    sits at the configured `<phoenix_dir>/<assets_path>`; `phoenix` for one at the Phoenix root;
    else `phx`. Then what the app's Phoenix has: `phoenix.*` tasks are gone from 1.4, `phx.*`
    arrived in 1.3 (a build that asked for the missing one failed on Heroku)."""
    configured = posixpath.normpath(str(Path(phoenix_dir) / (static.get("assets_path") or ".")))
    if found is not None and posixpath.normpath(found) == configured and static:
        chosen = static.get("phoenix_ex") or "phoenix"
    elif found is not None and found == phoenix_dir and not (phoenix_dir == "." and has_assets_dir):
        chosen = "phoenix"  # Phoenix <= 1.2 kept package.json at the root
    else:
        chosen = "phx"
    version = version_tuple(phoenix_version)[:2]
    if version >= (1, 4):
        return "phx"
    if (1, 0) <= version < (1, 3):
        return "phoenix"
    return chosen


def _declared_mix_env(root: Path, facts: dict) -> dict | None:
    """MIX_ENV as the repo declares it (app.json env value), only when it names a config file:
    it is then a build setting, never a secret."""
    app_json = read_json(root, "app.json") if (root / "app.json").is_file() else None
    env = (app_json or {}).get("env")
    value = env.get("MIX_ENV") if isinstance(env, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, str) and re.fullmatch(r"[a-z_]+", value) and f"{value}.exs" in facts["config_files"]:
        return {"value": value, "source": "app.json env MIX_ENV"}
    return None
