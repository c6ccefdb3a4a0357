"""The statements as files: a station's settlement and a supplier's recovery statement, as PDF (A4, Chinese
and English, reportlab's built-in CID font) and as XLSX (openpyxl), rendered from the rows the run wrote —
the same statement always gives the same lines and totals."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.errors import NotFound
from dealernet.core.scope import Scope
from dealernet.network.service.papers import FONT  # the platform's Chinese CID font, registered there
from dealernet.tenants.models import Network, Partner, Station
from dealernet.warranty.models import RecoveryClaim, RecoveryStatement, Settlement, SettlementLine

LINES_PER_PAGE = 38


@dataclass(frozen=True, slots=True)
class Statement:
    """What a statement file shows: its heading, who it is for, its lines and its totals."""

    number: str
    title: str  # 结算单 Settlement statement, …
    network: str
    addressee: str
    period: str
    status: str
    columns: tuple[str, str, str]
    lines: Sequence[tuple[str, str, Decimal]]
    totals: Sequence[tuple[str, Decimal]]


def pdf(statement: Statement) -> bytes:
    """A4 pages: the heading on each, the lines, the totals at the end."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)  # the same statement, the same bytes
    page.setTitle(f"{statement.title} {statement.number}")
    width, height = A4
    chunks = [statement.lines[i : i + LINES_PER_PAGE] for i in range(0, len(statement.lines), LINES_PER_PAGE)] or [[]]
    for n, chunk in enumerate(chunks, start=1):
        page.setFont(FONT, 16)
        page.drawString(50, height - 60, f"{statement.title}  {statement.number}")
        page.setFont(FONT, 10)
        page.drawString(50, height - 80, f"{statement.network} → {statement.addressee}")
        page.drawString(50, height - 95, f"期间 Period: {statement.period}    状态 Status: {statement.status}")
        page.drawRightString(width - 50, height - 95, f"{n}/{len(chunks)}")
        y = height - 125
        for x, label in zip((50, 150, width - 50), statement.columns, strict=True):
            (page.drawRightString if x > 400 else page.drawString)(x, y, label)
        y -= 18
        for key, description, amount in chunk:
            page.drawString(50, y, key[:18])
            page.drawString(150, y, description[:70])
            page.drawRightString(width - 50, y, f"{amount:,.2f}")
            y -= 16
        if n == len(chunks):
            y -= 10
            for label, amount in statement.totals:
                page.drawString(150, y, label)
                page.drawRightString(width - 50, y, f"{amount:,.2f}")
                y -= 16
        page.showPage()
    page.save()
    return buffer.getvalue()


def xlsx(statement: Statement) -> bytes:
    """One sheet: the heading rows, the lines with amounts as numbers (two decimals), the totals."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(statement.number[:31])
    sheet.append([statement.title, statement.number])
    sheet.append([statement.network, statement.addressee])
    sheet.append(["Period", statement.period, "Status", statement.status])
    sheet.append([])
    sheet.append(list(statement.columns))
    for key, description, amount in statement.lines:
        sheet.append([key, description, amount])
    sheet.append([])
    for label, amount in statement.totals:
        sheet.append(["", label, amount])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_KIND = {"claim_line": "索赔 claim", "adjustment": "调整 adjustment", "chargeback": "扣款 chargeback"}


async def settlement_statement(session: AsyncSession, scope: Scope, *, settlement_id: UUID) -> Statement:
    """A settlement the caller may see (HQ its network's, a station its own), ready to render."""
    require(scope, Permission.settlements_read)
    row = await session.scalar(select(Settlement).where(Settlement.id == settlement_id))
    if row is None:
        raise NotFound("no such settlement", fields={"settlement_id": "not found"})
    lines = await session.scalars(
        select(SettlementLine)
        .where(SettlementLine.station_id == row.station_id, SettlementLine.settlement_id == row.id)
        .order_by(SettlementLine.kind == "chargeback", SettlementLine.description)
    )
    station = await session.scalar(select(Station).where(Station.id == row.station_id))
    network = await session.scalar(select(Network.name).where(Network.id == row.network_id))
    return Statement(
        number=row.number,
        title="结算单 Settlement statement",
        network=network or "",
        addressee=f"{station.code} {station.name}" if station else "",
        period=f"{row.period_start} to {row.period_end}",
        status=row.status,
        columns=("类别 Kind", "说明 Line", "金额 Amount"),
        lines=[(_KIND[line.kind], line.description, line.amount) for line in lines],
        totals=[
            ("索赔 Claims", row.claims_amount),
            ("调整 Adjustments", row.adjustments_amount),
            ("扣款 Chargebacks", -row.chargebacks_amount),
            ("应付 Total payable", row.total),
        ],
    )


async def recovery_statement(session: AsyncSession, scope: Scope, *, statement_id: UUID) -> Statement:
    """A recovery statement the caller may see (HQ its network's, a supplier its own), ready to render."""
    require(scope, Permission.recovery_read)
    row = await session.scalar(select(RecoveryStatement).where(RecoveryStatement.id == statement_id))
    if row is None:
        raise NotFound("no such recovery statement", fields={"statement_id": "not found"})
    claims = await session.scalars(
        select(RecoveryClaim).where(RecoveryClaim.statement_id == row.id).order_by(RecoveryClaim.number)
    )
    partner = await session.scalar(select(Partner.name).where(Partner.id == row.partner_id))
    network = await session.scalar(select(Network.name).where(Network.id == row.network_id))
    return Statement(
        number=row.number,
        title="追溯结算单 Recovery statement",
        network=network or "",
        addressee=partner or "",
        period=f"{row.period_start} to {row.period_end}",
        status=row.status,
        columns=("追溯索赔 Claim", "零件 Part", "金额 Amount"),
        lines=[(c.number, f"{c.part_number} ({c.component_group}), {c.repair_date}", c.amount) for c in claims],
        totals=[("应收 Total recoverable", row.amount)],
    )
