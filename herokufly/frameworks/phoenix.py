"""Phoenix (and plain Mix) apps: an image that runs them the way Heroku did, in the app's era.

Two build modes, chosen per app and explained in the plan:
- **mix**: one image built like Heroku's Elixir buildpack (HashNuke/heroku-buildpack-elixir
  `bin/compile`: hooks, `mix deps.get --only $MIX_ENV`, `mix compile --force`, optional
  `mix release`), then the Phoenix static buildpack's asset steps
  (gjaldon/heroku-buildpack-phoenix-static `lib/build.sh`, `compile`). Procfile lines run
  unchanged, so `System.get_env` in config/prod.exs is read when the app boots.
- **release**: a Mix release (the `mix phx.gen.release --docker` shape), only when the app has
  runtime config (config/runtime.exs or config/releases.exs) or no env reads in prod.exs, and
  every process maps onto the release exactly (`mix phx.server` -> bin/server, `mix run
  --no-halt` -> bin/<name> start, `mix ecto.migrate` -> bin/migrate).
"""

from __future__ import annotations

import posixpath
import re
from importlib import resources
from pathlib import Path
from string import Template

from herokufly.base import machine
from herokufly.frameworks import (BUILD, Advice, AppContext, ConfigVar, Detection, Release)
from herokufly.frameworks import _common
from herokufly.frameworks import _elixir_images as images
from herokufly.frameworks._files import version_tuple
from herokufly.frameworks._mix import read_mix_project

NAME = "phoenix"
PORT = 4000
EXECUTABLE = 0o755
REGULAR = 0o644
# With no Procfile web line Heroku ran the LAST buildpack's default (its bin/release):
# HashNuke/heroku-buildpack-elixir@378538d `web: mix run --no-halt`;
# gjaldon/heroku-buildpack-phoenix-static `web: mix phoenix.server` (2015), `mix phx.server`
# (a577ad5, 2018-11), `elixir --sname server -S mix phx.server` (d99fdec, 2020-02, still at 5bc13be).
BUILDPACK_DEFAULT_WEB = "mix run --no-halt"
STATIC_DEFAULT_WEB = "elixir --sname server -S mix phx.server"
STATIC_DEFAULT_WEB_OLD = "mix phoenix.server"
# phoenix_static_buildpack.config defaults (gjaldon/heroku-buildpack-phoenix-static @5bc13be).
STATIC_DEFAULT_NODE = "6.9.2"
STATIC_DEFAULT_YARN = "0.27.5"
# Node for esbuild/tailwind-era apps that still have npm packages and pin nothing.
CURRENT_NODE_MAJOR = "20"
# Config vars Heroku's buildpacks read while building an Elixir app.
ELIXIR_BUILD_VARS = ("MIX_ENV", "NODE_ENV", "HEX_UNSAFE_HTTPS", "HEX_MIRROR")

_ENV_PREFIX = r"(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*"
# `elixir --sname server -S mix ...` (the static buildpack's default) only names the node;
# a release names it in rel/env.sh.eex, so it maps too. Other elixir flags keep Mix.
_MIX = r"(?:elixir\s+(?:--sname\s+\w+\s+)?-S\s+)?mix\s+"
_PHX_SERVER = re.compile(rf"^(?P<env>{_ENV_PREFIX}){_MIX}(?:phx|phoenix)\.server\s*$")
_RUN_NO_HALT = re.compile(rf"^(?P<env>{_ENV_PREFIX}){_MIX}run\s+--no-halt\s*$")
_ECTO_MIGRATE = re.compile(rf"^(?P<env>{_ENV_PREFIX}){_MIX}ecto\.migrate\s*$")
_REL_BINARY = re.compile(
    rf"^(?P<env>{_ENV_PREFIX})(?:\./)?_build/(?P<mixenv>\w+)/rel/(?P<name>\w+)/bin/(?P=name)\s+"
    r"(?P<cmd>start|foreground|(?:eval|rpc)\s+(?P<args>\S.*))\s*$")
_HEALTH = re.compile(r"/(?:_?health(?:z|check|_check)?|status|ping|up|alive|heartbeat)$", re.I)
# Pipelines that redirect visitors who are not logged in (`:browser_auth` that only loads a
# session does not).
_AUTH_PIPE = re.compile(r"require|ensure|authenticated|logged_in|admin|protected|private", re.I)


def detect(root: Path) -> Detection | None:
    facts = read_mix_project(root)
    if facts is None or not facts["phoenix"]:
        return None
    evidence = [f"mix.exs: depends on :phoenix{_version_suffix(facts['phoenix_version'])}"]
    if facts["umbrella"]:
        evidence.append(f"mix.exs: umbrella (apps: {', '.join(a['app'] or a['dir'] for a in facts['apps'])})")
    return Detection(name=NAME, evidence=evidence, facts=facts)


def _version_suffix(version: str | None) -> str:
    return f" {version}" if version else ""


# -- advice -----------------------------------------------------------------------------------


def advise(detection: Detection, ctx: AppContext) -> Advice:
    return advise_mix(detection.facts, ctx, phoenix=True)


