"""Bulk imports of the catalogue and of price lists against real PostgreSQL (COPY into staging, set-based
merge) and, through the worker, real Redis for progress."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import openpyxl
import pytest
from arq import ArqRedis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.errors import ValidationFailed
from dealernet.core.mail import MemoryMailer
from dealernet.core.settings import Settings
from dealernet.policy.models import Import, Part, PartPrice
from dealernet.policy.service import imports, prices
from dealernet.tenants.models import Partner
from tests.conftest import Deliver, PartnerWorld, Scoped, Tenants
from tests.factories import network_today

HEADER = "part_number,name_zh,name_en,component_group,unit,supplier_code\n"


def catalogue(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


async def _supplier_code(seed: AsyncSession, pw: PartnerWorld) -> str:
    return str(await seed.scalar(select(Partner.code).where(Partner.id == pw.partner_p)))


async def start_and_run(
    scoped: Scoped, t: Tenants, kind: str, content: bytes, *, filename: str = "f.csv", **kw: object
) -> Import:
    async with scoped(t.hq_x.scope) as session:
        started = await imports.start_import(
            session,
            t.hq_x.scope,
            kind=kind,
            filename=filename,
            content=content,
            **kw,  # type: ignore[arg-type]
        )
        done = await imports.run_import(session, t.hq_x.scope, import_id=started.row.id)
        await session.commit()
        return done


async def _parts(seed: AsyncSession) -> dict[str, Part]:
    return {p.part_number: p for p in await seed.scalars(select(Part))}


async def test_a_bad_row_rejects_the_file_and_writes_nothing_then_the_fixed_file_imports(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    code = await _supplier_code(seed, partner_world)
    bad = catalogue(
        f"bp-1001,刹车片,Brake pad,brakes,SET,{code}",
        "BP-1002,,,BRAKES,EA,",  # line 3: no name
        "BP-1003,滤清器,Filter,FILTERS,EA,NO-SUCH-SUPPLIER",  # line 4: unknown supplier
        "BP-1001,刹车片,Brake pad again,BRAKES,EA,",  # line 5: repeats line 2
    )
    rejected = await start_and_run(scoped, tenants, imports.PARTS, bad)
    assert rejected.status == "rejected"
    assert (rejected.rows_total, rejected.rows_written, rejected.rows_rejected) == (4, 0, 3)
    assert rejected.errors == [
        {"line": 3, "column": "name_zh", "reason": "a part needs a name (Chinese or English)"},
        {"line": 4, "column": "supplier_code", "reason": "no supplier with this code works with the network"},
        {"line": 5, "column": "part_number", "reason": "repeats line 2"},
    ]
    assert await _parts(seed) == {}

    fixed = catalogue(
        f"bp-1001,刹车片,Brake pad,brakes,SET,{code}",
        "BP-1002,刹车盘,Brake disc,BRAKES,EA,",
        "BP-1003,滤清器,Filter,FILTERS,,",
    )
    done = await start_and_run(scoped, tenants, imports.PARTS, fixed)
    assert (done.status, done.rows_total, done.rows_written, done.errors) == ("done", 3, 3, [])
    parts = await _parts(seed)
    assert sorted(parts) == ["BP-1001", "BP-1002", "BP-1003"]
    assert parts["BP-1001"].supplier_id == partner_world.partner_p
    assert (parts["BP-1001"].component_group, parts["BP-1001"].unit) == ("BRAKES", "SET")
    assert parts["BP-1003"].unit == "EA"


async def test_the_same_file_again_is_a_no_op_and_a_changed_file_updates_only_what_changed(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    content = catalogue("A-1,甲,One,G,EA,", "A-2,乙,Two,G,EA,")
    first = await start_and_run(scoped, tenants, imports.PARTS, content)
    async with scoped(tenants.hq_x.scope) as session:
        again = await imports.start_import(
            session, tenants.hq_x.scope, kind=imports.PARTS, filename="renamed.csv", content=content
        )
        await session.commit()
    assert again.duplicate
    assert again.row.id == first.id
    assert await seed.scalar(select(func.count()).select_from(Import)) == 1
    jobs = await seed.scalar(text("SELECT count(*) FROM outbox WHERE job = :j"), {"j": imports.RUN})
    assert jobs == 1

    changed = await start_and_run(
        scoped, tenants, imports.PARTS, catalogue("A-1,甲,One,G,EA,", "A-2,乙,Two (new),G,EA,")
    )
    assert (changed.rows_total, changed.rows_written) == (2, 1)
    assert (await _parts(seed))["A-2"].name_en == "Two (new)"


async def test_valid_rows_mode_writes_the_good_rows_and_reports_the_bad(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    done = await start_and_run(
        scoped,
        tenants,
        imports.PARTS,
        catalogue("A-1,甲,One,G,EA,", "no spaces allowed,乙,Two,G,EA,"),
        mode="valid_rows",
    )
    assert (done.status, done.rows_written, done.rows_rejected) == ("done", 1, 1)
    assert done.errors == [
        {"line": 3, "column": "part_number", "reason": "letters, digits, dots and dashes, at most 40"}
    ]
    assert sorted(await _parts(seed)) == ["A-1"]


async def test_a_price_file_fills_a_draft_price_list(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    await start_and_run(scoped, tenants, imports.PARTS, catalogue("A-1,甲,One,G,EA,", "A-2,乙,Two,G,EA,"))
    effective = network_today() + timedelta(days=30)
    async with scoped(tenants.hq_x.scope) as session:
        draft = (await prices.draft_price_list(session, tenants.hq_x.scope, title="2027", effective_on=effective)).id
        await session.commit()
    header = "part_number,currency,list_price,dealer_price\n"
    bad = (header + "A-1,CNY,100.00,80.00\nA-9,CNY,1.00,1.00\nA-2,CNY,12.345,10\nA-1,cny,1,1\n").encode()
    rejected = await start_and_run(scoped, tenants, imports.PRICES, bad, publication_id=draft)
    assert [(e["line"], e["column"]) for e in rejected.errors] == [
        (3, "part_number"),
        (4, "list_price"),
        (5, "part_number"),
    ]
    assert await seed.scalar(select(func.count()).select_from(PartPrice)) == 0

    good = (header + 'a-1,,"1,100.00",880\nA-2,USD,12.30,10\n').encode()
    done = await start_and_run(scoped, tenants, imports.PRICES, good, publication_id=draft)
    assert (done.status, done.rows_written) == ("done", 2)
    rows = {(p.currency, p.list_price, p.dealer_price, p.valid_from) for p in await seed.scalars(select(PartPrice))}
    assert rows == {
        ("CNY", Decimal("1100.00"), Decimal("880.00"), effective),
        ("USD", Decimal("12.30"), Decimal("10.00"), effective),
    }


async def test_an_xlsx_file_imports_like_a_csv(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Part Number", "Name ZH", "Name EN", "Component Group"])
    sheet.append(["X-1", "甲", "One", "G"])
    sheet.append([None, None, None, None])  # a blank row is skipped
    sheet.append([4711, "乙", "Two", "G"])  # a number cell is its digits
    buffer = io.BytesIO()
    workbook.save(buffer)
    done = await start_and_run(scoped, tenants, imports.PARTS, buffer.getvalue(), filename="catalogue.xlsx")
    assert (done.file_format, done.status, done.rows_written) == ("xlsx", "done", 2)
    assert sorted(await _parts(seed)) == ["4711", "X-1"]


@pytest.mark.parametrize(
    ("filename", "content", "field"),
    [
        ("f.csv", b"part_number,name_en\nA-1,x\n", "file.header.missing"),
        ("f.csv", HEADER.encode()[:-1] + b",colour\n", "file.header.unknown"),
        ("f.csv", b"", "file"),
        ("f.pdf", b"%PDF-1.4", "file"),
        ("f.xlsx", b"not a zip", "file"),
        ("f.csv", "part_number\n".encode("utf-16"), "file"),
    ],
)
async def test_an_unusable_file_is_refused_at_upload(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, filename: str, content: bytes, field: str
) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(ValidationFailed) as refused:
            await imports.start_import(
                session, tenants.hq_x.scope, kind=imports.PARTS, filename=filename, content=content
            )
    assert field in refused.value.api_fields()
    assert await seed.scalar(select(func.count()).select_from(Import)) == 0


async def test_the_worker_runs_the_import_and_reports_progress(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    deliver: Deliver,
    tenants: Tenants,
) -> None:
    lines = [f"W-{n},件{n},Part {n},G,EA," for n in range(5_000)]
    async with scoped(tenants.hq_x.scope) as session:
        started = await imports.start_import(
            session, tenants.hq_x.scope, kind=imports.PARTS, filename="big.csv", content=catalogue(*lines)
        )
        await session.commit()
    import_id: UUID = started.row.id
    assert await imports.read_progress(redis, import_id) is None
    await outbox.relay(sessionmaker, redis, older_than=timedelta(0))
    assert await deliver() == 1
    assert await imports.read_progress(redis, import_id) == (5_000, 5_000)
    done = await seed.get(Import, import_id, populate_existing=True)
    assert done is not None
    assert (done.status, done.rows_written) == ("done", 5_000)
    assert await seed.scalar(select(func.count()).select_from(Part)) == 5_000


def _workbook(*rows: list[object]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewritten(content: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """The same workbook with its first sheet's XML changed."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


