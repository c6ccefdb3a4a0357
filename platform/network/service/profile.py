"""A station's registered data and its changes (资料变更): contacts, address and service area changes are
filed within three days of the change and take effect when filed (a later filing is flagged); key data —
bank account, legal representative — needs evidence of before and after and HQ's approval first.

A change is recorded as a draft (the day it happened, the new values, evidence files), then filed; a draft
left unfiled is reminded by the deadline watcher. Every step is journaled with before and after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, storage
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import Application, ProfileChange, StationDocument, StationProfile
from dealernet.network.service import documents
from dealernet.tenants.service.directory import check_email, network_today, require_open_station

FIELD_LIMITS = {
    "contact_name": 100,
    "contact_phone": 40,
    "contact_email": 320,
    "address": 300,
    "service_area": 500,
    "bank_name": 100,
    "bank_account": 60,
    "legal_representative": 100,
}
MAX_EVIDENCE = 10
TRACKED = ("status", "changed_on", "before", "after", "filed_late")


def check_change(kind: str, changed_on: date, values: Mapping[str, str], reason: str, today: date) -> dict[str, str]:
    """The new values of a change of `kind` (only its fields, each within its length, at least one) on a day
    that has come; every problem at once, by input path."""
    if kind not in rules.PROFILE_KINDS:
        raise ValidationFailed("unknown kind of change", fields={"kind": ", ".join(rules.PROFILE_KINDS)})
    fields = rules.PROFILE_KINDS[kind][2]
    problems: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, value in values.items():
        path = f"values.{name}"
        if name not in fields:
            problems[path] = f"not part of a {kind} change"
        elif len(value.strip()) > FIELD_LIMITS[name]:
            problems[path] = f"at most {FIELD_LIMITS[name]} characters"
        else:
            cleaned[name] = value.strip()
    if cleaned.get("contact_email"):
        try:
            cleaned["contact_email"] = check_email(cleaned["contact_email"])
        except ValidationFailed:
            problems["values.contact_email"] = "not an e-mail address"
    if not values:
        problems["values"] = "name at least one new value"
    if changed_on > today:
        problems["changed_on"] = "not in the future"
    if len(reason) > 2000:
        problems["reason"] = "at most 2000 characters"
    if problems:
        raise ValidationFailed("the change is not valid", fields=problems)
    return cleaned


async def profile_of(session: AsyncSession, scope: Scope, station_id: UUID) -> StationProfile:
    """The station's profile; the first time, started from its application's data."""
    found = (await session.scalars(select(StationProfile).where(StationProfile.station_id == station_id))).first()
    if found is not None:
        return found
    application = (await session.scalars(select(Application).where(Application.station_id == station_id))).first()
    values = {}
    if application is not None:
        values = {
            "contact_name": application.contact_name,
            "contact_phone": application.contact_phone,
            "address": application.site_address,
            "legal_representative": application.legal_representative,
        }
    statement = (
        insert(StationProfile)
        .values(id=new_id(), network_id=scope.network_id, station_id=station_id, **values)
        .on_conflict_do_nothing(index_elements=["station_id"])
    )
    await session.execute(statement)
    return (await session.scalars(select(StationProfile).where(StationProfile.station_id == station_id))).one()


async def record_change(
    session: AsyncSession, scope: Scope, *, kind: str, changed_on: date, values: Mapping[str, str], reason: str = ""
) -> ProfileChange:
    """The station records a change (a draft until filed)."""
    require(scope, Permission.profile_edit)
    cleaned = check_change(kind, changed_on, values, reason, await network_today(session, scope.network_id))
    if scope.station_id is None or scope.network_id is None:
        raise ValidationFailed("a station records its own changes", fields={"station_id": "a station's own"})
    change = ProfileChange(
        id=new_id(),
        network_id=scope.network_id,
        station_id=scope.station_id,
        kind=kind,
        changed_on=changed_on,
        after=cleaned,
        before={},
        reason=reason.strip(),
        recorded_by=scope.actor_id,
    )
    session.add(change)
    await session.flush()
    await _journal(session, scope, change, "recorded", None)
    return change


async def _change(session: AsyncSession, change_id: UUID) -> ProfileChange:
    query = select(ProfileChange).where(ProfileChange.id == change_id).with_for_update()
    change = (await session.scalars(query)).first()  # RLS: the station's own, or HQ's network's
    if change is None:
        raise NotFound("no such profile change", fields={"change_id": "not found"})
    return change


async def _journal(
    session: AsyncSession, scope: Scope, change: ProfileChange, action: str, before: Mapping[str, object] | None
) -> None:
    await journal.record(
        session,
        scope,
        entity="profile_change",
        entity_id=change.id,
        action=action,
        before=before,
        after=journal.snapshot(change, *TRACKED),
        station_id=change.station_id,
    )


async def file_change(session: AsyncSession, scope: Scope, *, change_id: UUID) -> ProfileChange:
    """File a recorded change: ordinary data takes effect now (late if past the three days); key data waits
    for HQ, with evidence of before and after."""
    require(scope, Permission.profile_edit)
    change = await _change(session, change_id)
    if change.status != rules.ProfileChangeStatus.DRAFT:
        raise Conflict(f"the change is {change.status}; only a draft is filed")
    if change.kind in rules.KEY_DATA:
        handed_in = set(
            await session.scalars(select(StationDocument.kind).where(StationDocument.profile_change_id == change.id))
        )
        missing = [kind for kind in rules.EVIDENCE if kind not in handed_in]
        if missing:
            raise ValidationFailed(
                "key data needs evidence of before and after", fields={k: "required" for k in missing}
            )
    before = journal.snapshot(change, *TRACKED)
    profile = await profile_of(session, scope, change.station_id)
    now = datetime.now(UTC)
    change.before = {name: getattr(profile, name) for name in change.after}
    today = await network_today(session, change.network_id)
    change.filed_at, change.filed_late = now, rules.filed_late(change.changed_on, today)
    if change.kind in rules.KEY_DATA:
        change.status = rules.ProfileChangeStatus.PENDING
    else:
        change.status = rules.ProfileChangeStatus.IN_EFFECT
        _apply(profile, change.after, now)
    await session.flush()
    await _journal(session, scope, change, "filed", before)
    return change


def _apply(profile: StationProfile, values: Mapping[str, str], now: datetime) -> None:
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now


async def decide_change(
    session: AsyncSession, scope: Scope, *, change_id: UUID, approve: bool, note: str = ""
) -> ProfileChange:
    """HQ approves (the key data takes effect) or rejects a pending change, with a note."""
    require(scope, Permission.onboarding_manage)
    change = await _change(session, change_id)
    if change.status != rules.ProfileChangeStatus.PENDING:
        raise Conflict(f"the change is {change.status}; only a pending change is decided")
    if not approve and not note.strip():
        raise ValidationFailed("say why it is rejected", fields={"note": "required to reject"})
    before = journal.snapshot(change, *TRACKED)
    now = datetime.now(UTC)
    change.status = rules.ProfileChangeStatus.APPROVED if approve else rules.ProfileChangeStatus.REJECTED
    change.decided_by, change.decided_at, change.decision_note = scope.actor_id, now, note.strip()[:2000]
    if approve:
        _apply(await profile_of(session, scope, change.station_id), change.after, now)
    await session.flush()
    await _journal(session, scope, change, change.status, before)
    return change


async def attach_evidence(
    session: AsyncSession,
    scope: Scope,
    store: storage.Store,
    *,
    change_id: UUID,
    kind: str,
    filename: str,
    content: bytes,
) -> StationDocument:
    """Evidence of the data before or after a change (a bank letter, the new legal representative's ID)."""
    require(scope, Permission.profile_edit)
    await require_open_station(session, scope)
    named = rules.document_kind(kind)
    if named not in rules.EVIDENCE:
        raise ValidationFailed(
            "EVIDENCE_BEFORE or EVIDENCE_AFTER", fields={"kind": "EVIDENCE_BEFORE or EVIDENCE_AFTER"}
        )
    kind = named
    checked = storage.check_file(filename, content)
    change = await _change(session, change_id)
    if change.status != rules.ProfileChangeStatus.DRAFT:
        raise Conflict(f"the change is {change.status}: evidence goes with a draft")
    await documents.within_limit(session, StationDocument.profile_change_id, change.id, MAX_EVIDENCE)
    row = StationDocument(
        network_id=change.network_id,
        station_id=change.station_id,
        profile_change_id=change.id,
        kind=kind,
        uploaded_by=scope.actor_id,
    )
    return await documents.keep_station_document(session, store, row, checked, content)


async def evidence_of(
    session: AsyncSession, scope: Scope, change_ids: Sequence[UUID]
) -> dict[UUID, list[StationDocument]]:
    require(scope, Permission.onboarding_read)
    query = (
        select(StationDocument)
        .where(StationDocument.profile_change_id.in_(change_ids))
        .order_by(StationDocument.uploaded_at, StationDocument.id)
    )
    return group_by(await session.scalars(query), change_ids, lambda row: row.profile_change_id)


async def changes_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, ProfileChange]:
    require(scope, Permission.onboarding_read)
    return {row.id: row for row in await session.scalars(select(ProfileChange).where(ProfileChange.id.in_(ids)))}


