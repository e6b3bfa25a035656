"""Heroku's CNB builders and the runtime versions they install (data/builders.json)."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from herokufly.frameworks._files import version_tuple


@functools.cache
def data() -> dict:
    text = resources.files("herokufly").joinpath("data", "builders.json").read_text(encoding="utf-8")
    return json.loads(text)


def builder_for_stack(stack: str | None) -> tuple[str, str, list[str]]:
    """(builder image, stack it stands for, notes). Only builders that exist are returned."""
    builders = data()["builders"]
    notes: list[str] = []
    if stack in builders:
        entry = builders[stack]
        if entry["status"] == "deprecated":
            notes.append(f"{entry['image']} is deprecated by Heroku; move to heroku/builder:24 "
                         "when you can")
        return entry["image"], stack, notes
    default = data()["default_builder"]
    default_stack = next(s for s, e in builders.items() if e["image"] == default)
    if stack and re.fullmatch(r"(heroku-\d+|cedar(-14)?)", stack):
        notes.append(f"Heroku publishes no CNB builder for {stack} (only "
                     f"{', '.join(sorted(builders))}); planned {default}: check the app builds "
                     "on the newer stack")
    return default, default_stack, notes


def check_runtime(language: str, version: str | None, stack: str) -> str | None:
    """A warning when `version` is older than what the builder for `stack` installs."""
    if not version:
        return None
    minimum = data()["runtimes"].get(language, {}).get("min", {}).get(stack)
    wanted = version_tuple(version)
    if minimum and wanted and wanted < version_tuple(minimum)[:len(wanted)]:
        return (f"{language} {version} is older than the oldest {language} the {stack} builder "
                f"installs ({minimum}); raise the pinned version before deploying")
    return None


# Heroku's classic language buildpacks and their Cloud Native Buildpack ids (the builder's
# [[buildpacks]] in heroku/cnb-builder-images builder-24/builder.toml).
_LANGUAGES = ("nodejs", "python", "ruby", "php", "java", "go", "scala", "gradle", "dotnet")


def cnb_language_buildpacks(heroku_buildpacks: list[str]) -> list[str]:
    """The CNB ids of the official language buildpacks Heroku ran, in Heroku's order."""
    ids = []
    for name in heroku_buildpacks:
        match = re.fullmatch(r"(?:heroku/|https://github\.com/heroku/heroku-buildpack-)"
                             r"([\w-]+?)(?:\.git)?/?", name.strip())
        language = match.group(1) if match else None
        if language == "gradle":
            language = "java"
        if language in _LANGUAGES and f"heroku/{language}" not in ids:
            ids.append(f"heroku/{language}")
    return ids


def multi_language_step(heroku_buildpacks: list[str]) -> tuple[list[str], dict] | None:
    """(buildpacks, manual step) when Heroku ran more than one language buildpack: the builder
    picks one language group by detection (python before nodejs in builder-24's [[order]]), so
    the others would not run unless fly.toml lists them all."""
    ids = cnb_language_buildpacks(heroku_buildpacks)
    if len(ids) < 2:
        return None
    ids.append("heroku/procfile")  # Procfile processes come from it
    listed = ", ".join(f'"{i}"' for i in ids)
    return ids, {
        "item": "Buildpacks " + ", ".join(ids[:-1]),
        "why": "Heroku ran these buildpacks in this order; the CNB builder picks one language by "
               "detection, so the others would not run",
        "how": f"Under [build] in fly.toml set `buildpacks = [{listed}]`",
    }


# Heroku's CNB platform (Fir) passes config vars to the build only when project.toml opts in
# ([com.heroku.build.labs] build_config_vars = true, as in heroku-examples/luminaire-solar-ui-demo).
_BUILD_CONFIG_VARS = re.compile(r"^\s*build_config_vars\s*=\s*true\b", re.M)


def build_sees_config_vars(project_toml: str | None) -> bool:
    return bool(project_toml and _BUILD_CONFIG_VARS.search(project_toml))


BUILD_CONFIG_VARS_STEP = {
    "item": "Config vars the build read (project.toml build_config_vars)",
    "why": "project.toml let Heroku's build read the app's config vars; a Fly build sees only "
           "fly.toml [build.args], and herokufly cannot tell which ones the build reads",
    "how": "Put each variable the build needs (e.g. NEXT_PUBLIC_*, VITE_*) under [build.args] "
           "in fly.toml with its value from `heroku config:get NAME`; never secrets (build args "
           "are stored in the image)",
}
