"""The vehicle register in bulk through the import path (issue 15): every bad row named with its line and
column, nothing written on a bad row; a corrected file imports; the same VINs again update only what
changed; an XLSX file with date cells reads like a CSV."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import ValidationFailed
from dealernet.policy.models import Import
from dealernet.policy.service import imports
from dealernet.worker import register_jobs
from dealernet.workshop.models import Vehicle
from dealernet.workshop.service.vehicle_imports import VEHICLES
from tests.conftest import Scoped, Tenants
from tests.integration.test_imports import start_and_run

HEADER = "vin,model,production_date,sale_date,selling_dealer\n"


@pytest.fixture(autouse=True)
def _kinds() -> None:
    register_jobs()  # the workshop's kind of file, as every entry point registers it


def register(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


async def vehicles(seed: AsyncSession) -> dict[str, Vehicle]:
    seed.expire_all()
    return {v.vin: v for v in await seed.scalars(select(Vehicle))}


async def test_a_bad_row_rejects_the_file_naming_line_and_column_then_the_fixed_file_imports(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    bad = register(
        "LSVAM418XC2184843,Lavida,2025-01-10,2025-02-01,East Motors",
        "LSVAM4187C2184843,Lavida,2025-01-10,,",  # line 3: a wrong check digit
        "11111111111111111,J7,2025-13-01,,",  # line 4: no 13th month
        "1M8GDM9AXKP042788,J7,2025-03-01,2025-02-01,",  # line 5: sold before it was built
        "LSVAM418XC2184843,Lavida,2025-01-10,,",  # line 6: the VIN of line 2 again
    )
    rejected = await start_and_run(scoped, tenants, VEHICLES, bad)
    assert rejected.status == "rejected"
    assert [(e["line"], e["column"]) for e in rejected.errors] == [
        (3, "vin"),
        (4, "production_date"),
        (5, "sale_date"),
        (6, "vin"),
    ]
    assert "the check digit (9th character) is 7" in rejected.errors[0]["reason"]
    assert await seed.scalar(select(func.count()).select_from(Vehicle)) == 0

    good = register(
        "LSVAM418XC2184843,Lavida,2025-01-10,2025-02-01,East Motors",
        "11111111111111111,J7,2025-12-01,,",
    )
    done = await start_and_run(scoped, tenants, VEHICLES, good, filename="fixed.csv")
    assert (done.status, done.rows_written) == ("done", 2)
    found = await vehicles(seed)
    assert found["LSVAM418XC2184843"].sale_date == date(2025, 2, 1)
    assert found["11111111111111111"].sale_date is None


async def test_the_same_vins_again_update_only_what_changed(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    first = register("LSVAM418XC2184843,Lavida,2025-01-10,,", "11111111111111111,J7,2025-12-01,,")
    assert (await start_and_run(scoped, tenants, VEHICLES, first)).rows_written == 2
    sold = register("LSVAM418XC2184843,Lavida,2025-01-10,2025-06-18,North Motors", "11111111111111111,J7,2025-12-01,,")
    again = await start_and_run(scoped, tenants, VEHICLES, sold, filename="sales-june.csv")
    assert (again.status, again.rows_written) == ("done", 1)  # only the one sold since
    found = await vehicles(seed)
    assert (found["LSVAM418XC2184843"].sale_date, found["LSVAM418XC2184843"].selling_dealer) == (
        date(2025, 6, 18),
        "North Motors",
    )
    assert await seed.scalar(select(func.count()).select_from(Vehicle)) == 2


async def test_an_xlsx_register_with_date_cells_imports(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["VIN", "Model", "Production date", "Sale date"])
    sheet.append(["LSVAM418XC2184843", "Lavida", date(2025, 1, 10), date(2025, 2, 1)])
    sheet.append(["11111111111111111", "J7", date(2025, 12, 1), None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    done = await start_and_run(scoped, tenants, VEHICLES, buffer.getvalue(), filename="register.xlsx")
    assert (done.status, done.rows_written, done.errors) == ("done", 2, [])
    assert (await vehicles(seed))["LSVAM418XC2184843"].production_date == date(2025, 1, 10)


async def test_a_vehicle_file_needs_its_columns_and_a_manager_of_the_register(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(ValidationFailed) as refused:
            await imports.start_import(
                session, tenants.hq_x.scope, kind=VEHICLES, filename="v.csv", content=b"vin,model\nX,Y\n"
            )
    assert refused.value.fields == {"file.header.missing": "production_date"}
    assert await seed.scalar(select(func.count()).select_from(Import)) == 0
