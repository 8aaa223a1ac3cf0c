"""Credits in the support policy: off on the shipped traffic-light desk, on for the credits desk, errors named."""
from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.tickets.policy import PolicyError, load_policy
from tests.test_policy import _set

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "site_config" / "support.yml"
CREDITS_DESK = ROOT / "site_config" / "support-credits.yml"


def test_the_traffic_light_desk_does_not_charge_and_offers_cover_with_notice() -> None:
    policy = load_policy(SHIPPED)
    assert policy.credits is None
    public = json.loads(json.dumps(policy.public()))
    assert (public["credits"], public["out_of_hours"]) == (None, {"notice_hours": 48})


def test_the_credits_desk_publishes_its_grant_categories_and_packages() -> None:
    policy = load_policy(CREDITS_DESK)
    assert policy.credits is not None and policy.credits.grant == 40
    public = json.loads(json.dumps(policy.public()))["credits"]
    assert [(c["key"], c["credits"]) for c in public["categories"]] == [
        ("explanation", 5), ("standard", 10), ("investigation", 20), ("software_error", 0)]
    assert public["categories"][1]["description"].startswith("Resolving problems caused by incorrect settings")
    assert set(public["categories"][0]) == {"key", "label", "credits", "description"}
    assert [(p["credits"], p["price"], p["currency"]) for p in public["packages"]] == [
        (10, "50.00", "USD"), (25, "125.00", "USD"), (50, "230.00", "USD"), (100, "425.00", "USD"),
        (200, "750.00", "USD")]
    assert policy.credits.package(25).price == Decimal("125")
    with pytest.raises(KeyError, match="10, 25, 50, 100, 200"):
        policy.credits.package(30)
    with pytest.raises(KeyError, match="explanation, standard, investigation, software_error"):
        policy.credits.category("huge")


def _free_only(data: dict[str, Any]) -> None:
    for category in data["credits"]["categories"]:
        category["credits"] = 0


def _same_package_twice(data: dict[str, Any]) -> None:
    data["credits"]["packages"].append({"credits": 10, "price": 45})


@pytest.mark.parametrize(("mutate", "expected"), [
    (_set("credits.grant", -5), "credits.grant: must be a whole number of credits, 0 or more, got -5"),
    (_set("credits.grant", 2.5), "credits.grant: must be a whole number of credits"),
    (_set("credits.currency", "dollars"), 'credits.currency: expected a three-letter ISO 4217 code such as USD, got "dollars"'),
    (_set("credits.categories.0.credits", "five"), 'credits.categories[0].credits: must be a whole number of credits'),
    (_set("credits.categories.1.key", "explanation"), 'credits.categories[1].key: duplicate key "explanation"'),
    (_set("credits.categories.0.descripton", "x"), 'credits.categories[0].descripton: unknown key (did you mean "description"?)'),
    (_set("credits.categories", []), "credits.categories: expected a non-empty list, got []"),
    (_free_only, "credits.categories: at least one category must cost credits"),
    (_set("credits.packages.0.price", 0), "credits.packages[0].price: must be a positive amount"),
    (_set("credits.packages.0.price", 49.999), "credits.packages[0].price: must have at most two decimal places"),
    (_set("credits.packages.2.credits", 0), "credits.packages[2].credits: must be a positive whole number"),
    (_same_package_twice, "credits.packages[5].credits: another package already has 10 credits"),
    (_set("credits.grants", 40), 'credits.grants: unknown key (did you mean "grant"?)'),
    (_set("credit", {}), 'credit: unknown key (did you mean "credits"?)'),
    (_set("out_of_hours.notice_hours", 0), "out_of_hours.notice_hours: must be a positive number"),
    (_set("out_of_hours.notice", 24), 'out_of_hours.notice: unknown key (did you mean "notice_hours"?)'),
])
def test_a_bad_credits_section_names_the_field(tmp_path: Path, mutate: Callable[[dict[str, Any]], None],
                                               expected: str) -> None:
    data = yaml.safe_load(CREDITS_DESK.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "support.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: {expected}")