def advise_mix(facts: dict, ctx: AppContext, *, phoenix: bool) -> Advice:
    """The Advice for a Mix project (Phoenix or not). Pure."""
    advice = Advice(build={}, internal_port=PORT)
    fly_host = f"{ctx.fly_app}.fly.dev"
    elixir, otp, versions_source = _versions(facts, advice.notes)
    image, image_notes = images.choose(elixir, otp)
    advice.notes.extend(image_notes)
    mix_env, mix_env_source = _mix_env(facts, ctx, advice.notes)

    default_web, why_web = _default_web(facts, ctx, phoenix)
    if not phoenix and not facts.get("http_server") and any(k != "release" for k in ctx.procfile):
        # A worker-only Mix app (a bot, a consumer): the buildpack's default web would be a
        # second copy of it with no port to check; its owners ran the Procfile's types.
        default_web = None
        advice.notes.append("No web process: the Procfile has none and the app has no HTTP "
                            "server dependency (cowboy, bandit), so no web group or HTTP service "
                            "is planned")
    heroku_lines = _common.web_processes(ctx, default_web, why_web, advice)
    heroku_release = ctx.procfile.get("release")
    build_reads, build_files = _build_time_reads(facts, mix_env)
    mode, reason, release_name, translated = _mode(facts, image, heroku_lines, heroku_release,
                                                   build_reads, build_files)
    advice.notes.append(f"Build: {'Mix release' if mode == 'release' else 'Mix, as on Heroku'} — {reason}")

    if mode == "release":
        advice.processes = {kind: translated[kind] for kind in heroku_lines}
        for kind, line in heroku_lines.items():
            advice.replaced[kind] = f"`{line}` runs as `{translated[kind]}` in the Mix release"
    else:
        advice.processes = dict(heroku_lines)

    migrate_line = "/app/bin/migrate" if mode == "release" else "mix ecto.migrate"
    if heroku_release and mode == "release":
        advice.release = Release(translated["release"], "the Procfile's release process, run by "
                                 "the release (a release has no Mix)", proposed=False)
        advice.replaced["release"] = f"`{heroku_release}` runs as `{translated['release']}`"
    else:
        advice.release = _common.release_from(
            ctx, migrate_line if facts["ecto"] else None,
            "Ecto migrations before each deploy, as Phoenix apps run them")
    db_hooks = _database_hooks(facts["buildpack"] or {})
    if db_hooks:
        names = ", ".join(f"{k} `{v}`" for k, v in db_hooks.items())
        if not heroku_release and advice.release is None:
            # Heroku's build could reach the database; a Fly build cannot, so the hook's
            # migration runs where Fly runs one: the release command, before each deploy.
            hook_line = next(iter(db_hooks.values()))
            line = (_release_command(hook_line, release_name or facts["mix_app"] or "app", True)
                    if mode == "release" else hook_line)
            if line:
                advice.release = Release(line, f"elixir_buildpack.config {names} ran against the "
                                         "database while Heroku built; a Fly build has none, so it "
                                         "runs before each deploy instead", proposed=True)
        advice.notes.append(f"elixir_buildpack.config {names} touches the database, which a "
                            "Docker build cannot reach: the Dockerfile leaves it out"
                            + (f"; release command: `{advice.release.line}`" if advice.release else ""))

    exported = re.findall(r"[A-Z_][A-Z0-9_]*", (facts["buildpack"] or {}).get("config_vars_to_export", ""))
    if exported:
        advice.notes.append(
            f"elixir_buildpack.config exported {', '.join(exported)} while compiling on Heroku; the "
            "Fly build has no secrets, so code that reads them at compile time (module attributes, "
            "Application.compile_env) gets nil: read them at boot, or pass them as build secrets")
    hook_vars = _hook_env_reads(facts["buildpack"] or {})
    if hook_vars or facts.get("private_hex"):
        private = (f"mix.exs fetches {', '.join(facts['private_hex'])} from a private Hex repo; "
                   if facts.get("private_hex") else "")
        hooks = (f"elixir_buildpack.config hooks read {', '.join(hook_vars)}; " if hook_vars else "")
        advice.manual_steps.append({
            "item": "Build credentials" + (f": {', '.join(hook_vars)}" if hook_vars else ""),
            "why": f"{private}{hooks}Heroku's build saw every config var, the Docker build sees "
                   "none, so `mix deps.get` or the hook fails",
            "how": "Pass them as build secrets (`fly deploy --build-secret NAME=...`) and read "
                   "them in the Dockerfile step with `RUN --mount=type=secret,id=NAME`, e.g. "
                   "before `mix deps.get`: `mix hex.repo add <repo> <url> --auth-key "
                   "\"$(cat /run/secrets/NAME)\"`"})
    if facts.get("build_time_required"):
        names = ", ".join(facts["build_time_required"])
        advice.manual_steps.append({
            "item": f"Config read while building: {names}",
            "why": "config files other than runtime.exs are evaluated by `mix compile` in the "
                   "Docker build, which sees no config vars (Heroku's build saw them all), and "
                   "System.fetch_env!, Map.fetch!(System.get_env(), ..) and String.to_integer "
                   "without a default stop the build",
            "how": "Move these reads to config/runtime.exs, or give them a default "
                   "(`System.get_env(\"X\") || \"...\"`), or pass non-secret values under "
                   "[build.args] in fly.toml"})
    if mode == "mix" and build_reads and (
            (facts["buildpack"] or {}).get("release") == "true"
            or any(_REL_BINARY.match(line.strip()) for line in heroku_lines.values())):
        advice.manual_steps.append({
            "item": "A release built with Heroku's config vars",
            "why": f"Heroku built the release with every config var set, so {', '.join(build_files)} "
                   f"baked {', '.join(build_reads[:4])} into it; the Fly build has none, so the "
                   "release would get nil",
            "how": "Move the System.get_env reads from config/prod.exs to config/runtime.exs "
                   "(Elixir >= 1.11) or config/releases.exs (1.9-1.10)"})
    assets = _asset_pipeline(facts, advice.notes)
    advice.env = _env(facts, ctx, advice, fly_host)
    advice.build_args = {"MIX_ENV": mix_env}
    advice.config = _config(facts, ctx, fly_host, assets)
    advice.health_check = _health(facts)
    build = {
        "mode": "dockerfile",
        "dockerfile": "Dockerfile",
        "generated": True,
        "framework": NAME if phoenix else "elixir",
        "elixir_mode": mode,
        "mode_reason": reason,
        "elixir_version": image.elixir,
        "otp_version": image.otp,
        "versions_asked": {"elixir": elixir, "otp": otp, "source": versions_source},
        "versions_source": versions_source,
        "image": image.to_dict(),
        "mix_env": mix_env,
        "mix_env_source": mix_env_source,
        "release_name": release_name or (facts["releases"][0] if facts["releases"] else None),
        "app": facts["mix_app"] or facts["web_app"] or "app",
        "umbrella": facts["umbrella"],
        "copy_tree_first": facts["umbrella"] or facts.get("mix_reads_files", False),
        "assets": assets,
        "buildpack": facts["buildpack"] or {},
        # In a Mix image, Procfile lines that run `_build/<env>/rel/...` need that release built.
        "build_release": (facts["buildpack"] or {}).get("release") == "true"
        or _runs_built_release(heroku_lines, heroku_release),
        "release_task": _release_task(facts),
        "runtime_packages": _runtime_packages(facts, ctx, advice.notes),
        "rust": facts.get("rust"),
        "web_line": advice.processes.get("web"),
        "migrate_expression": _migrate_expression(facts),
        "write_env_sh": not facts["rel_env_sh"],
        "ecto": facts["ecto"],
        "has_config": bool(facts["config_files"]),
    }
    advice.build = build
    # The image herokufly's Dockerfile makes; plan.py swaps in the repo's own Dockerfile when
    # there is one (and then runs Heroku's lines, not `replaced` ones).
    advice.image = machine.image_from_dockerfile(render_dockerfile(build))
    return advice


