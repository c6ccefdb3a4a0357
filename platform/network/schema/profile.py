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
from dealernet.core.errors import api_path
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.network import models, rules
from dealernet.network.schema.applications import StageLabel, StationDocument
from dealernet.network.service import overdue, profile
from dealernet.tenants.service.directory import network_today

expose(
    rules.ProfileChangeKind,
    description="What a profile change (资料变更) changes.",
    values={
        rules.ProfileChangeKind.CONTACTS: "The contact name, phone and e-mail.",
        rules.ProfileChangeKind.ADDRESS: "The station's address.",
        rules.ProfileChangeKind.SERVICE_AREA: "The area the station serves.",
        rules.ProfileChangeKind.BANK_ACCOUNT: "Key data: the bank and account (needs evidence and HQ's approval).",
        rules.ProfileChangeKind.LEGAL_REPRESENTATIVE: "Key data: the legal representative (evidence, HQ approves).",
    },
)
expose(
    rules.ProfileChangeStatus,
    description="Where a profile change is.",
    values={
        rules.ProfileChangeStatus.DRAFT: "Recorded, not yet filed.",
        rules.ProfileChangeStatus.IN_EFFECT: "Filed and in effect (not key data).",
        rules.ProfileChangeStatus.PENDING: "Key data filed, awaiting HQ's decision.",
        rules.ProfileChangeStatus.APPROVED: "Key data HQ approved: in effect.",
        rules.ProfileChangeStatus.REJECTED: "Key data HQ rejected: not in effect.",
        rules.ProfileChangeStatus.WITHDRAWN: "Withdrawn by the station.",
    },
)
expose(
    rules.OverdueKind,
    description="What an overdue onboarding item is.",
    values={
        rules.OverdueKind.RECTIFICATION: "A rectification item past its date.",
        rules.OverdueKind.STARTUP_ORDER: "A start-up order not delivered by its date.",
        rules.OverdueKind.PROFILE_CHANGE: "A profile change not filed within the filing period.",
        rules.OverdueKind.KEY_DATA_APPROVAL: "Key data filed and still awaiting HQ's decision.",
        rules.OverdueKind.CERTIFICATE: "A staff certificate expired or expiring.",
    },
)

_evidence_loader = by_id_loader(profile.evidence_of)
_change_loader = by_id_loader(profile.changes_by_id)


@strawberry.type(description="A station's registered data (what profile changes change).")
class StationProfile:
    station_id: strawberry.ID = strawberry.field(description="The station's global id.")
    contact_name: str = strawberry.field(extensions=pii(Pii.name), description="The contact person's name.")
    contact_phone: str = strawberry.field(extensions=pii(Pii.phone), description="The contact person's phone number.")
    contact_email: str = strawberry.field(description="The contact person's e-mail address.")
    address: str = strawberry.field(description="The station's address.")
    service_area: str = strawberry.field(description="The area the station serves.")
    bank_name: str = strawberry.field(description="The bank the station is paid through.")
    bank_account: str = strawberry.field(description="The bank account number.")
    legal_representative: str = strawberry.field(
        extensions=pii(Pii.name), description="The legal representative (法定代表人)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")

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
    field: str = strawberry.field(description="The profile field, e.g. contactPhone.")
    before: str | None = strawberry.field(description="Its value before; empty when it had none.")
    after: str = strawberry.field(description="Its new value.")


@strawberry.type(description="A change of a station's registered data (资料变更).")
class ProfileChange(relay.Node):
    id: relay.NodeID[UUID]
    station_id: strawberry.ID = strawberry.field(description="The station (global id).")
    kind: rules.ProfileChangeKind = strawberry.field(description="What it changes.")
    kind_label: StageLabel = strawberry.field(description="The kind's labels (zh, en).")
    key_data: bool = strawberry.field(description="Bank account or legal representative: HQ approves it.")
    status: rules.ProfileChangeStatus = strawberry.field(description="Where the change is.")
    changed_on: date = strawberry.field(description="The day the change happened.")
    file_by: date = strawberry.field(description="The day it must be filed by (three days after the change).")
    reason: str = strawberry.field(description="Why it changed.")
    values: list[ProfileValue] = strawberry.field(description="Each field's value before and after.")
    filed_at: datetime | None = strawberry.field(description="When it was filed; empty while a draft.")
    filed_late: bool = strawberry.field(description="Filed after the filing period from the day of the change.")
    decided_at: datetime | None = strawberry.field(description="When HQ decided key data; empty otherwise.")
    decision_note: str = strawberry.field(description="HQ's note on its decision.")

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
                ProfileValue(field=api_path(name), before=row.before.get(name), after=value)
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
    contact_name: str | None = strawberry.field(default=None, description="New contact name (CONTACTS).")
    contact_phone: str | None = strawberry.field(default=None, description="New contact phone (CONTACTS).")
    contact_email: str | None = strawberry.field(default=None, description="New contact e-mail (CONTACTS).")
    address: str | None = strawberry.field(default=None, description="New address (ADDRESS).")
    service_area: str | None = strawberry.field(default=None, description="New service area (SERVICE_AREA).")
    bank_name: str | None = strawberry.field(default=None, description="New bank (BANK_ACCOUNT).")
    bank_account: str | None = strawberry.field(default=None, description="New account number (BANK_ACCOUNT).")
    legal_representative: str | None = strawberry.field(
        default=None, description="New legal representative (LEGAL_REPRESENTATIVE)."
    )