@dataclass(frozen=True)
class ChangeFilter:
    station_id: UUID | None = None
    status: str | None = None
    late: bool | None = None


async def list_changes(
    session: AsyncSession, scope: Scope, filters: ChangeFilter, *, first: int, after: tuple[str, UUID] | None
) -> list[ProfileChange]:
    """Profile changes, newest first (a station sees its own; HQ its network's)."""
    require(scope, Permission.onboarding_read)
    check_page_size(first)
    query = select(ProfileChange).where(scope.owns(ProfileChange))
    if filters.station_id is not None:
        query = query.where(ProfileChange.station_id == filters.station_id)
    if filters.status is not None:
        query = query.where(ProfileChange.status == filters.status)
    if filters.late is not None:
        query = query.where(ProfileChange.filed_late.is_(filters.late))
    if after is not None:
        try:
            since = datetime.fromisoformat(after[0])
        except ValueError:
            raise ValidationFailed("not a cursor of this list", fields={"after": "invalid cursor"}) from None
        query = query.where(tuple_(ProfileChange.recorded_at, ProfileChange.id) < tuple_(since, after[1]))
    query = query.order_by(ProfileChange.recorded_at.desc(), ProfileChange.id.desc()).limit(first + 1)
    return list(await session.scalars(query))


async def profiles_by_station(
    session: AsyncSession, scope: Scope, station_ids: Sequence[UUID]
) -> dict[UUID, StationProfile]:
    require(scope, Permission.onboarding_read)
    rows = await session.scalars(select(StationProfile).where(StationProfile.station_id.in_(station_ids)))
    return {row.station_id: row for row in rows}
