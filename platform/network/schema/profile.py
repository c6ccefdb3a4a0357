"""GraphQL for a station's registered data and its changes (资料变更): the station records and files a change
(evidence files go to POST /profile-changes/{id}/evidence); HQ approves key data and sees late filings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.network import models, rules
from dealernet.network.schema.applications import StageLabel, StationDocument
from dealernet.network.service import overdue, profile
from dealernet.tenants.service.directory import network_today

_evidence_loader = by_id_loader(profile.evidence_of)
_change_loader = by_id_loader(profile.changes_by_id)


@strawberry.type(description="A station's registered data (what profile changes change).")
class StationProfile:
    station_id: strawberry.ID
    contact_name: str = strawberry.field(extensions=pii(Pii.name))
    contact_phone: str = strawberry.field(extensions=pii(Pii.phone))
    contact_email: str
    address: str
    service_area: str
    bank_name: str
    bank_account: str
    legal_representative: str = strawberry.field(extensions=pii(Pii.name))
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.StationProfile) -> StationProfile:
        return cls(
            station_id=gid("Station", row.station_id),
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            contact_email=row.contact_email,
            address=row.address,
            service_area=row.service_area,
            bank_name=row.bank_name,
            bank_account=row.bank_account,
            legal_representative=row.legal_representative,
            updated_at=row.updated_at,
        )


@strawberry.type(description="One field of a change: its value before (once filed) and after.")
class ProfileValue:
    field: str
    before: str | None
    after: str


@strawberry.type(description="A change of a station's registered data (资料变更).")
class ProfileChange(relay.Node):
    id: relay.NodeID[UUID]
    station_id: strawberry.ID
    kind: str
    kind_label: StageLabel
    key_data: bool = strawberry.field(description="Bank account or legal representative: HQ approves it.")
    status: str = strawberry.field(description="draft, in_effect, pending, approved or rejected.")
    changed_on: date
    file_by: date = strawberry.field(description="The day it must be filed by (three days after the change).")
    reason: str
    values: list[ProfileValue]
    filed_at: datetime | None
    filed_late: bool
    decided_at: datetime | None
    decision_note: str

    @classmethod
    def from_row(cls, row: models.ProfileChange) -> ProfileChange:
        zh, en, _ = rules.PROFILE_KINDS[row.kind]
        return cls(
            id=row.id,
            station_id=gid("Station", row.station_id),
            kind=row.kind,
            kind_label=StageLabel(stage=row.kind, zh=zh, en=en),
            key_data=row.kind in rules.KEY_DATA,
            status=row.status,
            changed_on=row.changed_on,
            file_by=rules.file_by(row.changed_on),
            reason=row.reason,
            values=[
                ProfileValue(field=rules.input_name(name), before=row.before.get(name), after=value)
                for name, value in row.after.items()
            ],
            filed_at=row.filed_at,
            filed_late=row.filed_late,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "profile_change", _change_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="Evidence of before and after (download: /documents/{id}).")
    async def evidence(self, info: Info) -> list[StationDocument]:
        rows = await info.context.loader("evidence", _evidence_loader).load(self.id)
        return [StationDocument.from_row(r) for r in rows or []]


@strawberry.input(description="The new values; name only those of the change's kind.")
class ProfileValuesInput:
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    address: str | None = None
    service_area: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    legal_representative: str | None = None


@strawberry.input(description="A change of your station's registered data and the day it happened.")
class RecordProfileChangeInput:
    kind: str = strawberry.field(description="contacts, address, service_area, bank_account, legal_representative.")
    changed_on: date
    values: ProfileValuesInput
    reason: str = ""


@strawberry.type(description="The profile change as it stands now.")
class ProfileChangeSuccess:
    change: ProfileChange


ProfileChangeResult = Annotated[
    ProfileChangeSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("ProfileChangeResult")
]


def _success(row: models.ProfileChange) -> ProfileChangeSuccess:
    return ProfileChangeSuccess(change=ProfileChange.from_row(row))


@strawberry.type(description="Something past its deadline in onboarding.")
class OverdueItem:
    kind: str = strawberry.field(description=", ".join(overdue.KINDS))
    station_id: strawberry.ID
    entity_id: strawberry.ID = strawberry.field(description="The overdue item's own id (its kind says what it is).")
    subject: str
    due_on: date
    days_overdue: int = strawberry.field(description="Negative: days left (certificates expiring soon).")


@strawberry.type
class ProfileQuery:
    @strawberry.field(
        extensions=needs(Permission.onboarding_read),
        description="What is overdue in onboarding, oldest deadline first (a station: its own): rectification, "
        "start-up orders, unfiled profile changes, key data waiting for HQ, certificates expiring.",
    )
    async def onboarding_overdue(self, info: Info, kind: str | None = None) -> list[OverdueItem]:
        async def read(session: AsyncSession, scope: Scope) -> tuple[date, list[overdue.Overdue]]:
            today = await network_today(session, scope.network_id)
            return today, await overdue.overdue(session, scope, today=today, kind=kind)

        today, rows = await info.context.run(read)
        return [
            OverdueItem(
                kind=row.kind,
                station_id=gid("Station", row.station_id),
                entity_id=strawberry.ID(str(row.entity_id)),
                subject=row.subject,
                due_on=row.due_on,
                days_overdue=(today - row.due_on).days,
            )
            for row in rows
        ]

    @strawberry.field(
        extensions=needs(Permission.onboarding_read),
        description="A station's registered data (a station: its own; HQ: name the station).",
    )
    async def station_profile(self, info: Info, station_id: strawberry.ID | None = None) -> StationProfile | None:
        async def read(session: AsyncSession, scope: Scope) -> models.StationProfile | None:
            station = scope.station_id if scope.is_station else uuid_of(station_id, "Station", "stationId")
            if station is None:
                return None
            found = await profile.profiles_by_station(session, scope, [station])
            return found.get(station)

        row = await info.context.run(read)
        return StationProfile.from_row(row) if row else None

    @strawberry.field(
        extensions=needs(Permission.onboarding_read),
        description="Profile changes, newest first (a station: its own); filter late filings with `late: true`.",
    )
    async def profile_changes(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        station_id: strawberry.ID | None = None,
        status: str | None = None,
        late: bool | None = None,
    ) -> relay.Connection[ProfileChange]:
        filters = profile.ChangeFilter(station_id=uuid_of(station_id, "Station", "stationId"), status=status, late=late)
        rows = await info.context.run(profile.list_changes, filters, first=first, after=keyset_after(after))
        return connection(
            rows, first=first, node=ProfileChange.from_row, key=lambda r: (r.recorded_at.isoformat(), r.id)
        )


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(
        extensions=needs(Permission.profile_edit),
        description="Record a change of your station's data (a draft: attach evidence, then file it).",
    )
    async def record_profile_change(self, info: Info, input: RecordProfileChangeInput) -> ProfileChangeResult:  # noqa: A002
        values = {k: v for k, v in vars(input.values).items() if v is not None}
        return await attempt(
            info.context,
            profile.record_change,
            _success,
            kind=input.kind,
            changed_on=input.changed_on,
            values=values,
            reason=input.reason,
        )

    @strawberry.mutation(
        extensions=needs(Permission.profile_edit),
        description="File a recorded change: it takes effect now, or for key data once HQ approves.",
    )
    async def file_profile_change(self, info: Info, change_id: strawberry.ID) -> ProfileChangeResult:
        return await attempt(
            info.context, profile.file_change, _success, change_id=uuid_of(change_id, "ProfileChange", "changeId")
        )

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="HQ: approve (it takes effect) or reject (say why) a pending change of key data.",
    )
    async def decide_profile_change(
        self, info: Info, change_id: strawberry.ID, approve: bool, note: str = ""
    ) -> ProfileChangeResult:
        return await attempt(
            info.context,
            profile.decide_change,
            _success,
            change_id=uuid_of(change_id, "ProfileChange", "changeId"),
            approve=approve,
            note=note,
        )
