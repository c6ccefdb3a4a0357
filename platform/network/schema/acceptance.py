"""GraphQL for the road from the letter of intent to a live station: start-up orders, acceptance inspection
and rectification, and the authorised service agreement (the certificate from `GET /certificates/{id}`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.errors import Conflict
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import uuid_of
from dealernet.network import models, rules
from dealernet.network.schema.applications import Application, Contract, MarkInput, RectificationItem, StartupOrder
from dealernet.network.service import acceptance, training
from dealernet.policy.rules import RepairLevel, ServiceType


@strawberry.input(description="A part and how many.")
class PartQuantityInput:
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    quantity: int = strawberry.field(description="How many, 1 to 100,000.")


@strawberry.input(description="A start-up order of an approved applicant.")
class PlaceStartupOrderInput:
    kind: rules.StartupOrderKind = strawberry.field(description="What the order supplies.")
    reference: str = strawberry.field(description="The order's reference, e.g. PO-2026-01.")
    due_on: date = strawberry.field(description="The day it must be delivered by.")
    parts: list[PartQuantityInput] = strawberry.field(
        default_factory=list, description="The parts and quantities (a PARTS order only)."
    )


@strawberry.input(description="The acceptance inspection of an applicant's site (验收), marked against the checklist.")
class InspectAcceptanceInput:
    application_id: strawberry.ID = strawberry.field(description="The application being inspected (global id).")
    marks: list[MarkInput] = strawberry.field(description="By the acceptance checklist; null points: not applicable.")
    note: str = strawberry.field(default="", description="The inspector's note.")


@strawberry.input(description="The contract with an accepted applicant: it goes live.")
class SignContractInput:
    application_id: strawberry.ID = strawberry.field(description="The accepted application (global id).")
    term_start: date = strawberry.field(description="The contract's first day.")
    term_end: date = strawberry.field(description="The contract's last day.")
    service_types: list[ServiceType] = strawberry.field(description="The service types it covers.")


@strawberry.input(description="A passed exam: the person, what the certificate (上岗证) qualifies for, until when.")
class RecordStaffCertificateInput:
    station_id: strawberry.ID = strawberry.field(description="The station the person works at (global id).")
    person_name: str = strawberry.field(description="The certified person's name.")
    role: str = strawberry.field(description="technician or adviser")
    service_types: list[ServiceType] = strawberry.field(
        description="The service types the certificate allows them to work on."
    )
    course: str = strawberry.field(description="The training course passed.")
    certificate_number: str = strawberry.field(description="The certificate's number.")
    passed_on: date = strawberry.field(description="The day the course was passed.")
    expires_on: date = strawberry.field(description="The last day the certificate is valid.")


expose(
    RepairLevel,
    description="A repair level (维修级别): what the repair-quality guarantees and a tier's allowance are set by.",
    values={
        RepairLevel.OVERHAUL: "大修: an overhaul.",
        RepairLevel.SECOND_LEVEL_MAINTENANCE: "二级维护: second-level maintenance.",
        RepairLevel.FIRST_LEVEL_MAINTENANCE: "一级维护: first-level maintenance.",
        RepairLevel.MINOR_REPAIR: "小修: a minor repair.",
        RepairLevel.SPECIAL_REPAIR: "专项修理: a special repair.",
    },
)


@strawberry.type(description="Whether a station may be dispatched work of a service type on a date, and why.")
class DispatchCheck:
    allowed: bool = strawberry.field(description="Whether the station may do the work.")
    reason: str = strawberry.field(
        description="Every reason why not, separated by semicolons; when allowed, how many technicians are certified."
    )


@strawberry.type(description="What `recordStaffCertificate` answers when it worked.")
class StaffCertificateSuccess:
    certificate_number: str = strawberry.field(description="The certificate's number.")
    expires_on: date = strawberry.field(description="The last day it is valid.")


StaffCertificateResult = Annotated[
    StaffCertificateSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "StaffCertificateResult",
        description=(
            "StaffCertificateSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


@strawberry.type(description="What `placeStartupOrder`, `confirmStartupDelivery` answers when it worked.")
class StartupOrderSuccess:
    order: StartupOrder = strawberry.field(description="The order placed.")


@strawberry.type(description="What `inspectAcceptance` answers when it worked.")
class InspectionSuccess:
    round: int = strawberry.field(description="1 for the acceptance inspection, 2 and on for re-inspections.")
    passed: bool = strawberry.field(description="Whether it passed.")
    application: Application = strawberry.field(description="The application, as it now stands.")
    rectification_items: list[RectificationItem] = strawberry.field(
        description="What must be put right, each by its date (empty when passed)."
    )


@strawberry.type(description="What `signContract` answers when it worked.")
class ContractSuccess:
    contract: Contract = strawberry.field(description="The signed contract.")
    application: Application = strawberry.field(description="The application, as it now stands.")


StartupOrderResult = Annotated[
    StartupOrderSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "StartupOrderResult",
        description=(
            "StartupOrderSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]
InspectionResult = Annotated[
    InspectionSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "InspectionResult",
        description=(
            "InspectionSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]
ContractResult = Annotated[
    ContractSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "ContractResult",
        description=(
            "ContractSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


@strawberry.type(description="The repair levels the service agreement allows a station tier.")
class TierRepairLevels:
    tier: str = strawberry.field(description="The tier, e.g. A.")
    repair_levels: list[RepairLevel] = strawberry.field(description="The repair levels its stations may do.")

    @classmethod
    def from_row(cls, row: models.TierRepairLevels) -> TierRepairLevels:
        return cls(tier=row.tier, repair_levels=[RepairLevel(level) for level in row.repair_levels])


@strawberry.type(description="What `setTierRepairLevels` answers when it worked.")
class TierRepairLevelsSuccess:
    tier_repair_levels: TierRepairLevels = strawberry.field(description="The tier's repair levels as set.")


TierRepairLevelsResult = Annotated[
    TierRepairLevelsSuccess | ValidationError,
    strawberry.union(
        "TierRepairLevelsResult",
        description="TierRepairLevelsSuccess when it worked; otherwise ValidationError saying why nothing changed.",
    ),
]


@strawberry.type
class AcceptanceQuery:
    @strawberry.field(
        extensions=needs(Permission.network_read),
        description="May a station be dispatched work of a service type (and a repair level) on a date? Active, "
        "under a contract in force that covers the service type, of a tier allowed the repair level, with a "
        "technician certified for it; otherwise every reason why not.",
    )
    async def dispatch_check(
        self,
        info: Info,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station (global id).")],
        service_type: Annotated[ServiceType, strawberry.argument(description="The service type of the work.")],
        on: Annotated[date, strawberry.argument(description="The day of the work.")],
        repair_level: Annotated[
            RepairLevel | None, strawberry.argument(description="The work's repair level; empty: not checked.")
        ] = None,
    ) -> DispatchCheck:
        found = await info.context.run(
            training.can_dispatch,
            station_id=uuid_of(station_id, "Station", "stationId"),
            service_type=service_type,
            on=on,
            repair_level=repair_level,
        )
        return DispatchCheck(allowed=found.allowed, reason=found.reason)

    @strawberry.field(
        extensions=needs(Permission.network_read),
        description="The repair levels each station tier may do, as HQ set them (a tier not listed is not restricted).",
    )
    async def tier_repair_levels(self, info: Info) -> list[TierRepairLevels]:
        rows = await info.context.run(training.tier_repair_levels)
        return [TierRepairLevels.from_row(row) for row in rows]


@strawberry.type
class AcceptanceMutation:
    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Set the repair levels a station tier may do (the agreement's 修理级别), replacing the tier's.",
    )
    async def set_tier_repair_levels(
        self,
        info: Info,
        tier: Annotated[str, strawberry.argument(description="The tier, e.g. A.")],
        repair_levels: Annotated[
            list[RepairLevel], strawberry.argument(description="The repair levels its stations may do.")
        ],
    ) -> TierRepairLevelsResult:
        async def run(session: AsyncSession, scope: Scope) -> models.TierRepairLevels:
            return await training.set_tier_repair_levels(session, scope, tier=tier, repair_levels=repair_levels)

        return await attempt(
            info.context, run, lambda row: TierRepairLevelsSuccess(tier_repair_levels=TierRepairLevels.from_row(row))
        )

    @strawberry.mutation(extensions=needs(Permission.onboarding_manage), description="Record a staff certificate.")
    async def record_staff_certificate(
        self,
        info: Info,
        input: Annotated[
            RecordStaffCertificateInput,
            strawberry.argument(description="The person, the course passed and what it certifies."),
        ],
    ) -> StaffCertificateResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StaffCertificate:
            return await training.record_certificate(
                session,
                scope,
                station_id=uuid_of(input.station_id, "Station", "stationId"),
                person_name=input.person_name,
                role=input.role,
                service_types=input.service_types,
                course=input.course,
                certificate_number=input.certificate_number,
                passed_on=input.passed_on,
                expires_on=input.expires_on,
            )

        return await attempt(
            info.context,
            run,
            lambda row: StaffCertificateSuccess(certificate_number=row.certificate_number, expires_on=row.expires_on),
        )

    @strawberry.mutation(extensions=needs(Permission.application_edit), description="Record a start-up order placed.")
    async def place_startup_order(
        self,
        info: Info,
        input: Annotated[PlaceStartupOrderInput, strawberry.argument(description="What to order and by when.")],
    ) -> StartupOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StartupOrder:
            with IdReader() as read:
                part_ids = read.many([p.part_id for p in input.parts], "Part", "parts")
            parts = dict(zip(part_ids, (p.quantity for p in input.parts), strict=True))
            return await acceptance.place_order(
                session, scope, kind=input.kind, reference=input.reference, due_on=input.due_on, parts=parts
            )

        return await attempt(info.context, run, lambda row: StartupOrderSuccess(order=StartupOrder.from_row(row)))

    @strawberry.mutation(extensions=needs(Permission.onboarding_manage), description="A start-up order arrived.")
    async def confirm_startup_delivery(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description="The start-up order (global id).")],
        note: Annotated[str, strawberry.argument(description="What arrived, or anything missing.")] = "",
    ) -> StartupOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StartupOrder:
            return await acceptance.confirm_delivery(
                session, scope, order_id=uuid_of(order_id, "StartupOrder", "orderId"), note=note
            )

        return await attempt(info.context, run, lambda row: StartupOrderSuccess(order=StartupOrder.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Inspect (or re-inspect) against the acceptance checklist; items short of their points get "
        "a deadline. A re-inspection cancels the letter of intent only when an item on rectification is still "
        "short; an item newly short gets its own rectification and another re-inspection.",
    )
    async def inspect_acceptance(
        self,
        info: Info,
        input: Annotated[
            InspectAcceptanceInput,
            strawberry.argument(description="The application and its marks against the acceptance checklist."),
        ],
    ) -> InspectionResult:
        async def run(session: AsyncSession, scope: Scope) -> acceptance.Inspected:
            return await acceptance.inspect(
                session,
                scope,
                application_id=uuid_of(input.application_id, "Application", "applicationId"),
                marks={m.code: m.points for m in input.marks},
                note=input.note,
            )

        return await attempt(
            info.context,
            run,
            lambda done: InspectionSuccess(
                round=done.inspection.round,
                passed=done.inspection.passed,
                application=Application.from_row(done.application),
                rectification_items=[RectificationItem.from_row(i) for i in done.rectification],
            ),
        )

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Sign the authorised service agreement: authorisation number, certificate; the station goes live.",
    )
    async def sign_contract(
        self,
        info: Info,
        input: Annotated[
            SignContractInput, strawberry.argument(description="The accepted application and the contract's term.")
        ],
    ) -> ContractResult:
        store = info.context.store

        async def run(session: AsyncSession, scope: Scope) -> tuple[models.Contract, models.Application]:
            if store is None:
                raise Conflict("no file store is configured")
            application_id = uuid_of(input.application_id, "Application", "applicationId")
            contract = await acceptance.sign_contract(
                session,
                scope,
                store,
                application_id=application_id,
                term_start=input.term_start,
                term_end=input.term_end,
                service_types=input.service_types,
            )
            application = await session.get(models.Application, application_id)
            assert application is not None
            return contract, application

        return await attempt(
            info.context,
            run,
            lambda done: ContractSuccess(
                contract=Contract.from_row(done[0]), application=Application.from_row(done[1])
            ),
        )
