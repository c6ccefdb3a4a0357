"""The warranty context's tables: claims, their lines and their adjudications, keyed `(station_id, id)`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, SmallInteger, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.db import Base


class Claim(Base):
    """A warranty claim (索赔单): raised from a repair order's warranty lines, judged as of the repair date,
    decided by HQ (or by the rules, for a clean claim under the network's limit)."""

    __tablename__ = "claims"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    number: Mapped[str] = mapped_column(String(20))
    repair_order_id: Mapped[UUID]
    vehicle_id: Mapped[UUID] = mapped_column(ForeignKey("vehicles.id"))
    claim_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    repair_date: Mapped[date]
    odometer_km: Mapped[int] = mapped_column(Integer)
    causal_part_id: Mapped[UUID | None] = mapped_column(ForeignKey("parts.id"))
    concern: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    correction: Mapped[str] = mapped_column(Text, default="")
    goodwill_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    claimed_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    adjudication_id: Mapped[UUID | None]
    version: Mapped[int] = mapped_column(Integer, default=1)  # a decision names it: two at once, one wins
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[UUID | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[UUID | None]
    decision_reason: Mapped[str] = mapped_column(String(40), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")


class ClaimLine(Base):
    """A claimed labour or part line, copied from the repair order's warranty line it claims (once)."""

    __tablename__ = "claim_lines"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    claim_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    repair_order_line_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(8))
    labour_operation_id: Mapped[UUID | None] = mapped_column(ForeignKey("labour_operations.id"))
    part_id: Mapped[UUID | None] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    adjustment_reason: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(300), default="")  # a sublet or other cost's, with its invoice


class ClaimAdjudication(Base):
    """One judgement of a claim as of its repair date: the policy versions it used and the flags it raised.
    Never changed; re-adjudicating adds another."""

    __tablename__ = "claim_adjudications"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    claim_id: Mapped[UUID]
    as_of: Mapped[date]
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    by: Mapped[UUID | None]
    occasion: Mapped[str] = mapped_column(String(300))
    versions: Mapped[dict[str, Any]] = mapped_column(JSONB)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class ClaimPreauthorisation(Base):
    """A pre-authorisation (索赔预申请) of warranty work on a repair order: asked by the station, approved by HQ
    with a number, an amount and a validity, or declined."""

    __tablename__ = "claim_preauthorisations"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    number: Mapped[str] = mapped_column(String(20))
    repair_order_id: Mapped[UUID]
    requested_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    approval_number: Mapped[str] = mapped_column(String(40), default="")
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    valid_until: Mapped[date | None]
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[UUID | None]
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_by: Mapped[UUID | None]
    decided_at: Mapped[datetime | None]


class ClaimAppeal(Base):
    """A station's appeal (复判 / 申诉) of a decided claim, once per claim, decided by another reviewer."""

    __tablename__ = "claim_appeals"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    claim_id: Mapped[UUID]
    appealed_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    filed_by: Mapped[UUID | None]
    filed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    first_reviewer: Mapped[UUID]
    decided_by: Mapped[UUID | None]
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class PartReturn(Base):
    """A failed part's return authorisation (旧件回运) and what became of it: shipped by the station, received
    and inspected by HQ (the identification sheet's verdict, 鉴定单)."""

    __tablename__ = "part_returns"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    claim_id: Mapped[UUID]
    claim_line_id: Mapped[UUID]
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    tag_number: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date]
    send_to: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    condition: Mapped[str] = mapped_column(String(500), default="")
    verdict: Mapped[str | None] = mapped_column(String(20))
    verdict_note: Mapped[str] = mapped_column(Text, default="")
    inspected_at: Mapped[datetime | None]
    inspected_by: Mapped[UUID | None]
    reminded_at: Mapped[datetime | None]  # overdue: the station was reminded
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ClaimChargeback(Base):
    """Money a station owes back on a claim (扣款): the returned part was its liability, or never came back."""

    __tablename__ = "claim_chargebacks"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    claim_id: Mapped[UUID]
    part_return_id: Mapped[UUID]
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RecoveryAgreement(Base):
    """HQ's agreement with a supplier (追溯协议) on the share of a component group's warranty cost it bears:
    of the part, the labour and the handling, in force from its day until the next one of that group."""

    __tablename__ = "recovery_agreements"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    partner_id: Mapped[UUID]
    component_group: Mapped[str] = mapped_column(String(40))
    part_share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    labour_share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    handling_share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    effective_from: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RecoveryClaim(Base):
    """What the OEM claims back from a supplier (追溯索赔) for a part the identification sheet found defective,
    priced by the agreement in force on the repair date, with the failure data the supplier may read."""

    __tablename__ = "recovery_claims"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    partner_id: Mapped[UUID]
    number: Mapped[str] = mapped_column(String(20))
    claim_id: Mapped[UUID]
    part_return_id: Mapped[UUID]
    agreement_id: Mapped[UUID] = mapped_column(ForeignKey("recovery_agreements.id"))
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    part_number: Mapped[str] = mapped_column(String(40))
    component_group: Mapped[str] = mapped_column(String(40))
    vin: Mapped[str] = mapped_column(String(17))
    repair_date: Mapped[date]
    odometer_km: Mapped[int] = mapped_column(Integer)
    concern: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text)
    correction: Mapped[str] = mapped_column(Text)
    verdict_note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    statement_id: Mapped[UUID | None] = mapped_column(ForeignKey("recovery_statements.id"))
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RecoveryClaimLine(Base):
    """One recovered share of a claim line — the part, the labour or the handling — that the supplier accepts
    or disputes (with its reason) and HQ resolves."""

    __tablename__ = "recovery_claim_lines"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    partner_id: Mapped[UUID]
    recovery_claim_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(10))
    claim_line_id: Mapped[UUID]
    base_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    response: Mapped[str | None] = mapped_column(String(10))
    response_reason: Mapped[str] = mapped_column(Text, default="")
    responded_by: Mapped[UUID | None]
    responded_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(10))
    resolved_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[UUID | None]
    resolved_at: Mapped[datetime | None]


