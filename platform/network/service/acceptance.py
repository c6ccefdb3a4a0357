"""From the letter of intent to a live station: the start-up orders (tools and equipment, start-up parts
stock from the catalogue, VI kit) tracked to delivery; the acceptance inspection (验收) scored with the
acceptance checklist — a failed item becomes a rectification item with a deadline (限期整改), a second
failed inspection cancels the intent; and the authorised service agreement, which gives the station its
authorisation number and certificate and makes it active.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, storage
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import (
    AcceptanceInspection,
    Application,
    Contract,
    LetterOfIntent,
    RectificationItem,
    StartupOrder,
)
from dealernet.network.service import numbering, papers
from dealernet.network.service.applications import application_of, move, my_application, record_assessment
from dealernet.policy.models import Part
from dealernet.policy.rules import SERVICE_TYPES
from dealernet.policy.service import publications
from dealernet.tenants.models import Network, Region, Station
from dealernet.tenants.service.directory import network_today

ORDER_KINDS = tuple(rules.StartupOrderKind)


# --- Start-up orders ----------------------------------------------------------------------------------


async def place_order(
    session: AsyncSession,
    scope: Scope,
    *,
    kind: str,
    reference: str,
    due_on: date,
    parts: Mapping[UUID, int] | None = None,
) -> StartupOrder:
    """The applicant records a start-up order it placed (the parts stock with its catalogue lines)."""
    require(scope, Permission.application_edit)
    application = await my_application(session, scope)
    if application.stage != rules.Stage.APPROVED:
        raise Conflict(f"the application is {application.stage}; start-up orders follow the letter of intent")
    problems: dict[str, str] = {}
    if kind not in ORDER_KINDS:
        problems["kind"] = "tools, parts or vi"
    if not reference.strip() or len(reference.strip()) > 60:
        problems["reference"] = "the order's reference, at most 60 characters"
    lines = dict(parts or {})
    if kind == rules.StartupOrderKind.PARTS and (not lines or any(not 0 < q <= 100_000 for q in lines.values())):
        problems["parts"] = "the start-up parts stock: catalogue parts with quantities from 1 to 100,000"
    if problems:
        raise ValidationFailed("the start-up order is not valid", fields=problems)
    if lines and await session.scalar(select(func.count()).where(Part.id.in_(lines))) != len(lines):
        raise NotFound("no such part in the catalogue", fields={"parts": "not found"})
    order = StartupOrder(
        id=new_id(),
        network_id=application.network_id,
        station_id=application.station_id,
        application_id=application.id,
        kind=kind,
        reference=reference.strip(),
        lines=[{"part_id": str(p), "quantity": q} for p, q in sorted(lines.items())],
        due_on=due_on,
    )
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(order)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the {kind} order is placed already") from exc
    await journal.record(
        session,
        scope,
        entity="application",
        entity_id=application.id,
        action="order_placed",
        after={"kind": kind, "reference": order.reference, "due_on": due_on.isoformat()},
    )
    return order


async def confirm_delivery(session: AsyncSession, scope: Scope, *, order_id: UUID, note: str = "") -> StartupOrder:
    """HQ records that a start-up order arrived."""
    require(scope, Permission.onboarding_manage)
    order = await session.get(StartupOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFound("no such start-up order", fields={"order_id": "not found"})
    if order.delivered_at is None:
        order.delivered_at, order.delivery_note = datetime.now(UTC), note.strip()[:300]
        await session.flush()
        await journal.record(
            session,
            scope,
            entity="application",
            entity_id=order.application_id,
            action="order_delivered",
            after={"kind": order.kind},
            station_id=order.station_id,
        )
    return order


async def orders_of(
    session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]
) -> dict[UUID, list[StartupOrder]]:
    require(scope, Permission.onboarding_read)
    rows = await session.scalars(
        select(StartupOrder).where(StartupOrder.application_id.in_(application_ids)).order_by(StartupOrder.kind)
    )
    return group_by(rows, application_ids, lambda row: row.application_id)


# --- Acceptance inspection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspected:
    inspection: AcceptanceInspection
    application: Application
    rectification: Sequence[RectificationItem]


async def inspect(
    session: AsyncSession, scope: Scope, *, application_id: UUID, marks: Mapping[str, int | None], note: str = ""
) -> Inspected:
    """Inspect against the acceptance checklist (验收). The first inspection needs all three start-up orders
    delivered; failed (the total below the pass mark), it opens a rectification item per checklist item short
    of its points, due in the network's rectification days. A re-inspection judges the rectification:
    - an item that was on rectification and is still short cancels the letter of intent (限期整改 not done);
    - every such item met and the total at the pass mark: the items close and the applicant is accepted;
    - every such item met but the total still short (other items now fall short): those items get their
      own rectification, and another re-inspection follows; nothing is cancelled for what was never due."""
    require(scope, Permission.onboarding_manage)
    application = await application_of(session, application_id)
    earlier = await session.scalar(select(func.count()).where(AcceptanceInspection.application_id == application.id))
    round_ = (earlier or 0) + 1
    if application.stage == rules.Stage.APPROVED:
        delivered = await session.scalar(
            select(func.count()).where(
                StartupOrder.application_id == application.id, StartupOrder.delivered_at.is_not(None)
            )
        )
        if delivered != len(ORDER_KINDS):
            raise Conflict(f"{delivered} of the 3 start-up orders delivered; acceptance waits for all of them")
    elif application.stage != rules.Stage.RECTIFICATION:
        raise Conflict(f"the application is {application.stage}; nothing to inspect")
    network = await session.get(Network, application.network_id)
    assert network is not None
    assessment = await record_assessment(
        session,
        scope,
        application,
        kind=rules.RubricKind.ACCEPTANCE,
        marks=marks,
        note=note,
        pass_mark=network.acceptance_pass_mark,
    )
    inspection = AcceptanceInspection(
        id=new_id(),
        network_id=application.network_id,
        station_id=application.station_id,
        application_id=application.id,
        round=round_,
        assessment_id=assessment.id,
        passed=assessment.passed,
        inspected_by=scope.actor_id,
    )
    session.add(inspection)
    await session.flush()
    details: dict[str, object] = {"round": round_, "score": str(assessment.total)}
    short = [item for item in assessment.items if item["points"] is not None and item["points"] < item["max_points"]]
    if round_ == 1:
        if assessment.passed:
            await move(
                session, scope, application, rules.Action.PASS_ACCEPTANCE, reason=note or "passed", details=details
            )
            return Inspected(inspection, application, [])
        items = await _rectify(session, application, network, inspection, short)
        await move(session, scope, application, rules.Action.FAIL_ACCEPTANCE, reason=note or "failed", details=details)
        return Inspected(inspection, application, items)

    open_codes = set(
        await session.scalars(
            select(RectificationItem.code).where(
                RectificationItem.application_id == application.id, RectificationItem.closed_at.is_(None)
            )
        )
    )
    still_short = sorted(open_codes & {item["code"] for item in short})
    if still_short:  # the rectification was not done: the letter of intent is cancelled
        await session.execute(
            update(LetterOfIntent)
            .where(LetterOfIntent.application_id == application.id)
            .values(cancelled_at=func.now())
        )
        details["still_short"] = still_short
        reason = note or f"not put right: {', '.join(still_short)}"
        await move(session, scope, application, rules.Action.FAIL_REINSPECTION, reason=reason, details=details)
        return Inspected(inspection, application, [])
    await session.execute(  # every item on rectification is met now
        update(RectificationItem)
        .where(RectificationItem.application_id == application.id, RectificationItem.closed_at.is_(None))
        .values(closed_at=func.now(), closed_by_inspection_id=inspection.id)
    )
    if assessment.passed:
        await move(
            session, scope, application, rules.Action.PASS_REINSPECTION, reason=note or "passed", details=details
        )
        return Inspected(inspection, application, [])
    # Other items fall short now: they get their own rectification and another re-inspection.
    items = await _rectify(session, application, network, inspection, short)
    await journal.record(
        session,
        scope,
        entity="application",
        entity_id=application.id,
        action="rectification_extended",
        after={**details, "items": [item.code for item in items]},
        station_id=application.station_id,
    )
    return Inspected(inspection, application, items)


async def _rectify(
    session: AsyncSession,
    application: Application,
    network: Network,
    inspection: AcceptanceInspection,
    short: Sequence[Mapping[str, Any]],
) -> list[RectificationItem]:
    """A rectification item per checklist item short of its points, due in the network's rectification days."""
    due = await network_today(session, network.id) + timedelta(days=network.rectification_days)
    items = [
        RectificationItem(
            id=new_id(),
            network_id=application.network_id,
            station_id=application.station_id,
            application_id=application.id,
            inspection_id=inspection.id,
            code=item["code"],
            label_zh=item["label_zh"],
            label_en=item["label_en"],
            due_on=due,
        )
        for item in short
    ]
    session.add_all(items)
    await session.flush()
    return items


