"""Price data: one file with its date and sources, and Fly's published figures reproduced."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from herokufly.decide import pricing
from herokufly.base.inventory import Addon

DATA = Path(pricing.__file__).parents[1] / "data" / "prices.json"


def test_price_file_has_date_and_sources():
    data = json.loads(DATA.read_text())
    datetime.date.fromisoformat(data["taken"])
    assert pricing.taken() == data["taken"]
    assert all(url.startswith("https://") for url in pricing.sources().values())
    assert {"fly_machines", "heroku_dynos", "fly_managed_postgres", "fly_upstash_redis"} <= set(pricing.sources())


@pytest.mark.parametrize(
    "cpu_kind, cpus, memory_mb, published",
    [
        # fly.io/docs/about/pricing: iad prices for 30 days
        ("shared", 1, 256, 2.19),
        ("shared", 1, 512, 3.69),
        ("shared", 1, 1024, 6.70),
        ("shared", 2, 2048, 13.39),
        ("performance", 1, 2048, 33.00),
        ("performance", 2, 4096, 66.00),
    ],
)
def test_machine_prices_match_published_figures(cpu_kind, cpus, memory_mb, published):
    assert pricing.fly_machine_monthly(cpu_kind, cpus, memory_mb, "iad") == pytest.approx(published, abs=0.011)


def test_region_multiplier_raises_price():
    assert pricing.fly_machine_monthly("shared", 1, 1024, "fra") == pytest.approx(7.73, abs=0.011)
    # A region missing from the price table is priced high, not low.
    assert pricing.region_multiplier("zzz") == max(json.loads(DATA.read_text())["fly"]["region_multiplier"].values())


def test_heroku_dyno_prices_and_memory():
    assert pricing.heroku_dyno_monthly("Standard-1X") == 25
    assert pricing.heroku_dyno_monthly("standard-2x") == 50
    assert pricing.heroku_dyno_monthly("Performance-L") == 500
    assert pricing.heroku_dyno_monthly("private-m") is None  # not published
    assert pricing.heroku_dyno("performance-m")["memory_mb"] == 2560
    assert pricing.heroku_dyno("nope") is None


def test_addon_price_prefers_heroku_billed_price():
    billed = Addon(name="pg", service="heroku-postgresql", plan="heroku-postgresql:standard-0", monthly_cents=4321)
    assert pricing.heroku_addon_monthly(billed) == 43.21
    table = Addon(name="pg", service="heroku-postgresql", plan="heroku-postgresql:essential-0")
    assert pricing.heroku_addon_monthly(table) == 5
    unknown = Addon(name="x", service="x", plan="x:y")
    assert pricing.heroku_addon_monthly(unknown) is None


def test_upstash_plan_for_memory():
    assert pricing.upstash_plan_for(25) == "fixed-250mb"
    assert pricing.upstash_plan_for(1024) == "fixed-1gb"
    assert pricing.upstash_plan_for(7168) == "fixed-10gb"
    assert pricing.upstash_plan_for(10 ** 6) is None


def test_certificates_first_ten_free():
    assert pricing.certificates_monthly(3) == 0
    assert pricing.certificates_monthly(12) == pytest.approx(0.20)


@pytest.mark.parametrize("plan, ram_mb, storage_gb", [
    ("standard-0", 4096, 64), ("premium-0", 4096, 64), ("private-2", 8192, 256), ("shield-7", 249856, 2048),
    ("essential-0", None, 1), ("hobby-dev", None, 1), ("mini", None, 1), ("in-dyno", None, None),
    (" Standard-3 ", 15360, 512),
])
def test_heroku_postgres_spec_any_spelling(plan, ram_mb, storage_gb):
    spec = pricing.heroku_postgres_spec(plan)
    assert spec["ram_mb"] == ram_mb and spec["storage_gb"] == storage_gb


@pytest.mark.parametrize("plan", ["", None, "standard-1", "enterprise-galaxy-42", "premium", "0"])
def test_unknown_heroku_postgres_plan_is_none(plan):
    assert pricing.heroku_postgres_spec(plan) is None


def test_heroku_postgres_table_is_dated_sourced_and_marked():
    table = pricing.heroku_postgres_plans()
    assert table["taken"] and all(url.startswith("https://devcenter.heroku.com/") for url in table["sources"].values())
    rows = list(table["by_number"].values()) + list(table["named"].values())
    assert all("verified" in row for row in rows)


def test_mpg_plans_follow_flyctl_plans_go():
    plans = pricing.managed_postgres_plans()
    assert {k: v["monthly_usd"] for k, v in plans.items()} == {
        "basic": 38, "starter": 72, "launch": 282, "scale": 962, "performance": 1922}
    assert plans["performance"]["flyctl_selectable"] is False
    assert all(p["display_name"].startswith("Fixed ") for p in
               pricing.prices()["fly"]["upstash_redis"]["fixed_plans"].values())