def _default_web(facts: dict, ctx: AppContext, phoenix: bool) -> tuple[str, str]:
    """The web process Heroku ran when the Procfile has none, and why."""
    buildpacks = [b.lower() for b in ctx.buildpacks]
    last = buildpacks[-1] if buildpacks else ""
    if "mix-release" in last:
        # chrismcg/heroku-buildpack-elixir-mix-release@a14381f bin/release (and its forks).
        app = facts["mix_app"] or "app"
        return (f"_build/prod/rel/{app}/bin/{app} start",
                "the Elixir mix release buildpack's default web (bin/release), the last buildpack")
    # Unknown buildpacks (offline, no app.json list): Phoenix apps on Heroku conventionally
    # add the static buildpack after the Elixir one (Phoenix's Heroku guide).
    static = phoenix and ("phoenix-static" in last or not buildpacks)
    if not static:
        return BUILDPACK_DEFAULT_WEB, ("the Elixir buildpack's default web (bin/release)"
                                       + (f"; {last} is the last buildpack" if last else ""))
    # `mix phx.server` exists from Phoenix 1.3; earlier apps ran `mix phoenix.server`.
    if (1, 0) <= version_tuple(facts["phoenix_version"])[:2] < (1, 3):
        return STATIC_DEFAULT_WEB_OLD, "the Phoenix static buildpack's default web for Phoenix < 1.3"
    return STATIC_DEFAULT_WEB, ("the Phoenix static buildpack's default web (bin/release), the "
                                "last buildpack" + ("" if buildpacks else " (assumed)"))


def _versions(facts: dict, notes: list[str]) -> tuple[str | None, str | None, str]:
    """Elixir and OTP as Heroku installed them: elixir_buildpack.config first (the buildpack
    strips everything but digits and dots), then .tool-versions, then mix.exs's requirement."""
    buildpack = facts["buildpack"] or {}
    tools = facts["tool_versions"]
    elixir = otp = None
    sources = []
    raw = buildpack.get("elixir_version")
    if raw and re.match(r"^\(?\s*branch\b", raw):
        notes.append(f"elixir_buildpack.config asks for an Elixir branch ({raw}); using a released "
                     "version instead")
    elif raw and version_tuple(raw):
        elixir = re.sub(r"[^0-9.]", "", raw.split("-otp-")[0])
        sources.append("elixir_buildpack.config")
    if buildpack.get("erlang_version") and version_tuple(buildpack["erlang_version"]):
        otp = re.sub(r"[^0-9.]", "", buildpack["erlang_version"])
        if "elixir_buildpack.config" not in sources:
            sources.append("elixir_buildpack.config")
    if elixir is None and tools.get("elixir") and version_tuple(tools["elixir"]):
        elixir = tools["elixir"].split("-otp-")[0]
        sources.append(".tool-versions")
    if otp is None and tools.get("erlang") and version_tuple(tools["erlang"]):
        otp = tools["erlang"]
        if ".tool-versions" not in sources:
            sources.append(".tool-versions")
    if otp is None:
        # `elixir 1.14.2-otp-25` names the OTP major its build targets.
        suffix = re.search(r"-otp-(\d+)", (raw or "") + " " + tools.get("elixir", ""))
        if suffix:
            otp = suffix.group(1)
    if elixir is None and facts["elixir_requirement"]:
        req = version_tuple(facts["elixir_requirement"])
        if req:
            elixir = ".".join(map(str, req[:2]))
            sources.append(f"mix.exs elixir: \"{facts['elixir_requirement']}\" (its oldest minor, "
                           "nearest the app's era)")
    if elixir is None:
        notes.append("No Elixir version in elixir_buildpack.config, .tool-versions or mix.exs; "
                     "using the newest image in the table")
    return elixir, otp, " + ".join(sources) or "default"


def _mix_env(facts: dict, ctx: AppContext, notes: list[str]) -> tuple[str, str]:
    """MIX_ENV as the Heroku build saw it: a Procfile prefix, app.json's declared value, else
    the buildpack default `prod`."""
    envs = set()
    for line in ctx.procfile.values():
        found = re.match(rf"^{_ENV_PREFIX}", line)
        for pair in (found.group(0).split() if found else []):
            key, _, value = pair.partition("=")
            if key == "MIX_ENV" and re.fullmatch(r"[a-z_]+", value):
                envs.add(value)
    if len(envs) == 1:
        value, source = envs.pop(), "the Procfile's MIX_ENV= prefix"
    elif facts["mix_env_declared"]:
        value, source = facts["mix_env_declared"]["value"], facts["mix_env_declared"]["source"]
    else:
        value, source = "prod", "the Elixir buildpack's default"
        custom = sorted(f[:-4] for f in facts["config_files"] if "." not in f[:-4]
                        and "secret" not in f and f[:-4] not in
                        ("config", "dev", "test", "prod", "runtime", "releases"))
        if "MIX_ENV" in ctx.config_var_names and custom:
            notes.append(f"MIX_ENV is set on Heroku but its value is not read; config/ also has "
                         f"{', '.join(c + '.exs' for c in custom)}. Building with MIX_ENV=prod: "
                         "change [build.args] MIX_ENV in fly.toml if Heroku used another")
    if f"{value}.exs" not in facts["config_files"] and facts.get("imports_env_config", True):
        # Only a config.exs that imports "#{Mix.env()}.exs" needs the file.
        notes.append(f"MIX_ENV={value} but config/{value}.exs does not exist; check the build")
    return value, source