class _Statement:
    """What a station's settlement and a supplier's recovery statement share: a period, and their life."""

    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    acknowledged_by: Mapped[UUID | None]
    acknowledged_at: Mapped[datetime | None]
    paid_on: Mapped[date | None]
    payment_reference: Mapped[str] = mapped_column(String(100), default="")
    paid_by: Mapped[UUID | None]


class Settlement(_Statement, Base):
    """A station's settlement statement (结算单) for a period: its approved claim lines not paid before, the
    adjustments of later decisions, less its chargebacks."""

    __tablename__ = "settlements"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    number: Mapped[str] = mapped_column(String(60))
    claims_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    adjustments_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    chargebacks_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    line_count: Mapped[int] = mapped_column(Integer)


class SettlementLine(Base):
    """One line of a settlement: a claim line paid, an adjustment of one, or a chargeback (negative)."""

    __tablename__ = "settlement_lines"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID]  # its settlement's (migration 0052: no key of its own)
    settlement_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(12))
    claim_id: Mapped[UUID]
    claim_line_id: Mapped[UUID | None]
    chargeback_id: Mapped[UUID | None]
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    description: Mapped[str] = mapped_column(String(300))


class RecoveryStatement(_Statement, Base):
    """A supplier's recovery statement for a period: its agreed recovery claims not on a statement before."""

    __tablename__ = "recovery_statements"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    partner_id: Mapped[UUID]
    number: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    claim_count: Mapped[int] = mapped_column(Integer)


class StationClaimRate(Base):
    """A station's claims per 100 repair orders this month beside its network's median (a daily cron's)."""

    __tablename__ = "station_claim_rates"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    claims: Mapped[int] = mapped_column(Integer)
    repair_orders: Mapped[int] = mapped_column(Integer)
    rate: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    network_rate: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    spiking: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