GOOD = ["part_number", "name_zh", "name_en", "component_group"], ["X-1", "甲", "One", "G"]


async def test_a_workbook_bomb_is_refused_before_it_is_unpacked(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 item 3: a 484 KB workbook unpacking to 2,000,000 rows stalled the API for seconds."""
    claims_two_million = _rewritten(
        _workbook(*GOOD), lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:D2000000"', xml)
    )
    padded = _rewritten(_workbook(*GOOD), lambda xml: xml + b"<!--" + b" " * (3 * 2**20) + b"-->")
    assert len(padded) < 64 * 1024  # three megabytes of XML pack into a few kilobytes
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 2**20)
    for content, reason in ((claims_two_million, "2,000,000 rows"), (padded, "unpacks to 3 MB")):
        async with scoped(tenants.hq_x.scope) as session:
            with pytest.raises(ValidationFailed, match=reason):
                await imports.start_import(
                    session, tenants.hq_x.scope, kind=imports.PARTS, filename="bomb.xlsx", content=content
                )
    assert await seed.scalar(select(func.count()).select_from(Import)) == 0


async def test_an_import_job_that_fails_for_good_marks_the_import_failed(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: MemoryMailer,
    tenants: Tenants,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14 item 3: the worker failed on the file and the import stayed queued, its outbox row never
    done. A job that fails for good (on its last try) now says so on the import and closes its row."""
    async with scoped(tenants.hq_x.scope) as session:
        started = await imports.start_import(
            session, tenants.hq_x.scope, kind=imports.PARTS, filename="f.csv", content=catalogue("Y-1,乙,Two,G,EA,")
        )
        await session.commit()
    row_id = await seed.scalar(select(outbox.OutboxRow.id).where(outbox.OutboxRow.job == imports.RUN))
    assert row_id is not None

    def broken(*_: object) -> None:
        raise MemoryError("the worker ran out of memory")

    monkeypatch.setattr(imports, "read_file", broken)
    env = outbox.JobEnv(settings=settings, mailer=mailer)
    with pytest.raises(MemoryError):  # not the last try: arq tries again
        await outbox.run(sessionmaker, row_id, env)
    assert await outbox.run(sessionmaker, row_id, env, last_try=True) == "failed"

    failed = await seed.get(Import, started.row.id, populate_existing=True)
    assert failed is not None
    assert (failed.status, failed.rows_written) == ("failed", 0)
    assert failed.errors == [{"line": 0, "column": "file", "reason": "the job failed (MemoryError)"}]
    done = await seed.get(outbox.OutboxRow, row_id, populate_existing=True)
    assert done is not None
    assert done.done_at is not None
    assert done.payload == {"failed": "the job failed (MemoryError)"}
    assert await seed.scalar(select(func.count()).select_from(Part)) == 0