def _build_time_reads(facts: dict, mix_env: str) -> tuple[list[str], list[str]]:
    """Variables read with System.get_env in the config Mix evaluates at build time for
    `mix_env` (config.exs, <env>.exs, <env>.secret.exs), and those files."""
    wanted = ("config.exs", f"{mix_env}.exs", f"{mix_env}.secret.exs")
    names, files = set(), []
    for path, reads in sorted(facts["config_env_reads"].items()):
        if Path(path).name in wanted and reads:
            names.update(reads)
            files.append(path)
    return sorted(names), files


def _mode(facts: dict, image: images.ElixirImage, lines: dict[str, str],
          release_line: str | None, reads: list[str], files: list[str]):
    """('release' | 'mix', why, release name, {type: release command})."""
    buildpack = facts["buildpack"] or {}
    names = facts["releases"]
    elixir = version_tuple(image.elixir)
    runtime_config = facts["runtime_exs"] or facts["releases_exs"]
    has_release_config = (bool(names) or runtime_config or buildpack.get("release") == "true"
                          or _runs_built_release(lines, release_line))
    where = " and ".join(files[:2]) + (" ..." if len(files) > 2 else "")
    read_at_boot = (f"{where} read {', '.join(reads[:4])} at boot, not at build time"
                    if reads else "the config is read at boot")
    if not has_release_config:
        return "mix", ("the app has no release config (no `releases:` in mix.exs, no "
                       f"config/runtime.exs), so it runs with Mix like on Heroku: {read_at_boot}"), None, {}
    if facts.get("releases_unread"):
        return "mix", ("mix.exs has `releases:` but its release names could not be read, so "
                       "the app runs with Mix like on Heroku"), None, {}
    if facts["distillery"] and not names:
        return "mix", ("rel/config.exs is Distillery's; Heroku's buildpack ran the app with "
                       "Mix, so the image does too"), None, {}
    if elixir < (1, 9):
        return "mix", f"Elixir {image.elixir} predates `mix release` (1.9)", None, {}
    if facts["umbrella"] and not names:
        return "mix", ("an umbrella needs `releases:` in mix.exs to build a release; it runs "
                       "with Mix like on Heroku"), None, {}
    if reads:
        runtime = (" (config/runtime.exs does not cover them)" if runtime_config else
                   " and there is no config/runtime.exs")
        return "mix", (f"{where} read {', '.join(reads[:4])} with System.get_env{runtime}: a "
                       "release would read them at build time (nil on Fly), so the app runs "
                       "with Mix like on Heroku"), None, {}
    name = names[0] if names else (facts["mix_app"] or "app")
    translated: dict[str, str] = {}
    for kind, line in list(lines.items()) + ([("release", release_line)] if release_line else []):
        command = _release_command(line, name, kind == "release")
        if command is None:
            return "mix", (f"the {kind} process `{line}` needs Mix, which a release does not "
                           "have, so the app runs with Mix like on Heroku"), None, {}
        translated[kind] = command
    why = ("config/runtime.exs" if facts["runtime_exs"] else "config/releases.exs" if
           facts["releases_exs"] else "`releases:` in mix.exs")
    return "release", (f"{why} gives the release its config at boot, and every process maps "
                       "onto the release"), name, translated


_BUILT_RELEASE = re.compile(r"(?:^|[\s;&|(])(?:\./)?_build/\w+/rel/\w+/bin/")


def _runs_built_release(lines: dict[str, str], release_line: str | None) -> bool:
    """A Procfile line runs a release the Heroku build made (release=true, a hook, or a
    release buildpack such as chrismcg/heroku-buildpack-elixir-mix-release)."""
    return any(_BUILT_RELEASE.search(line) for line in [*lines.values(), release_line or ""])


def _release_command(line: str, name: str, is_release: bool) -> str | None:
    """The release equivalent of a Procfile line (env prefixes other than MIX_ENV kept)."""
    line = line.strip()
    for pattern, command in ((_PHX_SERVER, "/app/bin/server"),
                             (_RUN_NO_HALT, f"/app/bin/{name} start"),
                             (_ECTO_MIGRATE, "/app/bin/migrate")):
        found = pattern.match(line)
        if found and (command != "/app/bin/migrate" or is_release):
            return _keep_env(found.group("env"), command)
    found = _REL_BINARY.match(line)
    if found and found.group("name") == name:
        # `eval "..."`/`rpc "..."` keep their (quoted) argument: the same binary in /app/bin.
        command = "start" if found.group("cmd") in ("start", "foreground") else found.group("cmd")
        return _keep_env(found.group("env"), f"/app/bin/{name} {command}")
    return None


def _keep_env(prefix: str, command: str) -> str:
    pairs = [p for p in prefix.split() if not p.startswith("MIX_ENV=")]
    return " ".join(pairs + [command])


def _release_task(facts: dict) -> str:
    """The command that builds the release a Procfile line runs: for Distillery, the task
    gigalixir/gigalixir-buildpack-distillery@200e424 (bin/compile) picks at build time
    (`distillery.release` when it exists, i.e. Distillery >= 2.1, else `release`, with
    `--env $MIX_ENV`); otherwise Elixir's own `mix release`."""
    if not facts.get("distillery"):
        return "mix release --overwrite"
    return ("if mix help distillery.release >/dev/null 2>&1; then "
            "mix distillery.release --env=${MIX_ENV}; else mix release --env=${MIX_ENV}; fi")


def _migrate_expression(facts: dict) -> str:
    if facts["release_module"]:
        return f"{facts['release_module']}.migrate()"
    app = facts["ecto_app"] or facts["mix_app"] or "app"
    return (f"Application.ensure_all_started(:ssl); Application.load(:{app}); "
            f"for repo <- Application.fetch_env!(:{app}, :ecto_repos), do: "
            "{:ok, _, _} = Ecto.Migrator.with_repo(repo, &Ecto.Migrator.run(&1, :up, all: true))")


