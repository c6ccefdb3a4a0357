"""The minimum-stock rule (policy/rules.py) as properties: monotonic in the vehicle population, shared
fairly between stations, within floor and ceiling, overridden per station."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet.policy.rules import StockRule, effective_minimum, fleet_minimum, minimum_stock

rules = st.builds(
    StockRule,
    per_thousand_vehicles=st.decimals(min_value=0, max_value=50, places=2),
    floor=st.integers(min_value=0, max_value=5),
).flatmap(
    lambda r: st.one_of(
        st.just(r),
        st.builds(
            lambda c: StockRule(r.per_thousand_vehicles, r.floor, c),
            st.integers(min_value=r.floor, max_value=r.floor + 50),
        ),
    )
)
vehicles = st.integers(min_value=1, max_value=2_000_000)
quantity = st.decimals(min_value=Decimal("0.5"), max_value=8, places=1)


def test_a_worked_example() -> None:
    rule = StockRule(per_thousand_vehicles=Decimal("2.5"), floor=1, ceiling=40)
    # 12,000 vehicles, 4 brake pads per car, 3 stations: 12 x 2.5 x 4 / 3 = 40 → 40
    assert minimum_stock(rule, vehicles_in_region=12_000, stations_in_region=3, bom_quantity=Decimal(4)) == 40
    # 500 vehicles: 0.5 x 2.5 x 4 / 3 = 1.67 → 2
    assert minimum_stock(rule, vehicles_in_region=500, stations_in_region=3, bom_quantity=Decimal(4)) == 2
    # a part no vehicle here uses needs none, whatever the floor
    assert minimum_stock(rule, vehicles_in_region=0, stations_in_region=3, bom_quantity=Decimal(4)) == 0


@given(rule=rules, fewer=vehicles, more=vehicles, stations=st.integers(1, 50), bom=quantity)
def test_more_vehicles_never_mean_less_stock(
    rule: StockRule, fewer: int, more: int, stations: int, bom: Decimal
) -> None:
    low, high = sorted((fewer, more))
    assert minimum_stock(rule, vehicles_in_region=low, stations_in_region=stations, bom_quantity=bom) <= minimum_stock(
        rule, vehicles_in_region=high, stations_in_region=stations, bom_quantity=bom
    )


@given(rule=rules, cars=vehicles, stations=st.integers(1, 50), bom=quantity)
def test_within_floor_and_ceiling_and_the_region_is_covered(
    rule: StockRule, cars: int, stations: int, bom: Decimal
) -> None:
    each = minimum_stock(rule, vehicles_in_region=cars, stations_in_region=stations, bom_quantity=bom)
    assert each >= rule.floor
    if rule.ceiling is not None:
        assert each <= rule.ceiling
    else:  # the stations together hold at least what the region needs
        assert each * stations >= Decimal(cars) / 1000 * rule.per_thousand_vehicles * bom


def test_overrides_and_bad_input() -> None:
    assert effective_minimum(7, None) == 7
    assert effective_minimum(7, 0) == 0
    with pytest.raises(ValueError, match="override"):
        effective_minimum(7, -1)
    with pytest.raises(ValueError, match="ceiling"):
        StockRule(per_thousand_vehicles=Decimal(1), floor=5, ceiling=2)
    with pytest.raises(ValueError, match="at least one station"):
        minimum_stock(StockRule(Decimal(1)), vehicles_in_region=10, stations_in_region=0, bom_quantity=Decimal(1))


def test_a_fleet_of_several_models_adds_up_their_needs() -> None:
    rule = StockRule(per_thousand_vehicles=Decimal(2), floor=0)
    # J6P: 3,000 vehicles x 4 pads; J7: 1,000 vehicles x 6 pads → 18,000 vehicle-units / 1000 x 2 / 4 stations = 9
    fleet = {"J6P": 3_000, "J7": 1_000, "TIGER": 5_000}
    bom = {"J6P": Decimal(4), "J7": Decimal(6)}  # TIGER does not use the part
    assert fleet_minimum(rule, fleet=fleet, bom=bom, stations_in_region=4) == 9
    assert fleet_minimum(rule, fleet=fleet, bom={}, stations_in_region=4) == 0


@given(rule=rules, a=vehicles, b=vehicles, stations=st.integers(1, 50), q=quantity)
def test_a_fleet_never_needs_less_than_any_of_its_models(
    rule: StockRule, a: int, b: int, stations: int, q: Decimal
) -> None:
    both = fleet_minimum(rule, fleet={"A": a, "B": b}, bom={"A": q, "B": q}, stations_in_region=stations)
    alone = minimum_stock(rule, vehicles_in_region=a, stations_in_region=stations, bom_quantity=q)
    assert both >= alone
