"""Onboarding files: what the applicant hands in with its application (营业执照 business licence, 税务登记证
tax registration, site photos) and the photos HQ's visitors take on the site visit. Bytes go to the object
store (storage.py: size and type checked, SHA-256 kept); the rows decide who reads them — a station its
own documents, HQ its network's, and visit photos HQ alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import SiteVisit, SiteVisitPhoto, StationDocument
from dealernet.network.service.applications import application_of, my_application

MAX_DOCUMENTS = 30
MAX_PHOTOS = 50
# Files may be handed in while the application is being filled in or reviewed, not after the decision.
OPEN_STAGES = (rules.Stage.DRAFT, rules.Stage.SUBMITTED, rules.Stage.SHORTLISTED, rules.Stage.VISIT_PLANNED)


async def hand_in(
    session: AsyncSession, scope: Scope, store: storage.Store, *, kind: str, filename: str, content: bytes
) -> StationDocument:
    """The applicant hands in a document with its application (a later one of a kind supersedes the earlier
    in what HQ reviews; both are kept)."""
    require(scope, Permission.application_edit)
    named = rules.document_kind(kind)
    if named not in rules.APPLICATION_DOCUMENTS:
        choices = ", ".join(k.name for k in rules.APPLICATION_DOCUMENTS)
        raise ValidationFailed(f"the kind is one of {choices}", fields={"kind": f"one of {choices}"})
    kind = named
    checked = storage.check_file(filename, content)
    application = await my_application(session, scope)
    if application.stage not in OPEN_STAGES:
        raise Conflict(f"the application is {application.stage}: documents are closed")
    await within_limit(session, StationDocument.application_id, application.id, MAX_DOCUMENTS)
    row = StationDocument(
        network_id=application.network_id,
        station_id=application.station_id,
        application_id=application.id,
        kind=kind,
        uploaded_by=scope.actor_id,
    )
    return await keep_station_document(session, store, row, checked, content)


async def within_limit(session: AsyncSession, owner: Any, owner_id: UUID, limit: int) -> None:
    """VALIDATION when the owner (an application, a change, a visit) has `limit` files already."""
    if (await session.scalar(select(func.count()).where(owner == owner_id)) or 0) >= limit:
        raise ValidationFailed(f"at most {limit} files", fields={"file": "too many"})


async def keep_station_document(
    session: AsyncSession, store: storage.Store, row: StationDocument, checked: storage.Checked, content: bytes
) -> StationDocument:
    """The file's metadata on the row, its bytes under a key of the station's, both kept together."""
    row.id = new_id()
    row.filename, row.content_type, row.size, row.sha256 = (
        checked.filename,
        checked.content_type,
        checked.size,
        checked.sha256,
    )
    row.storage_key = f"{row.network_id}/stations/{row.station_id}/documents/{row.id}"
    await storage.keep(session, store, row.storage_key, content, row, conflict="the document exists already")
    return row


async def documents_of(
    session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]
) -> dict[UUID, list[StationDocument]]:
    require(scope, Permission.onboarding_read)
    query = (
        select(StationDocument)
        .where(StationDocument.application_id.in_(application_ids))
        .order_by(StationDocument.uploaded_at, StationDocument.id)
    )
    return group_by(await session.scalars(query), application_ids, lambda row: row.application_id)


async def read_document(
    session: AsyncSession, scope: Scope, store: storage.Store, *, document_id: UUID
) -> tuple[StationDocument, bytes]:
    require(scope, Permission.onboarding_read)
    row = await session.get(StationDocument, document_id)  # RLS: the station's own, or HQ's network's
    if row is None:
        raise NotFound("no such document", fields={"document_id": "not found"})
    return row, await storage.get(store, row.storage_key)


async def add_visit_photo(
    session: AsyncSession,
    scope: Scope,
    store: storage.Store,
    *,
    application_id: UUID,
    filename: str,
    content: bytes,
    caption: str = "",
) -> SiteVisitPhoto:
    """A photo from the site visit of the application (planned or made)."""
    require(scope, Permission.onboarding_manage)
    if len(caption.strip()) > 200:
        raise ValidationFailed("caption too long", fields={"caption": "at most 200 characters"})
    checked = storage.check_file(filename, content)
    application = await application_of(session, application_id)
    visit = (await session.scalars(select(SiteVisit).where(SiteVisit.application_id == application.id))).first()
    if visit is None:
        raise Conflict(f"the application is {application.stage}: plan the site visit first")
    await within_limit(session, SiteVisitPhoto.site_visit_id, visit.id, MAX_PHOTOS)
    photo_id = new_id()
    row = SiteVisitPhoto(
        id=photo_id,
        network_id=visit.network_id,
        site_visit_id=visit.id,
        caption=caption.strip(),
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_key=f"{visit.network_id}/site-visits/{visit.id}/{photo_id}",
        uploaded_by=scope.actor_id,
    )
    await storage.keep(session, store, row.storage_key, content, row, conflict="the photo exists already")
    return row


async def photos_of(session: AsyncSession, scope: Scope, visit_ids: Sequence[UUID]) -> dict[UUID, list[SiteVisitPhoto]]:
    require(scope, Permission.onboarding_manage)
    query = (
        select(SiteVisitPhoto)
        .where(SiteVisitPhoto.site_visit_id.in_(visit_ids))
        .order_by(SiteVisitPhoto.uploaded_at, SiteVisitPhoto.id)
    )
    return group_by(await session.scalars(query), visit_ids, lambda row: row.site_visit_id)


async def read_visit_photo(
    session: AsyncSession, scope: Scope, store: storage.Store, *, photo_id: UUID
) -> tuple[SiteVisitPhoto, bytes]:
    require(scope, Permission.onboarding_manage)
    row = await session.get(SiteVisitPhoto, photo_id)
    if row is None:
        raise NotFound("no such photo", fields={"photo_id": "not found"})
    return row, await storage.get(store, row.storage_key)