def _asset_pipeline(facts: dict, notes: list[str]) -> dict:
    """How assets were built on Heroku: the Phoenix static buildpack (Node, `npm run deploy`,
    `mix phx.digest`), or Phoenix 1.6+'s `mix assets.deploy` (esbuild/tailwind)."""
    assets = facts["assets"]
    static = facts["static"]
    package = assets.get("package_json")
    tools = facts["tool_versions"]
    pipeline: dict = {"kind": "none", "node": None, "phoenix_dir": assets["phoenix_dir"]}
    # With the static buildpack configured, its compile script (default name `compile`) ran
    # instead of anything else (lib/build.sh run_compile), even in apps with `assets.deploy`.
    static_script = static is not None and assets["compile_script"] is not None
    if facts["assets_deploy_alias"] and not static_script:
        pipeline["kind"] = "assets.deploy"
        hooks = " ".join(str(v) for k, v in (facts["buildpack"] or {}).items() if "compile" in k)
        pipeline["in_hook"] = "assets.deploy" in hooks
        if package and package["dependencies"]:
            pipeline["node"] = _node_version(
                (static or {}).get("node_version") or tools.get("nodejs") or package["engines_node"],
                CURRENT_NODE_MAJOR)
            pipeline["dir"] = assets["dir"]
            # Yarn classic when the app locks with yarn (no version was ever pinned for it).
            pipeline["yarn"] = "1" if assets.get("yarn_lock") else None
            pipeline["package_lock"] = assets.get("package_lock", False)
        return pipeline
    if static is not None or package is not None:
        if package is None and assets["compile_script"] is None:
            notes.append("phoenix_static_buildpack.config is present but no package.json was found; "
                         "no asset build planned")
            return pipeline
        pipeline.update(
            kind="static-buildpack",
            node=_node_version((static or {}).get("node_version") or tools.get("nodejs")
                               or (package or {}).get("engines_node"), STATIC_DEFAULT_NODE),
            npm=(static or {}).get("npm_version"),
            yarn=((static or {}).get("yarn_version") or STATIC_DEFAULT_YARN) if assets.get("yarn_lock") else None,
            dir=assets["dir"] or str(Path(assets["phoenix_dir"]) / "assets"),
            compile_script=assets["compile_script"],
            package_json=package is not None,
            phoenix_ex=assets["phoenix_ex"],
            remove_node=(static or {}).get("remove_node") == "true",
        )
        if not ((static or {}).get("node_version") or tools.get("nodejs") or (package or {}).get("engines_node")):
            notes.append(f"No node_version in phoenix_static_buildpack.config: Node "
                         f"{STATIC_DEFAULT_NODE}, the buildpack's default, as on Heroku")
    return pipeline


def _node_version(asked: str | None, default: str) -> dict:
    """{'dir': nodejs.org/dist directory, 'shown': what was asked}; ranges use the newest of the
    major (nodejs.org's latest-vN.x), exact versions their own directory."""
    text = (asked or default).strip().lstrip("v=^~ ")
    exact = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if exact:
        return {"dir": f"v{text}", "shown": text}
    major = re.match(r"[><= ]*(\d+)", text)
    return {"dir": f"latest-v{major.group(1) if major else CURRENT_NODE_MAJOR}.x", "shown": text}


def _env(facts: dict, ctx: AppContext, advice: Advice, fly_host: str) -> dict[str, str]:
    """fly.toml [env]: PORT (Heroku set it, Phoenix apps read it), and framework variables only
    where the app reads them."""
    reads = facts["env_reads"]
    env = {"PORT": str(PORT)}
    domains = [d for d in ctx.domains if "*" not in d]
    if "PHX_HOST" in reads and "PHX_HOST" not in ctx.config_var_names:
        # The url host also decides check_origin: the custom domain once it points to Fly.
        env["PHX_HOST"] = domains[0] if domains else fly_host
        if domains:
            advice.notes.append(f"PHX_HOST is {domains[0]} (the app's custom domain): URLs and "
                                "the socket origin check use it, so before the DNS cutover "
                                f"LiveView and channels on {fly_host} are refused")
    host_vars = [v for v in ("HOST", "APP_HOST", "HOSTNAME", "URL_HOST", "CANONICAL_HOST",
                             "PUBLIC_HOST", "DOMAIN", "APP_DOMAIN", "WEB_HOST", "BASE_URL",
                             "APP_URL") if v in reads]
    if "PHX_HOST" not in reads:
        if host_vars:
            advice.notes.append(f"The app reads its host from {', '.join(host_vars)} "
                                f"({', '.join(reads[host_vars[0]])}); set it to {fly_host} "
                                "(or your domain) on Fly")
        elif facts["url_host"] and "herokuapp.com" in facts["url_host"]:
            advice.manual_steps.append({
                "item": f"Endpoint url host '{facts['url_host']}'",
                "why": "config/prod.exs hard-codes the Heroku host",
                "how": f"Change `url: [host: ...]` to \"{fly_host}\" or your custom domain"})
    host = facts.get("url_host")
    if (facts.get("sockets") and host and not facts.get("check_origin")
            and "herokuapp.com" not in host and "." in host
            and not re.fullmatch(r"(?:.*\.)?(?:example\.(?:com|org|net)|localhost)", host)):
        # Phoenix's default check_origin accepts only the endpoint's url host.
        advice.notes.append(
            f"Channels/LiveView sockets accept only the url host {host} (Phoenix's default "
            f"check_origin): they work on Fly once {host} points to it, not on {fly_host} "
            "before the cutover")
    literals = facts.get("heroku_host_literals") or []
    if literals:
        advice.manual_steps.append({
            "item": "Heroku host in config: " + ", ".join(sorted({v for _, v in literals})),
            "why": f"{', '.join(sorted({p for p, _ in literals}))} names the Heroku host (e.g. in "
                   "check_origin), so sockets and LiveView from the Fly host are refused",
            "how": f"Add https://{fly_host} (and your custom domains) next to it, or read the "
                   "list from an environment variable"})
    ipv6_env = facts.get("ipv6_env") or ("ECTO_IPV6" if "ECTO_IPV6" in reads else None)
    if ipv6_env:
        env[ipv6_env] = "true"
        if ipv6_env != "ECTO_IPV6":
            advice.notes.append(
                f"The app turns on IPv6 for Ecto with {ipv6_env} ({', '.join(reads.get(ipv6_env, []))}); "
                f"[env] sets {ipv6_env}=true because " + _common.IPV6_PRIVATE)
    elif facts["ecto"] and not facts["inet6"]:
        advice.manual_steps.append({
            "item": "IPv6 for Ecto",
            "why": _common.IPV6_PRIVATE + "; the Repo config has no :inet6 socket option",
            "how": _ipv6_how(facts)})
    if "DNS_CLUSTER_QUERY" in reads:
        env["DNS_CLUSTER_QUERY"] = f"{ctx.fly_app}.internal"
    return env


