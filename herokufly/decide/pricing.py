"""Price look-ups from the one data file, herokufly/data/prices.json.

Every price there carries the date it was read (`taken`) and its source URL;
the plan's estimate repeats both so the user can judge how fresh it is.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from herokufly.base.inventory import Addon


@functools.lru_cache(maxsize=1)
def prices() -> dict:
    with resources.files("herokufly").joinpath("data", "prices.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def taken() -> str:
    return prices()["taken"]


def sources() -> dict[str, str]:
    return dict(prices()["sources"])


def normalize_dyno(size: str | None) -> str:
    return (size or "").strip().lower()


def heroku_dyno(size: str | None) -> dict | None:
    """Facts about a dyno size (memory_mb, monthly_usd, dedicated) or None if unknown."""
    return prices()["heroku"]["dynos"].get(normalize_dyno(size))


def heroku_dyno_monthly(size: str | None) -> float | None:
    dyno = heroku_dyno(size)
    return None if dyno is None else dyno["monthly_usd"]


def heroku_addon_monthly(addon: Addon) -> float | None:
    """The add-on's monthly price: Heroku's billed price when read online, else the table."""
    if addon.monthly_cents is not None:
        return addon.monthly_cents / 100
    return prices()["heroku"]["addon_plans"].get(addon.plan)


def region_multiplier(region: str) -> float:
    # Regions missing from Fly's published table are priced like the most expensive known one
    # rather than the cheapest, so the estimate errs high.
    table = prices()["fly"]["region_multiplier"]
    return table.get(region, max(table.values()))


def fly_machine_monthly(cpu_kind: str, cpus: int, memory_mb: int, region: str) -> float:
    """30 days of one running Machine: CPU preset price plus RAM above what it includes."""
    m = prices()["fly"]["machines"]
    if cpu_kind == "performance":
        base, included = m["performance_cpu_monthly_usd"], m["performance_included_mb_per_cpu"]
    else:
        base, included = m["shared_cpu_monthly_usd"], m["shared_included_mb_per_cpu"]
    extra_gb = max(0, memory_mb - cpus * included) / 1024
    price = cpus * base + extra_gb * m["extra_ram_monthly_usd_per_gb"]
    return round(price * region_multiplier(region), 2)


def fly_volume_monthly(size_gb: float) -> float:
    return round(size_gb * prices()["fly"]["volume_monthly_usd_per_gb"], 2)


def managed_postgres_plan(name: str) -> dict:
    return prices()["fly"]["managed_postgres"]["plans"][name]


def managed_postgres_storage_monthly(size_gb: float) -> float:
    return round(size_gb * prices()["fly"]["managed_postgres"]["storage_monthly_usd_per_gb"], 2)


def upstash_plan(name: str) -> dict:
    return prices()["fly"]["upstash_redis"]["fixed_plans"][name]


def upstash_plan_for(max_mb: int) -> str | None:
    """The smallest Upstash fixed plan holding `max_mb`, or None if none is large enough."""
    plans = prices()["fly"]["upstash_redis"]["fixed_plans"]
    for name, plan in sorted(plans.items(), key=lambda kv: kv[1]["max_mb"]):
        if plan["max_mb"] >= max_mb:
            return name
    return None


def certificates_monthly(count: int) -> float:
    fly = prices()["fly"]
    return round(max(0, count - fly["free_certificates"]) * fly["certificate_monthly_usd"], 2)


def managed_postgres_plans() -> dict[str, dict]:
    return dict(prices()["fly"]["managed_postgres"]["plans"])


@functools.lru_cache(maxsize=1)
def heroku_postgres_plans() -> dict:
    """Heroku Postgres plan facts (RAM, storage limit), herokufly/data/heroku_postgres_plans.json."""
    with resources.files("herokufly").joinpath("data", "heroku_postgres_plans.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def heroku_postgres_spec(plan_short: str | None) -> dict | None:
    """RAM/storage of a Heroku Postgres plan in any spelling (`standard-0`, `premium-7`,
    `essential-0`, `hobby-dev`, `in-dyno`...), or None when unknown."""
    table = heroku_postgres_plans()
    name = (plan_short or "").strip().lower()
    if name in table["named"]:
        return dict(table["named"][name], plan=name)
    tier, _, number = name.rpartition("-")
    if tier in table["production_tiers"] and number in table["by_number"]:
        return dict(table["by_number"][number], plan=name)
    return None
