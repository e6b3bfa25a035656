"""Fly app name and region rules, and Heroku -> Fly region mapping."""

from __future__ import annotations

import pytest

from herokufly.decide import names
from herokufly.base.errors import ConfigError


@pytest.mark.parametrize("name", ["acme", "acme-phoenix", "a", "a1", "9lives", "x" * 63])
def test_valid_fly_app_names(name):
    assert names.validate_fly_app_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "Acme", "acme_phoenix", "acme.phoenix", "-acme", "acme-", "x" * 64, "acme phoenix", "ácme"]
)
def test_invalid_fly_app_names_state_the_rule(name):
    with pytest.raises(ConfigError) as exc:
        names.validate_fly_app_name(name)
    assert "lowercase letters, digits and dashes" in exc.value.message
    assert "--fly-app" in (exc.value.hint or "")


def test_suggestion_is_valid():
    suggestion = names.suggest_fly_app_name("My_Shop.Prod")
    assert suggestion == "my-shop-prod"
    assert names.validate_fly_app_name(suggestion)


@pytest.mark.parametrize(
    "heroku, fly",
    [
        ("us", "iad"), ("eu", "lhr"), ("virginia", "iad"), ("oregon", "sjc"), ("dublin", "lhr"),
        ("frankfurt", "fra"), ("london", "lhr"), ("montreal", "yyz"), ("mumbai", "bom"),
        ("singapore", "sin"), ("sydney", "syd"), ("tokyo", "nrt"),
    ],
)
def test_heroku_regions_map_to_nearest_fly_region(heroku, fly):
    assert names.fly_region_for_heroku(heroku) == fly
    assert fly in names.FLY_REGIONS


def test_unknown_heroku_region_maps_to_none():
    assert names.fly_region_for_heroku("mars") is None


def test_region_validation():
    assert names.validate_region(" LHR ") == "lhr"
    with pytest.raises(ConfigError, match="'xyz' is not a Fly region code") as exc:
        names.validate_region("xyz")
    assert "iad" in exc.value.hint


def test_managed_postgres_region_falls_back_to_nearest():
    assert names.managed_postgres_region("fra") == "fra"
    assert names.managed_postgres_region("ewr") == "iad"
    assert names.managed_postgres_region("bom") == "sin"
    for region, (_, has_mpg) in names.FLY_REGIONS.items():
        assert names.FLY_REGIONS[names.managed_postgres_region(region)][1], region
