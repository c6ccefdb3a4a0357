"""The vehicle register against real PostgreSQL: HQ registers and corrects, a station looks a VIN up and sees
the warranty left by the policy delivered to it; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import Conflict, Forbidden, ValidationFailed
from dealernet.core.journal import JournalEntry
from dealernet.policy.service import documents, publications, warranty
from dealernet.workshop.models import Vehicle
from dealernet.workshop.rules import add_months
from dealernet.workshop.service import vehicles
from tests.conftest import Scoped, Tenants
from tests.factories import network_today
from tests.integration.test_policy_as_of import TERMS

VIN = "LSVAM418XC2184843"


def a_vehicle(vin: str = VIN, **changes: object) -> vehicles.VehicleInput:
    today = network_today()
    values: dict[str, object] = {
        "vin": vin,
        "model": "Lavida",
        "production_date": today - timedelta(days=400),
        "sale_date": today - timedelta(days=365),
        "selling_dealer": "Shanghai East Motors",
        **changes,
    }
    return vehicles.VehicleInput(**values)  # type: ignore[arg-type]


def date_before_production() -> object:
    return network_today() - timedelta(days=401)


async def count(seed: AsyncSession) -> int:
    return int(await seed.scalar(select(func.count()).select_from(Vehicle)) or 0)


async def test_hq_registers_a_vehicle_and_a_station_looks_it_up(scoped: Scoped, tenants: Tenants) -> None:
    hq, station = tenants.hq_x.scope, tenants.manager_a.scope
    async with scoped(hq) as session:
        registered = await vehicles.register_vehicle(session, hq, a_vehicle(vin=VIN.lower()))
        registered_id, stored_vin = registered.id, registered.vin
        await session.commit()
    assert stored_vin == VIN  # stored upper-case
    async with scoped(station) as session:
        found = await vehicles.vehicle_by_vin(session, station, f" {VIN.lower()} ")
        assert found is not None
        assert found.id == registered_id
    async with scoped(tenants.manager_c.scope) as session:  # another network's station
        assert await vehicles.vehicle_by_vin(session, tenants.manager_c.scope, VIN) is None


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"vin": "LSVAM4187C2184843"}, {"vin"}),  # the check digit is wrong
        ({"vin": "LSVAM418XC218484"}, {"vin"}),
        ({"model": " "}, {"model"}),
        ({"sale_date": network_today() - timedelta(days=500)}, {"sale_date"}),  # sold before it was built
        (
            {"vin": "LSVAMO18XC2184843", "model": "", "first_registration": date_before_production()},
            {"vin", "model", "first_registration"},
        ),  # every bad field at once
    ],
)
async def test_a_bad_vehicle_is_refused_naming_every_bad_field_and_nothing_is_written(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, changes: dict[str, object], fields: set[str]
) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(ValidationFailed) as refused:
            await vehicles.register_vehicle(session, tenants.hq_x.scope, a_vehicle(**changes))
    assert set(refused.value.fields) == fields
    assert await count(seed) == 0


async def test_a_vin_is_registered_once_per_network(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        await vehicles.register_vehicle(session, tenants.hq_x.scope, a_vehicle())
        with pytest.raises(Conflict, match="already in the register"):
            await vehicles.register_vehicle(session, tenants.hq_x.scope, a_vehicle(model="Passat"))
    async with scoped(tenants.hq_y.scope) as session:  # another network has its own register
        await vehicles.register_vehicle(session, tenants.hq_y.scope, a_vehicle())


async def test_only_hq_keeps_the_register(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(Forbidden):
            await vehicles.register_vehicle(session, tenants.manager_a.scope, a_vehicle())
        with pytest.raises(Forbidden):
            await vehicles.list_vehicles(session, tenants.manager_a.scope, first=10)
    assert await count(seed) == 0


async def test_a_correction_is_journaled_with_what_it_was(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    hq = tenants.hq_x.scope
    async with scoped(hq) as session:
        vehicle = await vehicles.register_vehicle(session, hq, a_vehicle())
        vehicle_id = vehicle.id
        await vehicles.correct_vehicle(session, hq, vehicle_id, a_vehicle(model="Lavida Plus"))
        await session.commit()
    entries = (
        await seed.scalars(select(JournalEntry).where(JournalEntry.entity_id == vehicle_id).order_by(JournalEntry.seq))
    ).all()
    assert [e.action for e in entries] == ["registered", "corrected"]
    assert (entries[1].before["model"], entries[1].after["model"]) == ("Lavida", "Lavida Plus")


async def test_the_register_lists_by_vin_and_model(scoped: Scoped, tenants: Tenants) -> None:
    hq = tenants.hq_x.scope
    vins = ["1M8GDM9AXKP042788", "11111111111111111", "LFV2A21K1A3012345"]
    async with scoped(hq) as session:
        for n, vin in enumerate(vins):
            await vehicles.register_vehicle(session, hq, a_vehicle(vin=vin, model="A" if n else "B"))
        page = [v.vin for v in await vehicles.list_vehicles(session, hq, first=2)]
        of_a = {v.vin for v in await vehicles.list_vehicles(session, hq, first=10, model="A")}
    assert page == sorted(vins)  # first + 1 rows: the page and whether there is more
    assert of_a == set(vins[1:])


async def test_the_warranty_left_is_judged_by_the_policy_delivered_to_the_station(
    scoped: Scoped, tenants: Tenants
) -> None:
    hq, station = tenants.hq_x.scope, tenants.manager_a.scope
    today = network_today()
    async with scoped(hq) as session:
        version = await warranty.draft_warranty_policy(
            session,
            hq,
            title="Warranty",
            effective_on=today,
            terms=TERMS,
            target=publications.Target(station_ids=[tenants.station_a]),
        )
        await warranty.set_coverage(
            session, hq, publication_id=version.id, component_group="brakes", months=24, km=60_000
        )
        await warranty.set_coverage(
            session, hq, publication_id=version.id, component_group="engine", months=36, km=100_000
        )
        await publications.publish(session, hq, publication_id=version.id)
        await vehicles.register_vehicle(session, hq, a_vehicle())
        await vehicles.register_vehicle(session, hq, a_vehicle(vin="11111111111111111", sale_date=None))
        await session.commit()
    async with scoped(station) as session:
        vehicle = await vehicles.vehicle_by_vin(session, station, VIN)
        unsold = await vehicles.vehicle_by_vin(session, station, "11111111111111111")
        assert vehicle is not None
        assert unsold is not None
        left = await vehicles.warranty_left(session, station, vehicle, odometer_km=70_000)
        nothing = await vehicles.warranty_left(session, station, unsold)
    assert [(c.component_group, c.covered, c.km_left) for c in left] == [("BRAKES", False, 0), ("ENGINE", True, 30_000)]
    sold = today - timedelta(days=365)
    assert left[1].ends_on == add_months(sold, 36)
    assert nothing == []
    async with scoped(tenants.manager_b.scope) as session:  # a station of X the policy was not sent to
        vehicle = await vehicles.vehicle_by_vin(session, tenants.manager_b.scope, VIN)
        assert vehicle is not None
        assert await vehicles.warranty_left(session, tenants.manager_b.scope, vehicle) == []
        with pytest.raises(ValidationFailed):
            await vehicles.warranty_left(session, tenants.manager_b.scope, vehicle, odometer_km=-1)


async def test_field_actions_are_the_bulletins_in_force_naming_the_model_or_the_vin(
    scoped: Scoped, tenants: Tenants
) -> None:
    hq, today = tenants.hq_x.scope, network_today()
    to_a = publications.Target(station_ids=[tenants.station_a])
    async with scoped(hq) as session:
        for number, models, ranges in (
            ("TSB-1", ["Lavida"], []),
            ("TSB-2", [], [documents.VinRange("LSVAM400000000000", "LSVAM499999999999")]),
            ("TSB-3", ["Passat"], [documents.VinRange("WVW00000000000000", "WVW99999999999999")]),  # not this car
        ):
            bulletin = await documents.draft_bulletin(
                session,
                hq,
                title=f"Bulletin {number}",
                effective_on=today,
                number=number,
                body="Check it.",
                affected_models=models,
                vin_ranges=ranges,
                target=to_a,
            )
            await publications.publish(session, hq, publication_id=bulletin.id)
        await vehicles.register_vehicle(session, hq, a_vehicle())
        await session.commit()
    for principal, expected in (
        (tenants.manager_a, ["TSB-1", "TSB-2"]),
        (tenants.hq_x, ["TSB-1", "TSB-2"]),
        (tenants.manager_b, []),
    ):
        async with scoped(principal.scope) as session:
            vehicle = await vehicles.vehicle_by_vin(session, principal.scope, VIN)
            assert vehicle is not None
            found = await vehicles.field_actions(session, principal.scope, vehicle)
        assert sorted(a.number for a in found) == expected
