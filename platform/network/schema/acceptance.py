"""GraphQL for the road from the letter of intent to a live station: start-up orders, acceptance inspection
and rectification, and the authorised service agreement (the certificate from `GET /certificates/{id}`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.errors import Conflict
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import uuid_of
from dealernet.network import models
from dealernet.network.schema.applications import Application, Contract, MarkInput, RectificationItem, StartupOrder
from dealernet.network.service import acceptance, training
from dealernet.policy.rules import ServiceType


@strawberry.input
class PartQuantityInput:
    part_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceStartupOrderInput:
    kind: str = strawberry.field(description="tools, parts or vi")
    reference: str
    due_on: date
    parts: list[PartQuantityInput] = strawberry.field(default_factory=list)


@strawberry.input
class InspectAcceptanceInput:
    application_id: strawberry.ID
    marks: list[MarkInput] = strawberry.field(description="By the acceptance checklist; null points: not applicable.")
    note: str = ""


@strawberry.input
class SignContractInput:
    application_id: strawberry.ID
    term_start: date
    term_end: date
    service_types: list[ServiceType] = strawberry.field(description="The service types it covers.")


@strawberry.input(description="A passed exam: the person, what the certificate (上岗证) qualifies for, until when.")
class RecordStaffCertificateInput:
    station_id: strawberry.ID
    person_name: str
    role: str = strawberry.field(description="technician or adviser")
    service_types: list[ServiceType]
    course: str
    certificate_number: str
    passed_on: date
    expires_on: date


@strawberry.type(description="Whether a station may be dispatched work of a service type on a date, and why.")
class DispatchCheck:
    allowed: bool
    reason: str


@strawberry.type
class StaffCertificateSuccess:
    certificate_number: str
    expires_on: date


StaffCertificateResult = Annotated[
    StaffCertificateSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("StaffCertificateResult"),
]


@strawberry.type
class StartupOrderSuccess:
    order: StartupOrder


@strawberry.type
class InspectionSuccess:
    round: int
    passed: bool
    application: Application
    rectification_items: list[RectificationItem]


@strawberry.type
class ContractSuccess:
    contract: Contract
    application: Application


StartupOrderResult = Annotated[
    StartupOrderSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("StartupOrderResult")
]
InspectionResult = Annotated[
    InspectionSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("InspectionResult")
]
ContractResult = Annotated[
    ContractSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("ContractResult")
]


@strawberry.type
class AcceptanceQuery:
    @strawberry.field(
        extensions=needs(Permission.network_read),
        description="May a station be dispatched work of a service type (paid, contract, warranty, internal) on a "
        "date? Active, with a technician certified for it.",
    )
    async def dispatch_check(
        self, info: Info, station_id: strawberry.ID, service_type: ServiceType, on: date
    ) -> DispatchCheck:
        found = await info.context.run(
            training.can_dispatch,
            station_id=uuid_of(station_id, "Station", "stationId"),
            service_type=service_type,
            on=on,
        )
        return DispatchCheck(allowed=found.allowed, reason=found.reason)


@strawberry.type
class AcceptanceMutation:
    @strawberry.mutation(extensions=needs(Permission.onboarding_manage), description="Record a staff certificate.")
    async def record_staff_certificate(
        self,
        info: Info,
        input: RecordStaffCertificateInput,  # noqa: A002
    ) -> StaffCertificateResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StaffCertificate:
            return await training.record_certificate(
                session,
                scope,
                station_id=uuid_of(input.station_id, "Station", "input.stationId"),
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
    async def place_startup_order(self, info: Info, input: PlaceStartupOrderInput) -> StartupOrderResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.StartupOrder:
            parts = {uuid_of(p.part_id, "Part", "input.parts"): p.quantity for p in input.parts}
            return await acceptance.place_order(
                session, scope, kind=input.kind, reference=input.reference, due_on=input.due_on, parts=parts
            )

        return await attempt(info.context, run, lambda row: StartupOrderSuccess(order=StartupOrder.from_row(row)))

    @strawberry.mutation(extensions=needs(Permission.onboarding_manage), description="A start-up order arrived.")
    async def confirm_startup_delivery(self, info: Info, order_id: strawberry.ID, note: str = "") -> StartupOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StartupOrder:
            return await acceptance.confirm_delivery(
                session, scope, order_id=uuid_of(order_id, "StartupOrder", "orderId"), note=note
            )

        return await attempt(info.context, run, lambda row: StartupOrderSuccess(order=StartupOrder.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Inspect (or re-inspect) against the acceptance checklist; failed items get a deadline.",
    )
    async def inspect_acceptance(self, info: Info, input: InspectAcceptanceInput) -> InspectionResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> acceptance.Inspected:
            return await acceptance.inspect(
                session,
                scope,
                application_id=uuid_of(input.application_id, "Application", "input.applicationId"),
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
    async def sign_contract(self, info: Info, input: SignContractInput) -> ContractResult:  # noqa: A002
        store = info.context.store

        async def run(session: AsyncSession, scope: Scope) -> tuple[models.Contract, models.Application]:
            if store is None:
                raise Conflict("no file store is configured")
            application_id = uuid_of(input.application_id, "Application", "input.applicationId")
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
