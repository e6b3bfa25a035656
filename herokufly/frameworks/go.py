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

from herokufly.base.errors import ConfigError
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
        # With a Dockerfile of its own the app builds from that image, not the builder.
        if legacy and not (Path(root) / "Dockerfile").is_file():
            raise ConfigError(f"{legacy}: a Go app without go.mod; Heroku's CNB builder builds "
                              "Go modules only", hint="Run `go mod init` and commit go.mod, "
                              "then plan again")
        return None
    module = re.search(r"^\s*module\s+\"?([^\s\"]+)\"?", text, re.M)
    version = re.search(r"^\s*go\s+(\d+\.\d+(?:\.\d+)?)\s*$", text, re.M)
    install = re.findall(r"^\s*//\s*\+heroku\s+install\s+(.+)$", text, re.M)
    packages = " ".join(install).split() if install else ["."]
    return Detection(NAME, ["go.mod"], {
        "module": module.group(1) if module else None,
        "go_version": version.group(1) if version else None,
        "heroku_install": packages if install else [],
        "main_packages": _main_packages(Path(root), packages),
    })


def _main_packages(root: Path, packages: list[str]) -> list[str]:
    """Relative dirs of the main packages `go install` builds for `packages`; a `/...`
    pattern expands to the main packages below it, in import-path order, as `go list` does."""
    found: list[str] = []
    for package in packages:
        if not package.startswith("."):
            found.append(package)  # a full import path: named as written
            continue
        rel = package.removeprefix("./").removeprefix(".").rstrip("/")
        if rel.endswith("..."):
            base = root / rel.removesuffix("...").rstrip("/")
            dirs = sorted({p.parent for p in base.rglob("*.go")}) if base.is_dir() else []
            found += [str(d.relative_to(root)) for d in dirs if _is_main(d)]
        else:
            found.append(rel)
    return found


def _is_main(directory: Path) -> bool:
    for source in sorted(directory.glob("*.go")):
        try:
            if re.search(r"^package\s+main\b", source.read_text(encoding="utf-8"), re.M):
                return True
        except (UnicodeDecodeError, OSError):
            continue
    return False


def default_binary(facts: dict) -> str | None:
    """The binary heroku/go makes the default `web` process run (proc.rs: a package named
    `web`, else the first), when it can name one."""
    module = facts.get("module") or ""
    names = []
    for package in facts.get("main_packages") or ["."]:
        if package in (".", ""):
            path = module
        elif "." in package.split("/", 1)[0]:
            path = package  # a full import path (example.com/...)
        else:
            path = f"{module}/{package}"
        names.append(path.rsplit("/", 1)[1] if "/" in path else None)
    if "web" in names:
        return "web"
    return names[0] if names else None


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