def _ipv6_how(facts: dict) -> str:
    repo = facts.get("repo_config")
    where = (f"In {repo['file']}, add `socket_options: [:inet6]` to `config :{repo['app']}, "
             f"{repo['repo']}, ...`" if repo else
             f"In config/runtime.exs (or config/prod.exs), add `socket_options: [:inet6]` to "
             f"`config :{facts['ecto_app'] or facts['mix_app']}, <Repo>`")
    return where + (" (or read ECTO_IPV6 as `mix phx.new` does since Phoenix 1.6: "
                    "`socket_options: if System.get_env(\"ECTO_IPV6\") in ~w(true 1), "
                    "do: [:inet6], else: []`)")


def _config(facts: dict, ctx: AppContext, fly_host: str, assets: dict) -> dict[str, ConfigVar]:
    languages = ("node",) if assets.get("node") else ()
    kinds = _common.config_kinds(ctx, languages, fly_host)
    for name in ELIXIR_BUILD_VARS:
        if name in ctx.config_var_names:
            kinds[name] = ConfigVar(BUILD, "read while building the Elixir app; set under "
                                    "[build.args] in fly.toml (the Dockerfile has ARG MIX_ENV)")
    return kinds


def _health(facts: dict):
    """A GET route the app serves without login: a health route, else "/", else the first."""
    forwards = [r for r in facts["routes"] if "forward" in r]
    routes = [r for r in facts["routes"] if "forward" not in r and ":" not in r["path"]
              and "*" not in r["path"]]
    open_routes = [r for r in routes if not any(_AUTH_PIPE.search(p) for p in r["pipes"])]
    ssl = " (the app forces SSL)" if facts["force_ssl"] else ""
    for route in open_routes:
        if _HEALTH.search(route["path"]):
            return _common.health_check(route["path"], f"{route['file']} routes GET {route['path']}{ssl}")
    for route in open_routes:
        if route["path"] == "/":
            return _common.health_check("/", f"{route['file']} routes GET /{ssl}")
    for route in facts["routes"]:
        # A root catch-all (`live "/*path"`) answers GET / too: a glob also matches no segment.
        if route["path"].startswith("/*") and "forward" not in route \
                and not any(_AUTH_PIPE.search(p) for p in route["pipes"]):
            return _common.health_check("/", f"{route['file']} routes GET {route['path']}, "
                                        f"which matches /{ssl}")
    if open_routes:
        first = open_routes[0]
        return _common.health_check(first["path"], f"{first['file']} has no / route; "
                                    f"GET {first['path']} is the first open one{ssl}")
    for route in forwards:
        # GraphiQL serves its page on GET; an API-only router (Absinthe) has nothing else.
        if "GraphiQL" in route["forward"] and not any(_AUTH_PIPE.search(p) for p in route["pipes"]):
            return _common.health_check(route["path"], f"{route['file']} has no GET route; "
                                        f"{route['forward']} at {route['path']} answers GET{ssl}")
    return _common.health_check("/", "no GET route found in a router; check the path in fly.toml"
                                + ssl)


# -- files ------------------------------------------------------------------------------------


def scaffold_files(plan: dict, root: Path) -> dict[str, tuple[str, int]]:
    build = plan["build"]
    if not build.get("generated") or "elixir_mode" not in build:
        return {}
    files = {"Dockerfile": (render_dockerfile(build), REGULAR),
             ".dockerignore": (_template("dockerignore.mix"), REGULAR)}
    if build["elixir_mode"] == "release":
        values = {"release_name": build["release_name"],
                  "migrate_expression": build["migrate_expression"].replace("'", "'\\''")}
        files["rel/overlays/bin/server"] = (_render("server.release", values), EXECUTABLE)
        if build["ecto"]:
            files["rel/overlays/bin/migrate"] = (_render("migrate.release", values), EXECUTABLE)
        if build["write_env_sh"] and not (Path(root) / "rel" / "env.sh.eex").exists():
            files["rel/env.sh.eex"] = (_template("env.sh.release"), REGULAR)
    return files


class _FileTemplate(Template):
    delimiter = "%%"  # Dockerfiles and shell scripts use ${...} themselves


def _template(name: str) -> str:
    return resources.files("herokufly").joinpath("templates", "phoenix", name).read_text(encoding="utf-8")


def _render(name: str, values: dict) -> str:
    return _FileTemplate(_template(name)).substitute(values)


def render_dockerfile(build: dict) -> str:
    image = build["image"]
    release = build["elixir_mode"] == "release"
    values = {
        "app": build["app"],
        "mode_reason": _wrap_comment(build["mode_reason"][:1].upper() + build["mode_reason"][1:]),
        "elixir_version": build["elixir_version"],
        "otp_version": build["otp_version"],
        "versions_source": f"asked: {build['versions_source']}",
        "evidence": "seen in use" if image["evidence"] == "seen" else "derived from hexpm/bob's rules",
        "builder_image": image["builder"],
        "runner_image": image["runner"],
        "apt_install": _apt(image, ["build-essential", "git", "ca-certificates", "curl", "xz-utils"]
                            + ([] if release else build.get("runtime_packages", []))),
        "runner_apt_install": _apt(image, _runner_packages(image) + build.get("runtime_packages", [])),
        "mix_env": build["mix_env"],
        "node_install": "\n".join(filter(None, (_rust_install(build.get("rust")),
                                                  _node_install(build["assets"])))),
        "deps_steps": _deps_steps(build),
        "compile_steps": _compile_steps(build, release),
        "assets_steps": _assets_steps(build["assets"]),
        "release_name": build.get("release_name") or "",
        "port": str(PORT),
        "cmd": _cmd(build),
    }
    return _render("Dockerfile.release" if release else "Dockerfile.mix", values)


def _wrap_comment(text: str, width: int = 94) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n# ".join(lines)


