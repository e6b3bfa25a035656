"""Advice pieces every framework shares: build mode, processes, config kinds, IPv6."""

from __future__ import annotations

import re

from herokufly.base import machine
from herokufly.frameworks import (BUILD, HEROKU_HOST, HEROKU_ONLY, Advice, AppContext,
                                  ConfigVar, HealthCheck, Release)
from herokufly.frameworks._runtime import builder_for_stack, check_runtime

# Heroku build settings that mean nothing on Fly (dropped, with the reason).
HEROKU_BUILD_SETTINGS = {
    "BUILDPACK_URL": "a Heroku build setting; Fly builds with the builder or Dockerfile in fly.toml",
    "PROCFILE_PATH": "a Heroku build setting; herokufly read that Procfile into fly.toml",
    "STACK": "a Heroku build setting; the builder in fly.toml picks the base image",
    "SOURCE_VERSION": "set by Heroku's build system",
    "ON_HEROKU": "marks Heroku; on Fly test FLY_APP_NAME instead",
    "APP_BASE": "a Heroku monorepo buildpack setting; herokufly planned from that directory",
}
# Read only while building (fly.toml [build.args]), per language.
BUILD_VARS = {
    "node": ("NPM_CONFIG_PRODUCTION", "YARN_PRODUCTION", "NODE_MODULES_CACHE", "USE_NPM_INSTALL",
             "NPM_CONFIG_LOGLEVEL", "NODE_VERBOSE", "USE_YARN_CACHE", "NPM_CONFIG_INCLUDE"),
    "ruby": ("BUNDLE_WITHOUT", "BUNDLE_BUILD__SASSC", "SECRET_KEY_BASE_DUMMY", "ASSET_PRECOMPILE"),
    "python": ("DISABLE_COLLECTSTATIC", "DEBUG_COLLECTSTATIC", "PIP_EXTRA_INDEX_URL_BUILD"),
    "java": ("MAVEN_CUSTOM_OPTS", "MAVEN_CUSTOM_GOALS", "MAVEN_SETTINGS_PATH", "GRADLE_TASK",
             "MAVEN_JAVA_OPTS"),
    "php": ("COMPOSER_AUTH_BUILD",),
}


# Credentials the build reads (bundler's per-host gem-server logins, npm registry tokens).
BUILD_CREDENTIALS = {
    "ruby": re.compile(r"^BUNDLE_[A-Z0-9_]*__[A-Z0-9_]+$"),
    "node": re.compile(r"^(NPM_TOKEN|NPM_AUTH_TOKEN|NODE_AUTH_TOKEN)$"),
    # Composer's private-repository logins (getcomposer.org/doc/03-cli.md#composer-auth);
    # the classic PHP buildpack also read COMPOSER_GITHUB_OAUTH_TOKEN while building.
    "php": re.compile(r"^(COMPOSER_AUTH|COMPOSER_GITHUB_OAUTH_TOKEN)$"),
}


def buildpacks_build(ctx: AppContext, language: str, version: str | None,
                     version_source: str | None, advice_notes: list[str]) -> dict:
    """The CNB builder for the app's stack, with the runtime pin checked against it."""
    builder, stack, notes = builder_for_stack(ctx.stack)
    advice_notes.extend(notes)
    warning = check_runtime(language, version, stack)
    if warning:
        advice_notes.append(warning)
    return {"mode": "buildpacks", "builder": builder, "stack": stack,
            "runtime": {"language": language, "version": version, "source": version_source,
                        "supported": warning is None}}


# Classic buildpacks Heroku ran -> the CNB buildpack in heroku/builder that does the same
# (heroku/cnb-builder-images builder-24/builder.toml; heroku/java builds Maven and Gradle).
def buildpacks_image(ctx: AppContext, processes: dict[str, str]) -> machine.Image:
    return machine.image_from_buildpacks(processes)


def config_kinds(ctx: AppContext, languages: tuple[str, ...], fly_host: str) -> dict[str, ConfigVar]:
    """Every config var that is not a plain runtime secret, with its kind and reason."""
    kinds: dict[str, ConfigVar] = {}
    names = set(ctx.config_var_names)
    build_vars = {v for lang in languages for v in BUILD_VARS.get(lang, ())}
    for name in sorted(names):
        if name in HEROKU_BUILD_SETTINGS:
            kinds[name] = ConfigVar(HEROKU_ONLY, HEROKU_BUILD_SETTINGS[name])
        elif any(BUILD_CREDENTIALS[lang].match(name) for lang in languages if lang in BUILD_CREDENTIALS):
            kinds[name] = ConfigVar(BUILD, "a credential the build reads (gem server or package "
                                    "registry login)", credential=True)
        elif name in build_vars or (name.startswith(("NPM_CONFIG_", "YARN_")) and "node" in languages):
            kinds[name] = ConfigVar(BUILD, "read while building; set it under [build.args] in "
                                    "fly.toml (not a secret: build args are stored in the image)")
    targets = ", ".join([fly_host, *ctx.domains])
    for name in ctx.host_bound_vars:
        if name in names:
            kinds[name] = ConfigVar(HEROKU_HOST, "its value names the .herokuapp.com host",
                                    fly_value=targets)
    return kinds


def health_check(path: str, why: str) -> HealthCheck:
    # Fly's proxy sets X-Forwarded-Proto on real requests; the checker does not, so an app
    # that forces SSL would answer 301 to the check without it.
    return HealthCheck(path=path, headers={"X-Forwarded-Proto": "https"}, why=why)


def root_health_check() -> HealthCheck:
    """The fallback when no health route is known: the app's root."""
    return health_check("/", "the app's root; no health route is known")


def release_from(ctx: AppContext, proposal: str | None, why: str) -> Release | None:
    """The Procfile's own release line, else `proposal` when the app has a database."""
    own = ctx.procfile.get("release")
    if own:
        return Release(own, "the Procfile's release process, as on Heroku", proposed=False)
    if proposal and ctx.has_database and ctx.release_migrations:
        return Release(proposal, why + " (turn off with --no-release-migrations)")
    return None


def web_processes(ctx: AppContext, default_web: str | None, why: str,
                  advice: Advice) -> dict[str, str]:
    """Procfile processes (release excluded), plus the buildpack's default web if none."""
    processes = {k: v for k, v in ctx.procfile.items() if k != "release"}
    if "web" not in processes and default_web:
        processes["web"] = default_web
        advice.notes.append(f"No web process in the Procfile; planned `{default_web}` ({why})")
    return processes


IPV6_PRIVATE = ("Fly's private network (.internal and .flycast names, Upstash Redis, Managed "
                "Postgres) is IPv6")