async def rectification_items_of(
    session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]
) -> dict[UUID, list[RectificationItem]]:
    require(scope, Permission.onboarding_read)
    rows = await session.scalars(
        select(RectificationItem)
        .where(RectificationItem.application_id.in_(application_ids))
        .order_by(RectificationItem.due_on, RectificationItem.code)
    )
    return group_by(rows, application_ids, lambda row: row.application_id)


# --- The contract -------------------------------------------------------------------------------------


async def sign_contract(
    session: AsyncSession,
    scope: Scope,
    store: storage.Store,
    *,
    application_id: UUID,
    term_start: date,
    term_end: date,
    service_types: Sequence[str],
) -> Contract:
    """Record the authorised service agreement: refused while a rectification item is open (or overdue);
    the station gets its authorisation number (in the network's format) and certificate, and goes live."""
    require(scope, Permission.onboarding_manage)
    types = [t for t in SERVICE_TYPES if t in service_types]
    if not types or set(service_types) - set(SERVICE_TYPES) or term_end <= term_start:
        raise ValidationFailed(
            "the agreement needs a term and its service types",
            fields={"service_types": "of paid, contract, warranty, internal", "term_end": "after the start"},
        )
    application = await application_of(session, application_id)
    still_open = list(
        await session.scalars(
            select(RectificationItem).where(
                RectificationItem.application_id == application.id, RectificationItem.closed_at.is_(None)
            )
        )
    )
    if still_open and application.stage in (rules.Stage.RECTIFICATION, rules.Stage.ACCEPTED):
        today = await network_today(session, application.network_id)
        overdue = [i.code for i in still_open if i.due_on < today]
        raise Conflict(
            f"{len(still_open)} rectification item(s) open ({', '.join(i.code for i in still_open)})"
            + (f", overdue: {', '.join(overdue)}" if overdue else "")
            + "; re-inspect first"
        )
    if application.stage != rules.Stage.ACCEPTED:
        raise Conflict(rules.refusal(application.stage, "sign_contract"))
    network = await session.get(Network, application.network_id)
    region = await session.get(Region, application.region_id) if application.region_id else None
    assert network is not None
    number = numbering.authorisation_number(
        network.authorisation_number_format,
        network=network.code,
        region=region.code if region else "HQ",
        year=term_start.year,
        seq=await numbering.next_in_series(session, network.id, "authorisation"),
    )
    certificate = papers.certificate_pdf(
        papers.Certificate(
            number=number,
            network=network.name,
            company=application.company_name,
            site_address=application.site_address,
            service_types=types,
            term_start=term_start,
            term_end=term_end,
        )
    )
    contract_id = new_id()
    key = f"{application.network_id}/certificates/{contract_id}.pdf"
    contract = Contract(
        id=contract_id,
        network_id=application.network_id,
        station_id=application.station_id,
        application_id=application.id,
        authorisation_number=number,
        term_start=term_start,
        term_end=term_end,
        service_types=types,
        signed_by=scope.actor_id,
        certificate_key=key,
        certificate_sha256=hashlib.sha256(certificate).hexdigest(),
    )
    await storage.keep(
        session, store, key, certificate, contract, conflict="another contract took that number; sign again"
    )
    # Live: the station leaves its applicant code (APP-…) for its authorisation number.
    taken = await session.scalar(select(Station.id).where(Station.code == number, Station.id != application.station_id))
    if taken is not None:
        raise Conflict(f"a station already has the code {number}; change the authorisation number format")
    await session.execute(
        update(Station)
        .where(Station.id == application.station_id)
        .values(status="active", region_id=application.region_id, code=number)
    )
    await move(
        session,
        scope,
        application,
        rules.Action.SIGN_CONTRACT,
        reason="authorised service agreement signed",
        details={"authorisation_number": number},
    )
    # A new station prices its first repair with the policy already in force.
    today = await network_today(session, application.network_id)
    await publications.deliver_in_force(session, scope, station_id=application.station_id, today=today)
    return contract


async def contracts_of(session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]) -> dict[UUID, Contract]:
    require(scope, Permission.onboarding_read)
    rows = await session.scalars(select(Contract).where(Contract.application_id.in_(application_ids)))
    return {row.application_id: row for row in rows}


async def read_certificate(
    session: AsyncSession, scope: Scope, store: storage.Store, *, contract_id: UUID
) -> tuple[Contract, bytes]:
    """A certificate the caller may see: HQ its network's, a station its own."""
    require(scope, Permission.onboarding_read)
    contract = await session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("no such contract", fields={"contract_id": "not found"})
    return contract, await storage.get(store, contract.certificate_key)