@strawberry.input(description="A change of your station's registered data and the day it happened.")
class RecordProfileChangeInput:
    kind: rules.ProfileChangeKind = strawberry.field(description="What the change changes.")
    changed_on: date = strawberry.field(description="The day the change happened (not in the future).")
    values: ProfileValuesInput = strawberry.field(description="The new values of the kind's fields.")
    reason: str = strawberry.field(default="", description="Why it changed.")


@strawberry.type(description="The profile change as it stands now.")
class ProfileChangeSuccess:
    change: ProfileChange = strawberry.field(description="The change, as it now stands.")


ProfileChangeResult = Annotated[
    ProfileChangeSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "ProfileChangeResult",
        description=(
            "ProfileChangeSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


def _success(row: models.ProfileChange) -> ProfileChangeSuccess:
    return ProfileChangeSuccess(change=ProfileChange.from_row(row))


@strawberry.type(description="Something past its deadline in onboarding.")
class OverdueItem:
    kind: rules.OverdueKind = strawberry.field(description="What is overdue.")
    station_id: strawberry.ID = strawberry.field(description="The station it concerns (global id).")
    entity_id: strawberry.ID = strawberry.field(description="The overdue item's own id (its kind says what it is).")
    subject: str = strawberry.field(description="What is overdue, in words.")
    due_on: date = strawberry.field(description="The day it was due.")
    days_overdue: int = strawberry.field(description="Negative: days left (certificates expiring soon).")


@strawberry.type
class ProfileQuery:
    @strawberry.field(
        extensions=needs(Permission.onboarding_read),
        description="What is overdue in onboarding, oldest deadline first (a station: its own): rectification, "
        "start-up orders, unfiled profile changes, key data waiting for HQ, certificates expiring.",
    )
    async def onboarding_overdue(
        self,
        info: Info,
        kind: Annotated[rules.OverdueKind | None, strawberry.argument(description="Only items of this kind.")] = None,
    ) -> list[OverdueItem]:
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
    async def station_profile(
        self,
        info: Info,
        station_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The station (global id); HQ only, a station gets its own."),
        ] = None,
    ) -> StationProfile | None:
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
        first: First,
        after: After = None,
        station_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this station's (global id); HQ only.")
        ] = None,
        status: Annotated[
            rules.ProfileChangeStatus | None, strawberry.argument(description="Only those in this status.")
        ] = None,
        late: Annotated[
            bool | None, strawberry.argument(description="Only those filed late (true) or on time (false).")
        ] = None,
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
    async def record_profile_change(
        self,
        info: Info,
        input: Annotated[RecordProfileChangeInput, strawberry.argument(description="The change to record as a draft.")],
    ) -> ProfileChangeResult:
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
    async def file_profile_change(
        self,
        info: Info,
        change_id: Annotated[strawberry.ID, strawberry.argument(description="The profile change (global id).")],
    ) -> ProfileChangeResult:
        return await attempt(
            info.context, profile.file_change, _success, change_id=uuid_of(change_id, "ProfileChange", "changeId")
        )

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="HQ: approve (it takes effect) or reject (say why) a pending change of key data.",
    )
    async def decide_profile_change(
        self,
        info: Info,
        change_id: Annotated[strawberry.ID, strawberry.argument(description="The profile change (global id).")],
        approve: Annotated[bool, strawberry.argument(description="True to approve the key data, false to reject it.")],
        note: Annotated[str, strawberry.argument(description="HQ's note on its decision.")] = "",
    ) -> ProfileChangeResult:
        return await attempt(
            info.context,
            profile.decide_change,
            _success,
            change_id=uuid_of(change_id, "ProfileChange", "changeId"),
            approve=approve,
            note=note,
        )
