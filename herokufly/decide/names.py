"""Fly app names and region codes: validation and Heroku -> Fly region mapping.

App name rule: flyctl's launch refuses any character outside `[a-z0-9-]`
("app name must consist of only lowercase letters, numbers, and dashes",
internal/command/launch/plan_builder.go). The name is also the DNS label of
`<app>.fly.dev`, so it may not start or end with a dash and is at most 63
characters long.

Regions: the list of https://fly.io/docs/reference/regions/ (superfly/docs
reference/regions.mdx, read 2026-11-25), with whether Managed Postgres runs there.
"""

from __future__ import annotations

import re

from herokufly.base.errors import ConfigError

APP_NAME_RULE = (
    "lowercase letters, digits and dashes only, not starting or ending with a dash, "
    "at most 63 characters"
)
_APP_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

# code -> (location, Managed Postgres available)
FLY_REGIONS: dict[str, tuple[str, bool]] = {
    "ams": ("Amsterdam, Netherlands", True),
    "arn": ("Stockholm, Sweden", False),
    "bom": ("Mumbai, India", False),
    "cdg": ("Paris, France", False),
    "dfw": ("Dallas, Texas (US)", True),
    "ewr": ("Secaucus, NJ (US)", False),
    "fra": ("Frankfurt, Germany", True),
    "gru": ("Sao Paulo, Brazil", True),
    "iad": ("Ashburn, Virginia (US)", True),
    "jnb": ("Johannesburg, South Africa", False),
    "lax": ("Los Angeles, California (US)", True),
    "lhr": ("London, United Kingdom", True),
    "nrt": ("Tokyo, Japan", True),
    "ord": ("Chicago, Illinois (US)", True),
    "sin": ("Singapore, Singapore", True),
    "sjc": ("San Jose, California (US)", True),
    "syd": ("Sydney, Australia", True),
    "yyz": ("Toronto, Canada", True),
}

# Heroku region name -> nearest Fly region. Common Runtime: us (Virginia) and
# eu (Dublin, nearest Fly region London). Private Spaces regions from
# https://devcenter.heroku.com/articles/regions.
HEROKU_TO_FLY_REGION: dict[str, str] = {
    "us": "iad",
    "eu": "lhr",
    "virginia": "iad",
    "oregon": "sjc",  # no Fly region in the Pacific Northwest; San Jose is nearest
    "dublin": "lhr",
    "frankfurt": "fra",
    "london": "lhr",
    "montreal": "yyz",  # Fly retired yul; Toronto is nearest
    "mumbai": "bom",
    "singapore": "sin",
    "sydney": "syd",
    "tokyo": "nrt",
}

# Nearest region with Managed Postgres for the regions that lack it.
NEAREST_MPG_REGION: dict[str, str] = {
    "arn": "ams",
    "bom": "sin",
    "cdg": "lhr",
    "ewr": "iad",
    "jnb": "fra",
}


def validate_fly_app_name(name: str) -> str:
    """Return `name` if Fly accepts it; raise ConfigError stating the rule otherwise."""
    if not name or not _APP_NAME.match(name):
        raise ConfigError(
            f"'{name}' is not a valid Fly app name: use {APP_NAME_RULE}",
            hint=f"For example --fly-app {suggest_fly_app_name(name) or 'my-app'}",
        )
    return name


def suggest_fly_app_name(name: str) -> str:
    """A valid Fly app name close to `name` (lowercased, other characters -> dash)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")
    return cleaned[:63].rstrip("-")


def validate_region(code: str) -> str:
    code = (code or "").strip().lower()
    if code not in FLY_REGIONS:
        raise ConfigError(
            f"'{code}' is not a Fly region code",
            hint="Use one of: " + ", ".join(sorted(FLY_REGIONS)) + " (see `fly platform regions`)",
        )
    return code


def fly_region_for_heroku(heroku_region: str | None) -> str | None:
    """The nearest Fly region for a Heroku region name, or None when unknown."""
    if not heroku_region:
        return None
    return HEROKU_TO_FLY_REGION.get(heroku_region.strip().lower())


def managed_postgres_region(region: str) -> str:
    """`region` if Managed Postgres runs there, else the nearest region where it does."""
    if FLY_REGIONS.get(region, ("", False))[1]:
        return region
    return NEAREST_MPG_REGION.get(region, "iad")
