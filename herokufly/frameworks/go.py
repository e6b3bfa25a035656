"""Go modules (go.mod). Heroku's CNB builder has heroku/go, which detects on go.mod only
(heroku/buildpacks-go buildpacks/go/src/main.rs `detect`). Without a Procfile it registers
a default `web` process that execs the binary named after the main package's last import
path element, and fails the build when that path has no `/` (buildpacks/go/src/proc.rs
`build_procs`); with a Procfile it registers none. Classic Heroku's Go buildpack had no
default process (heroku/heroku-buildpack-go bin/release prints `{}`).
"""

from __future__ import annotations

import re
from pathlib import Path

from herokufly.errors import ConfigError
from herokufly.frameworks import Advice, AppContext, Detection
from herokufly.frameworks import _common
from herokufly.frameworks._files import read_text

NAME = "go"
# Dependency managers before modules: the classic buildpack still detected them to print a
# migration error (heroku-buildpack-go bin/detect); the CNB one never does.
_LEGACY = ("Godeps/Godeps.json", "Gopkg.lock", "vendor/vendor.json", "glide.yaml")


def detect(root: Path) -> Detection | None:
    text = read_text(root, "go.mod")
    if text is None:
        legacy = next((f for f in _LEGACY if (Path(root) / f).is_file()), None)
        if legacy:
            raise ConfigError(f"{legacy}: a Go app without go.mod; Heroku's CNB builder builds "
                              "Go modules only", hint="Run `go mod init` and commit go.mod, "
                              "then plan again")
        return None
    module = re.search(r"^\s*module\s+\"?([^\s\"]+)\"?", text, re.M)
    version = re.search(r"^\s*go\s+(\d+\.\d+(?:\.\d+)?)\s*$", text, re.M)
    install = re.findall(r"^\s*//\s*\+heroku\s+install\s+(.+)$", text, re.M)
    return Detection(NAME, ["go.mod"], {
        "module": module.group(1) if module else None,
        "go_version": version.group(1) if version else None,
        "heroku_install": " ".join(install).split() if install else [],
    })


def default_binary(facts: dict) -> str | None:
    """The binary heroku/go makes the default `web` process run, when it can name one."""
    packages = facts.get("heroku_install") or ["."]
    module = facts.get("module") or ""
    first = packages[0]
    if first in (".", "./"):
        path = module
    elif first.startswith("./"):
        path = f"{module}/{first[2:]}".rstrip("/").removesuffix("/...")
    else:
        path = first.removesuffix("/...")
    return path.rsplit("/", 1)[1] if "/" in path else None


def advise(detection: Detection, ctx: AppContext) -> Advice:
    facts = detection.facts
    advice = Advice(build={})
    advice.build = _common.buildpacks_build(ctx, "go", facts.get("go_version"),
                                            "go.mod" if facts.get("go_version") else None,
                                            advice.notes)
    default = None
    if "web" not in ctx.procfile and ctx.user_dockerfile is None:
        default = default_binary(facts)
        if default is None:
            raise ConfigError(
                f"go.mod: module path '{facts.get('module') or ''}' has no '/', so Heroku's Go "
                "buildpack cannot name a default web process and the build fails",
                hint="Add a Procfile with `web: <your binary>` and plan again")
    advice.processes = _common.web_processes(ctx, default, "heroku/go's default process: "
                                             "the main package's binary", advice)
    advice.release = _common.release_from(ctx, None, "")
    advice.health_check = _common.root_health_check()
    advice.config = _common.config_kinds(ctx, ("go",), f"{ctx.fly_app}.fly.dev")
    advice.notes.append(f"{_common.IPV6_PRIVATE}; Go's resolver reaches it without a setting "
                        "(listen on \":$PORT\", not 127.0.0.1)")
    advice.image = _common.buildpacks_image(ctx, advice.processes)
    return advice
