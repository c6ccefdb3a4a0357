"""Policy documents that hold from their publication's date: the service commitments (response hours for
ordinary and major issues, the reports due — the quality issue's clocks read them) and technical bulletins
(Markdown repair guidance for some models, VIN ranges and parts). Each is written with its draft and
published like any publication."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.policy.models import BulletinAttachment, Part, Publication, ServiceCommitments, TechnicalBulletin
from dealernet.policy.service.publications import (
    BULLETIN,
    SERVICE_COMMITMENTS,
    Target,
    draft_publication,
    open_draft,
    rows_of,
)

VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")  # ISO 3779: no I, O or Q
MAX_BODY = 200_000
MAX_LIST = 200


@dataclass(frozen=True)
class ReportDue:
    """A report the station owes, its format and how many hours after the event it is due."""

    report: str
    format: str
    due_hours: int


async def draft_service_commitments(
    session: AsyncSession,
    scope: Scope,
    *,
    title: str,
    effective_on: date,
    ordinary_response_hours: int,
    major_response_hours: int,
    reports: Sequence[ReportDue] = (),
    target: Target = Target(),
) -> Publication:
    """A draft of the commitments every targeted station works to from the effective date."""
    require(scope, Permission.policy_publish)
    problems: dict[str, str] = {}
    if not 0 < major_response_hours <= ordinary_response_hours <= 24 * 90:
        problems["major_response_hours"] = "above 0 and no later than the ordinary response (at most 90 days)"
    names = [r.report.strip() for r in reports]
    if len(reports) > MAX_LIST or any(not n or len(n) > 100 for n in names) or len(set(names)) != len(names):
        problems["reports"] = "each report named once, at most 100 characters"
    elif any(not r.format.strip() or len(r.format) > 40 or not 0 < r.due_hours <= 24 * 365 for r in reports):
        problems["reports"] = "each with a format and due within 1 hour to 365 days"
    if problems:
        raise ValidationFailed("the service commitments are not valid", fields=problems)
    publication = await draft_publication(
        session, scope, kind=SERVICE_COMMITMENTS, title=title, effective_on=effective_on, target=target
    )
    session.add(
        ServiceCommitments(
            id=new_id(),
            network_id=publication.network_id,
            publication_id=publication.id,
            ordinary_response_hours=ordinary_response_hours,
            major_response_hours=major_response_hours,
            reports=[
                {"report": r.report.strip(), "format": r.format.strip(), "due_hours": r.due_hours} for r in reports
            ],
        )
    )
    await session.flush()
    return publication


@dataclass(frozen=True)
class VinRange:
    first: str
    last: str


def check_vin_ranges(ranges: Sequence[VinRange]) -> list[dict[str, str]]:
    checked, problems = [], {}
    for index, vin_range in enumerate(ranges):
        first, last = vin_range.first.strip().upper(), vin_range.last.strip().upper()
        if not VIN.match(first) or not VIN.match(last) or first > last:
            problems[f"vin_ranges.{index}"] = "two 17-character VINs, the first not after the last"
        checked.append({"from": first, "to": last})
    if problems:
        raise ValidationFailed("a VIN range is not valid", fields=problems)
    return checked


async def draft_bulletin(
    session: AsyncSession,
    scope: Scope,
    *,
    title: str,
    effective_on: date,
    number: str,
    body: str,
    affected_models: Sequence[str] = (),
    vin_ranges: Sequence[VinRange] = (),
    part_ids: Sequence[UUID] = (),
    target: Target = Target(),
) -> Publication:
    """A draft technical bulletin: its number (unique in the network), Markdown body and what it affects."""
    require(scope, Permission.policy_publish)
    number = number.strip().upper()
    models = sorted({m.strip().upper() for m in affected_models if m.strip()})
    problems: dict[str, str] = {}
    if not number or len(number) > 40:
        problems["number"] = "1 to 40 characters"
    if not body.strip() or len(body) > MAX_BODY:
        problems["body"] = f"1 to {MAX_BODY:,} characters of Markdown"
    if len(models) > MAX_LIST or any(len(m) > 40 for m in models):
        problems["affected_models"] = f"at most {MAX_LIST}, each at most 40 characters"
    if len(vin_ranges) > MAX_LIST or len(part_ids) > MAX_LIST:
        problems["vin_ranges"] = f"at most {MAX_LIST} VIN ranges and {MAX_LIST} parts"
    if problems:
        raise ValidationFailed("the bulletin is not valid", fields=problems)
    ranges = check_vin_ranges(vin_ranges)
    if await session.scalar(select(TechnicalBulletin.id).where(TechnicalBulletin.number == number)) is not None:
        raise Conflict(f"bulletin {number} already exists")
    parts = set(part_ids)
    if parts and await session.scalar(select(func.count()).where(Part.id.in_(parts))) != len(parts):
        raise NotFound("no such part", fields={"part_ids": "not found"})
    publication = await draft_publication(
        session, scope, kind=BULLETIN, title=title, effective_on=effective_on, target=target
    )
    bulletin = TechnicalBulletin(
        id=new_id(),
        network_id=publication.network_id,
        publication_id=publication.id,
        number=number,
        body=body,
        affected_models=models,
        vin_ranges=ranges,
        part_ids=sorted(parts),
    )
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(bulletin)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"bulletin {number} already exists") from exc
    return publication


async def commitments_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, ServiceCommitments]:
    require(scope, Permission.policy_read)
    rows = await session.scalars(
        select(ServiceCommitments).where(ServiceCommitments.publication_id.in_(publication_ids))
    )
    return {row.publication_id: row for row in rows}


async def bulletins_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, TechnicalBulletin]:
    require(scope, Permission.policy_read)
    rows = await session.scalars(select(TechnicalBulletin).where(TechnicalBulletin.publication_id.in_(publication_ids)))
    return {row.publication_id: row for row in rows}


MAX_ATTACHMENTS = 20


async def attach_to_bulletin(
    session: AsyncSession, scope: Scope, store: storage.Store, *, publication_id: UUID, filename: str, content: bytes
) -> BulletinAttachment:
    """Attach a PDF or image to a draft bulletin: the bytes to the store under a key of ours, the metadata
    here (the object is removed again if its row cannot be written)."""
    require(scope, Permission.policy_publish)
    bulletin = await open_draft(session, publication_id, BULLETIN)
    checked = storage.check_file(filename, content)
    count = await session.scalar(select(func.count()).where(BulletinAttachment.publication_id == bulletin.id))
    if (count or 0) >= MAX_ATTACHMENTS:
        raise ValidationFailed(f"at most {MAX_ATTACHMENTS} attachments", fields={"file": "too many"})
    attachment_id = new_id()
    key = f"{bulletin.network_id}/bulletins/{bulletin.id}/{attachment_id}"
    row = BulletinAttachment(
        id=attachment_id,
        network_id=bulletin.network_id,
        publication_id=bulletin.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_key=key,
        uploaded_by=scope.actor_id,
    )
    await storage.keep(session, store, key, content, row, conflict="the attachment exists already")
    return row


async def attachments_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, list[BulletinAttachment]]:
    require(scope, Permission.policy_read)
    return await rows_of(
        session, BulletinAttachment, publication_ids, BulletinAttachment.uploaded_at, BulletinAttachment.id
    )


async def read_attachment(
    session: AsyncSession, scope: Scope, store: storage.Store, *, attachment_id: UUID
) -> tuple[BulletinAttachment, bytes]:
    """An attachment the caller may see (HQ its network's; a station those of bulletins delivered to it)."""
    require(scope, Permission.policy_read)
    row = await session.get(BulletinAttachment, attachment_id)
    if row is None:
        raise NotFound("no such attachment", fields={"attachment_id": "not found"})
    return row, await storage.get(store, row.storage_key)