def _apt(image: dict, packages: list[str]) -> str:
    release = image["os_version"].split("-", 1)[0]
    install = f"apt-get install -y --no-install-recommends {' '.join(packages)}"
    if release in images.ARCHIVED_RELEASES:
        # Debian moves a release to archive.debian.org some time after its end of life.
        return ("RUN if ! apt-get update -y; then \\\n"
                "      sed -i -e 's|//deb.debian.org|//archive.debian.org|g' "
                "-e 's|//security.debian.org|//archive.debian.org|g' -e '/-updates/d' "
                "/etc/apt/sources.list \\\n"
                "      && apt-get -o Acquire::Check-Valid-Until=false update -y; \\\n"
                "    fi \\\n"
                f"    && {install} \\\n"
                "    && rm -rf /var/lib/apt/lists/*")
    return f"RUN apt-get update -y \\\n    && {install} \\\n    && rm -rf /var/lib/apt/lists/*"


def _runner_packages(image: dict) -> list[str]:
    release = image["os_version"].split("-", 1)[0]
    if release in ("bookworm", "trixie"):
        ssl, ncurses = ("libssl3t64" if release == "trixie" else "libssl3"), "libncurses6"
    else:
        ssl, ncurses = "libssl1.1", "libncurses5"
    return ["libstdc++6", "openssl", ssl, ncurses, "ca-certificates"]


def _node_install(assets: dict) -> str:
    node = assets.get("node")
    if not node:
        return ""
    lines = [
        f"# Node {node['shown']} for the asset build, from nodejs.org with its checksum.",
        f"ARG NODE_DIST={node['dir']}",
        "WORKDIR /tmp",
        'RUN arch="$(dpkg --print-architecture)"; [ "$arch" = amd64 ] && arch=x64; \\',
        '    curl -fsSLO "https://nodejs.org/dist/${NODE_DIST}/SHASUMS256.txt" \\',
        '    && file="$(grep -oE "node-v[0-9.]+-linux-${arch}\\.tar\\.gz$" SHASUMS256.txt | head -n1)" \\',
        '    && curl -fsSLO "https://nodejs.org/dist/${NODE_DIST}/${file}" \\',
        '    && grep " ${file}$" SHASUMS256.txt | sha256sum -c - \\',
        '    && tar -xzf "${file}" -C /usr/local --strip-components=1 --no-same-owner \\',
        '    && rm -f "${file}" SHASUMS256.txt',
        "WORKDIR /app",
    ]
    if assets.get("npm"):
        lines.append(f"RUN npm install -g npm@{assets['npm']}")
    if assets.get("yarn"):
        lines.append(f"RUN npm install -g yarn@{assets['yarn']}")
    return "\n".join(lines)


# Variables the buildpack itself sets while running hooks (lib/*.sh), not config vars.
_BUILDPACK_SHELL_VARS = {"MIX_ENV", "PATH", "HOME", "PWD", "build_path", "build_dir", "cache_path",
                         "env_path", "runtime_path", "erlang_version", "elixir_version"}


