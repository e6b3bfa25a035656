"""Settings read from the environment; secret fields never show in repr."""

from __future__ import annotations

import dataclasses
import os
import shutil

from herokufly.base import masking

DEFAULT_HEROKU_API_URL = "https://api.heroku.com"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
# Set by --mask-all-config and by the action input mask_all_config.
MASK_ALL_CONFIG_ENV = "HEROKUFLY_MASK_ALL_CONFIG"


def env_flag(value: str | None) -> bool:
    """A yes/no setting from the environment or an action input: 1/true/yes/on."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclasses.dataclass(frozen=True)
class Settings:
    heroku_api_url: str = DEFAULT_HEROKU_API_URL
    heroku_api_key: str | None = dataclasses.field(default=None, repr=False)
    fly_api_token: str | None = dataclasses.field(default=None, repr=False)
    flyctl: str | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_token: str | None = dataclasses.field(default=None, repr=False)
    github_actions: bool = False
    debug: bool = False
    # --mask-all-config / HEROKUFLY_MASK_ALL_CONFIG=1: mask every config value, public or not.
    mask_all_config: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        settings = cls(
            heroku_api_url=(env.get("HEROKU_API_URL") or DEFAULT_HEROKU_API_URL).rstrip("/"),
            heroku_api_key=env.get("HEROKU_API_KEY") or None,
            fly_api_token=env.get("FLY_API_TOKEN") or env.get("FLY_ACCESS_TOKEN") or None,
            flyctl=env.get("FLYCTL") or shutil.which("flyctl") or shutil.which("fly"),
            github_api_url=(env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/"),
            github_token=env.get("GITHUB_TOKEN") or None,
            github_actions=env.get("GITHUB_ACTIONS") == "true",
            debug=env.get("HEROKUFLY_DEBUG") == "1",
            mask_all_config=env_flag(env.get(MASK_ALL_CONFIG_ENV)),
        )
        if settings.mask_all_config:
            # Only ever switched on: a later Settings without it must not unmask anything.
            masking.mask_all_config()
        for secret in (settings.heroku_api_key, settings.fly_api_token, settings.github_token):
            masking.register(secret)
        return settings
