"""Personal information never reaches a partner unmasked (SECURITY.md PRIV-1): every field that looks like
an owner's name or phone or a VIN declares its mask, the mask holds on nested paths, and the SQL form of
each mask (for pages built inside PostgreSQL) equals the Python one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from dealernet.api import build_schema
from dealernet.core.scope import DbRole, Scope
from dealernet.graphql.masking import Pii, declared_pii, mask_name, mask_phone, mask_sql, mask_vin, pii

# Field names that carry personal information (graphql names, case-insensitive).
LOOKS_PERSONAL = re.compile(r"vin$|phone|mobile|ownername$|customername|contactname|licenseplate", re.IGNORECASE)


def unmasked_personal_fields(schema: strawberry.Schema) -> list[str]:
    """`Type.field` for every output field whose name looks personal and that declares no mask (input
    fields are what the client sends: nothing to mask)."""
    found = []
    for type_definition in schema.schema_converter.type_map.values():
        definition = type_definition.definition
        if getattr(definition, "is_input", False):
            continue
        for field in getattr(definition, "fields", []):
            name = schema.config.name_converter.get_graphql_name(field)
            if LOOKS_PERSONAL.search(name) and declared_pii(field.extensions) is None:
                found.append(f"{definition.name}.{name}")
    return sorted(found)


def test_the_api_has_no_unmasked_personal_field() -> None:
    assert unmasked_personal_fields(build_schema(production=False)) == []


# A claim with its vehicle and owner, shaped like the warranty-claim types to come.
VIN, PHONE, OWNER = "LSVAU2180N2183456", "13812345678", "张三丰"


@strawberry.type
class Owner:
    name: str = strawberry.field(extensions=pii(Pii.name))
    phone: str | None = strawberry.field(extensions=pii(Pii.phone))


@strawberry.type
class Vehicle:
    vin: str = strawberry.field(extensions=pii(Pii.vin))

    @strawberry.field
    async def owner(self) -> Owner:
        return Owner(name=OWNER, phone=PHONE)


@strawberry.type
class Claim:
    number: str
    vin: str = strawberry.field(extensions=pii(Pii.vin))

    @strawberry.field
    def vehicle(self) -> Vehicle:
        return Vehicle(vin=VIN)

    @strawberry.field(extensions=pii(Pii.phone))
    async def contact_phones(self) -> list[str]:
        return [PHONE, "021-5555-0000"]


@strawberry.type
class ClaimsQuery:
    @strawberry.field
    def claims(self) -> list[Claim]:
        return [Claim(number="WC-1", vin=VIN)]


@dataclass
class ScopeOnly:
    scope: Scope | None


CLAIMS = "{ claims { number vin contactPhones vehicle { vin owner { name phone } } } }"


async def run_as(scope: Scope | None) -> dict[str, Any]:
    schema = strawberry.Schema(query=ClaimsQuery)
    result = await schema.execute(CLAIMS, context_value=ScopeOnly(scope))
    assert result.errors is None
    assert result.data is not None
    return result.data


async def test_a_partner_gets_masked_values_on_every_path() -> None:
    for partner in (Scope(db_role=DbRole.partner, role="partner_user"), Scope(db_role=DbRole.partner), None):
        data = await run_as(partner)
        raw = json.dumps(data, ensure_ascii=False)
        assert VIN not in raw
        assert PHONE not in raw
        assert OWNER not in raw
        claim = data["claims"][0]
        assert claim["vin"] == "LSV**********3456"
        assert claim["vehicle"]["owner"] == {"name": "张**", "phone": "138****5678"}
        assert claim["contactPhones"] == ["138****5678", "021******0000"]


async def test_hq_and_stations_see_the_values() -> None:
    for insider in (Scope(db_role=DbRole.oem), Scope(db_role=DbRole.station)):
        claim = (await run_as(insider))["claims"][0]
        assert claim["vehicle"]["vin"] == VIN
        assert claim["vehicle"]["owner"] == {"name": OWNER, "phone": PHONE}


@strawberry.type
class Leaky:
    owner_phone: str
    station_name: str


@strawberry.type
class LeakyQuery:
    @strawberry.field
    def leaky(self) -> Leaky:
        return Leaky(owner_phone="", station_name="")


def test_the_guard_finds_an_undeclared_personal_field() -> None:
    assert unmasked_personal_fields(strawberry.Schema(query=ClaimsQuery)) == []
    assert unmasked_personal_fields(strawberry.Schema(query=LeakyQuery)) == ["Leaky.ownerPhone"]


def test_the_masks() -> None:
    assert mask_vin(VIN) == "LSV**********3456"
    assert mask_vin("ABC") == "***"
    assert mask_phone("1381234") == "*******"
    assert mask_name("Li Wei") == "L* W**"
    assert mask_name("") == ""


names = st.lists(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=6), max_size=4).map(" ".join)
codes = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789-+ ", max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, vin=codes, phone=codes)
async def test_the_sql_masks_equal_the_python_ones(
    connection: AsyncConnection, name: str, vin: str, phone: str
) -> None:
    row = (
        await connection.execute(
            text(
                f"SELECT {mask_sql(Pii.name, 'CAST(:name AS text)')}, {mask_sql(Pii.vin, 'CAST(:vin AS text)')}, "
                f"{mask_sql(Pii.phone, 'CAST(:phone AS text)')}"
            ),
            {"name": name, "vin": vin, "phone": phone},
        )
    ).one()
    assert tuple(row) == (mask_name(name), mask_vin(vin), mask_phone(phone))