def _hook_env_reads(buildpack: dict) -> list[str]:
    """`$NAME` / `${NAME}` read by elixir_buildpack.config hooks (config vars at Heroku build)."""
    names = set()
    for key, value in buildpack.items():
        if key.startswith("hook_") or key in ("pre_compile", "post_compile"):
            names.update(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", str(value)))
    return sorted(names - _BUILDPACK_SHELL_VARS)


# Programs Heroku's stack image or a buildpack put on the dyno that Elixir libraries run as
# commands: Mogrify shells out to ImageMagick's `mogrify`/`convert` (Waffle/Arc transforms
# too); FFmpex/Thumbnex to `ffmpeg`. Debian package names.
_RUNTIME_TOOLS = (
    (r"mogrify|waffle|arc", "imagemagick", "ImageMagick (on Heroku's stack image)"),
    (r"ffmpex|thumbnex", "ffmpeg", "ffmpeg"),
)


def _runtime_packages(facts: dict, ctx: AppContext, notes: list[str]) -> list[str]:
    deps = facts.get("dep_names") or []
    packages = []
    for pattern, package, what in _RUNTIME_TOOLS:
        users = [d for d in deps if re.fullmatch(pattern, d)]
        by_buildpack = [str(b) for b in ctx.buildpacks if package in str(b).lower()]
        if users or by_buildpack:
            packages.append(package)
            notes.append(f"The image installs {package}: {', '.join(users + by_buildpack)} "
                         f"can run {what} at run time, which the Debian base image lacks")
    return packages


def _rust_install(rust: dict | None) -> str:
    """Rust for Rustler crates the app compiles itself (Heroku apps added a Rust buildpack);
    rustup is the Rust project's installer, pinned to the app's .tool-versions when it has one."""
    if not rust:
        return ""
    toolchain = rust.get("version") or "stable"
    return "\n".join([
        f"# Rust {toolchain} for the app's Rustler crates ({', '.join(rust['crates'])}), from rustup.",
        "ENV RUSTUP_HOME=/opt/rustup CARGO_HOME=/opt/cargo PATH=/opt/cargo/bin:$PATH",
        "RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \\",
        f"    | sh -s -- -y --profile minimal --default-toolchain {toolchain}",
    ])


# Mix tasks that need the database (Heroku's build had DATABASE_URL; a Docker build does not).
_DB_TASK = re.compile(r"\bmix\s[^;&|]*\becto\.(?:migrate|create|setup|reset|load|rollback|seed)\b|"
                      r"priv/repo/seeds\.exs")
_HOOK_KEYS = ("hook_pre_fetch_dependencies", "pre_compile", "hook_pre_compile", "hook_compile",
              "hook_post_compile", "post_compile")


def _split_hook(value: str) -> tuple[str, str]:
    """(the part a build can run, the part that needs the database) of a hook. Only an
    `eval ...` hook chains commands (the buildpack runs `$hook` word-split)."""
    if not _DB_TASK.search(value):
        return value, ""
    body = re.sub(r"^\s*eval\s+", "", value)
    if body == value:
        return "", value
    parts = [p for p in re.split(r"\s*(?:&&|;)\s*", body) if p]
    keep = [p for p in parts if not _DB_TASK.search(p)]
    return ("eval " + " && ".join(keep) if keep else ""), " && ".join(p for p in parts if _DB_TASK.search(p))


def _database_hooks(buildpack: dict) -> dict[str, str]:
    return {k: _split_hook(str(buildpack[k]))[1] for k in _HOOK_KEYS
            if buildpack.get(k) and _DB_TASK.search(str(buildpack[k]))}


def _hook(buildpack: dict, key: str) -> str:
    value = buildpack.get(key)
    # The buildpack runs hooks as unquoted `$hook`, i.e. word-split, not through a shell.
    if not value or value == "pwd":
        return ""
    if _DB_TASK.search(str(value)):
        build_part, db_part = _split_hook(str(value))
        comment = (f"# {key} from elixir_buildpack.config: `{db_part}` needs the database, which "
                   "a build cannot reach;\n# the plan moves it to fly.toml's release_command.")
        if not build_part:
            return comment
        value = build_part
        comment += "\n"
    else:
        comment = ""
    # A hook is the app's own command; a `cd` in it is not ours to turn into WORKDIR.
    ignore = "# hadolint ignore=DL3003\n" if re.search(r"(?:^|&&|;|\|\||\beval)\s*cd\s", value) else ""
    return f"{comment}# {key} from elixir_buildpack.config\n{ignore}RUN {value}"


def _deps_steps(build: dict) -> str:
    buildpack = build.get("buildpack") or {}
    steps = []
    if build.get("copy_tree_first", build["umbrella"]):
        steps.append("# An umbrella's apps each have a mix.exs (and often config/): copy the tree."
                     if build["umbrella"] else
                     "# mix.exs reads other files of the repo (e.g. VERSION): copy the tree first.")
        steps.append("COPY . .")
    else:
        steps.append("# Dependencies first, so code changes do not refetch them.")
        steps.append("COPY mix.exs mix.lock* ./")
        if build.get("has_config", True):
            steps.append("COPY config config")
    steps.append(_hook(buildpack, "hook_pre_fetch_dependencies"))
    steps.append("RUN mix deps.get --only ${MIX_ENV}")
    steps.append("RUN mix deps.compile")
    return "\n".join(s for s in steps if s)


def _compile_steps(build: dict, release: bool) -> str:
    buildpack = build.get("buildpack") or {}
    steps = [] if build.get("copy_tree_first", build["umbrella"]) else ["COPY . ."]
    steps.append(_hook(buildpack, "pre_compile"))
    steps.append(_hook(buildpack, "hook_pre_compile"))
    compile_cmd = buildpack.get("hook_compile")
    steps.append(_hook(buildpack, "hook_compile") if compile_cmd
                 else ("RUN mix compile" if release else "RUN mix compile --force"))
    steps.append(_hook(buildpack, "hook_post_compile"))
    hooks = " ".join(str(v) for k, v in buildpack.items() if "compile" in k)
    if not release and build.get("build_release") and "release" not in hooks:
        steps.append("# The Procfile runs a release the Heroku build made (release=true or a release buildpack).")
        steps.append(f"RUN {build.get('release_task') or 'mix release --overwrite'}")
    # The deprecated `post_compile` ran last, after the buildpack's own release step.
    steps.append(_hook(buildpack, "post_compile"))
    return "\n".join(s for s in steps if s)


def _assets_steps(assets: dict) -> str:
    kind = assets.get("kind")
    if kind == "assets.deploy":
        if assets.get("in_hook"):
            return "# mix assets.deploy runs in the elixir_buildpack.config hook above."
        steps = []
        if assets.get("node"):
            install = "yarn install --pure-lockfile" if assets.get("yarn") else (
                "npm ci" if assets.get("package_lock") else "npm install")
            steps += [f"WORKDIR {posixpath.normpath('/app/' + assets['dir'])}", f"RUN {install}",
                      "WORKDIR /app"]
        phoenix_dir = assets["phoenix_dir"]
        if phoenix_dir != ".":
            steps.append(f"WORKDIR /app/{phoenix_dir}")
        steps.append("RUN mix assets.deploy")
        if phoenix_dir != ".":
            steps.append("WORKDIR /app")
        return "# Phoenix 1.6+ assets (esbuild/tailwind through mix).\n" + "\n".join(steps)
    if kind != "static-buildpack":
        return ""
    phoenix_ex = assets["phoenix_ex"]
    app_dir = posixpath.normpath(f"/app/{assets['dir']}")
    install = ("yarn install --check-files --pure-lockfile" if assets.get("yarn")
               else "npm prune && npm install --quiet --unsafe-perm && npm rebuild && npm --unsafe-perm prune")
    lines = ["# Assets as the Phoenix static buildpack built them (lib/build.sh).", f"WORKDIR {app_dir}"]
    if assets.get("package_json", True):
        lines.append(f"RUN {install}")
    path = f"PATH={app_dir}/node_modules/.bin:$PATH"
    if assets.get("compile_script"):
        # The buildpack sourced the script with its own variables set, under errexit and pipefail
        # (bin/compile, lib/build.sh run_compile).
        phoenix_dir = posixpath.normpath(f"/app/{assets['phoenix_dir']}")
        lines.append("# The app's own compile script, sourced from the assets dir as the buildpack did.")
        lines.append(f"RUN build_dir=/app phoenix_dir={phoenix_dir} assets_dir={app_dir} "
                     f"phoenix_ex={phoenix_ex} {path} bash -eo pipefail -c '. /app/{assets['compile_script']}'")
    else:
        deploy = "yarn deploy" if assets.get("yarn") else "npm run deploy"
        lines.append(f"RUN {path} {deploy}")
        phoenix_dir = assets["phoenix_dir"]
        lines.append(f"WORKDIR /app/{phoenix_dir}" if phoenix_dir != "." else "WORKDIR /app")
        lines.append(f"RUN mix {phoenix_ex}.digest \\\n    && if mix help {phoenix_ex}.digest.clean "
                     f">/dev/null 2>&1; then mix {phoenix_ex}.digest.clean; fi")
    if assets.get("remove_node"):
        lines.append("# remove_node=true in phoenix_static_buildpack.config")
        lines.append(f"RUN rm -rf {app_dir}/node_modules")
    lines.append("WORKDIR /app")
    return "\n".join(lines)


def _cmd(build: dict) -> str:
    web = build.get("web_line") or "mix phx.server"
    if build["elixir_mode"] == "release":
        return '["/app/bin/server"]'
    argv = machine.shell_argv(web) if machine.needs_shell(web) else web.split()
    return "[" + ", ".join('"' + a.replace("\\", "\\\\").replace('"', '\\"') + '"' for a in argv) + "]"
