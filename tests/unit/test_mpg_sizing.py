"""Managed Postgres sized from the Heroku plan: any plan spelling plans, none crashes."""

from __future__ import annotations

import pytest

from herokufly.decide import pricing
from herokufly.base.inventory import Addon
from herokufly.decide.plan import MPG_MIN_VOLUME_GB, PlanOptions, make_plan
from tests.unit.decide.test_plan import online_inventory


def plan_for(heroku_plan: str, postgres: str = "managed"):
    inventory = online_inventory()
    inventory.addons = [Addon("postgresql-x-1", "heroku-postgresql", f"heroku-postgresql:{heroku_plan}",
                              ["DATABASE_URL"], None)] + inventory.addons[1:]
    return make_plan(inventory, PlanOptions(heroku_app="acme-phoenix", postgres=postgres))


@pytest.mark.parametrize("heroku_plan, mpg_plan", [
    ("hobby-dev", "basic"), ("in-dyno", "basic"), ("essential-0", "basic"), ("mini", "basic"),
    ("standard-0", "launch"), ("premium-0", "launch"), ("standard-2", "launch"),
    ("standard-3", "scale"), ("premium-4", "scale"), ("premium-7", "scale"), ("shield-9", "scale"),
    ("private-5", "scale"), ("enterprise-galaxy-42", "basic"), ("", "basic"), ("STANDARD-0", "launch"),
])
def test_every_heroku_plan_spelling_plans(heroku_plan, mpg_plan):
    plan = plan_for(heroku_plan)
    pg = plan.postgres
    assert pg["plan"] == mpg_plan
    assert pg["pg_major"] == 17 and pg["volume_gb"] >= MPG_MIN_VOLUME_GB
    line = next(i for i in plan.estimate["items"] if i["item"].startswith("Managed Postgres " + mpg_plan))
    assert line["monthly_usd"] == pricing.managed_postgres_plan(mpg_plan)["monthly_usd"]
    assert "Postgres 17" in line["item"] and "GB RAM" in line["item"]
    storage = next(i for i in plan.estimate["items"] if i["item"].startswith("Managed Postgres storage"))
    assert "measured at provision" in storage["item"]


def test_plan_has_at_least_the_source_ram_when_fly_offers_it():
    mpg = pricing.managed_postgres_plans()
    for number, spec in pricing.heroku_postgres_plans()["by_number"].items():
        chosen = plan_for(f"standard-{number}").postgres["plan"]
        if spec["ram_mb"] <= mpg["scale"]["memory_mb"]:
            assert mpg[chosen]["memory_mb"] >= spec["ram_mb"], number


def test_a_source_larger_than_any_creatable_plan_is_noted_not_hidden():
    plan = plan_for("premium-7")
    assert plan.postgres["plan"] == "scale"
    assert any("more than any Managed Postgres plan" in n for n in plan.notes)


def test_performance_is_never_chosen_because_flyctl_cannot_create_it():
    chosen = {plan_for(f"premium-{n}").postgres["plan"] for n in pricing.heroku_postgres_plans()["by_number"]}
    assert "performance" not in chosen


def test_unknown_plan_is_noted():
    plan = plan_for("enterprise-galaxy-42")
    assert any("not in herokufly's table" in n for n in plan.notes)


def test_storage_limit_is_shown_when_known():
    assert "Heroku plan limit 64 GB" in plan_for("standard-0").postgres["volume_basis"]


def test_keep_heroku_prices_the_kept_plan():
    plan = plan_for("standard-0", postgres="keep-heroku")
    assert any(i["item"].startswith("Heroku Postgres kept") for i in plan.estimate["items"])


@pytest.mark.parametrize("heroku_plan, key, shown", [
    ("premium-0", "fixed-250mb", "Fixed 250MB"), ("premium-5", "fixed-1gb", "Fixed 1GB"),
    ("premium-9", "fixed-10gb", "Fixed 10GB"), ("unknown-plan", "fixed-250mb", "Fixed 250MB"),
])
def test_redis_gets_the_fixed_plan_flyctl_matches(heroku_plan, key, shown):
    inventory = online_inventory()
    inventory.addons = [inventory.addons[0], Addon("redis-x-2", "heroku-redis", f"heroku-redis:{heroku_plan}",
                                                   ["REDIS_URL"], None)] + inventory.addons[2:]
    redis = make_plan(inventory, PlanOptions(heroku_app="acme-phoenix")).redis
    assert redis["plan"] == key and redis["flyctl_plan"] == shown
