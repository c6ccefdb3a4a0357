"""GraphQL for repair orders: the document chain from reception to handover, and the station's (or HQ's)
list of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.errors import ValidationFailed
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, maybe_gid, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy.rules import RepairLevel, ServiceType
from dealernet.workshop import models
from dealernet.workshop.rules import Arrival, Consent, LineKind, RepairOrderStatus, normal_vin
from dealernet.workshop.schema.customers import Customer, customer_loader
from dealernet.workshop.schema.vehicles import Vehicle, vehicle_loader
from dealernet.workshop.service import repair_orders

expose(
    RepairOrderStatus,
    description="Where a repair order is in the document chain.",
    values={
        RepairOrderStatus.RECEIVED: "接车: checked in; the quote waits for the customer.",
        RepairOrderStatus.IN_WORK: "The customer consented; technicians work.",
        RepairOrderStatus.COMPLETED: "竣工检验: the inspector signed off.",
        RepairOrderStatus.SETTLED: "结算单: the amounts are final; the order no longer changes.",
        RepairOrderStatus.HANDED_OVER: "交车: the car and its papers are back with the customer.",
        RepairOrderStatus.CANCELLED: "Cancelled before completion.",
    },
)
expose(
    Arrival,
    description="How the vehicle came in.",
    values={Arrival.APPOINTMENT: "预约: by appointment.", Arrival.WALK_IN: "直接进厂: without an appointment."},
)
expose(
    LineKind,
    description="What a repair-order line charges.",
    values={
        LineKind.LABOUR: "A labour operation: hours x the labour rate.",
        LineKind.PART: "A part: quantity x price.",
        LineKind.SUBLET: "外协: work sent out to a specialist, at its invoice.",
        LineKind.OTHER: "其他费用: another cost (towing, materials), at its invoice.",
    },
)
expose(
    Consent,
    description="The customer's answer to a quoted line.",
    values={
        Consent.PENDING: "Not asked yet, or no answer yet.",
        Consent.CONSENTED: "The customer agreed to the work.",
        Consent.REFUSED: "The customer refused it (who recorded it and when are kept).",
    },
)

_order_loader = by_id_loader(repair_orders.repair_orders_by_id)
_lines_loader = by_id_loader(repair_orders.lines_of)
_files_loader = by_id_loader(repair_orders.files_of)


@strawberry.type(
    description="A line of a repair order: a labour operation, a part, sublet work or another cost, of a service type."
)
class RepairOrderLine:
    id: strawberry.ID = strawberry.field(description="The line (global id).")
    position: int = strawberry.field(description="Its place on the order, from 1.")
    kind: LineKind = strawberry.field(description="Labour, part, sublet or another cost.")
    description: str = strawberry.field(description="What sublet work or another cost is; empty for the others.")
    reference: str = strawberry.field(description="The invoice's number of sublet work or another cost.")
    service_type: ServiceType = strawberry.field(description="Who pays: paid, contract, warranty or internal.")
    labour_operation_id: strawberry.ID | None = strawberry.field(description="The labour operation (global id).")
    part_id: strawberry.ID | None = strawberry.field(description="The part (global id).")
    quantity: str = strawberry.field(description='Hours (labour) or units (part), a decimal string, e.g. "1.50".')
    unit_price: Money = strawberry.field(description="The labour rate per hour or the part's list price.")
    amount: Money = strawberry.field(description="Quantity x unit price.")
    consent: Consent = strawberry.field(description="The customer's answer.")
    consent_recorded_at: datetime | None = strawberry.field(description="When the answer was recorded.")
    added_after_consent: bool = strawberry.field(description="Extra work found after the customer consented.")
    technician_id: strawberry.ID | None = strawberry.field(description="The technician doing it (a User, global id).")
    concern: str = strawberry.field(description="The concern this line answers (3C: concern).")
    cause: str = strawberry.field(description="What caused it, as the technician found (3C: cause).")
    correction: str = strawberry.field(description="What was done about it (3C: correction).")
    corrects: strawberry.ID | None = strawberry.field(
        description="The settled line this one reverses (a correction after settlement), global id."
    )
    correction_reason: str = strawberry.field(description="Why the settled line was reversed.")

    @classmethod
    def from_row(cls, row: models.RepairOrderLine) -> RepairOrderLine:
        return cls(
            id=gid("RepairOrderLine", row.id),
            position=row.position,
            kind=LineKind(row.kind),
            description=row.description,
            reference=row.reference,
            service_type=ServiceType(row.service_type),
            labour_operation_id=maybe_gid("LabourOperation", row.labour_operation_id),
            part_id=maybe_gid("Part", row.part_id),
            quantity=f"{row.quantity:.2f}",
            unit_price=Money(row.unit_price),
            amount=Money(row.amount),
            consent=Consent(row.consent),
            consent_recorded_at=row.consent_recorded_at,
            added_after_consent=row.added_after_consent,
            technician_id=maybe_gid("User", row.technician_id),
            concern=row.concern,
            cause=row.cause,
            correction=row.correction,
            corrects=maybe_gid("RepairOrderLine", row.corrects),
            correction_reason=row.correction_reason,
        )


@strawberry.type(description="A photo or document of a repair order (download it from /repair-order-files/{id}).")
class RepairOrderFile:
    id: strawberry.ID = strawberry.field(description="The file (global id).")
    filename: str = strawberry.field(description="Its name as uploaded.")
    content_type: str = strawberry.field(description="Its media type.")
    size: int = strawberry.field(description="Its size in bytes.")
    sha256: str = strawberry.field(description="Its SHA-256, hex.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded.")


@strawberry.type(description="The settlement sheet's amounts, of the consented lines.")
class RepairOrderTotals:
    paid: Money = strawberry.field(description="Service type A: what the customer pays.")
    contract: Money = strawberry.field(description="Service type B: what a service contract pays.")
    warranty: Money = strawberry.field(description="Service type C: what is claimed from the OEM.")
    internal: Money = strawberry.field(description="Service type D: internal work.")


@strawberry.type(description="A station's repair order (工单), from reception to handover.")
class RepairOrder(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="The station's number of the year, e.g. RO2026000123.")
    status: RepairOrderStatus = strawberry.field(description="Where it is in the document chain.")
    arrival: Arrival = strawberry.field(description="By appointment or walk-in.")
    odometer_km: int = strawberry.field(description="The odometer at reception, in km.")
    fuel_eighths: int = strawberry.field(description="The fuel level at reception, 0 (empty) to 8 (full).")
    visible_damage: str = strawberry.field(description="Damage seen at reception.")
    belongings: list[str] = strawberry.field(description="What the customer left in the car.")
    concern: str = strawberry.field(description="The customer's concern, in their words.")
    repair_level: RepairLevel | None = strawberry.field(description="The repair level, when it has one.")
    promised_at: datetime = strawberry.field(description="When the car was promised ready.")
    customer_notice_at: datetime = strawberry.field(
        description=(
            "When to tell the customer it is (nearly) ready, or delayed: 1 h ahead of the promise for jobs under "
            "2 days, else 4 h. The station is reminded then."
        )
    )
    customer_told_at: datetime | None = strawberry.field(
        description="When the customer was told of the current promise; empty until then (a delay empties it)."
    )
    received_at: datetime = strawberry.field(description="When it was checked in.")
    work_started_at: datetime | None = strawberry.field(description="When the work started.")
    completed_at: datetime | None = strawberry.field(description="When the inspector signed off.")
    certificate_number: str | None = strawberry.field(
        description="The completion certificate's number (second-level maintenance and above)."
    )
    settled_at: datetime | None = strawberry.field(description="When it was settled.")
    handed_over_at: datetime | None = strawberry.field(description="When the car was handed over.")
    comeback_of: strawberry.ID | None = strawberry.field(
        description=(
            "The earlier repair order whose quality guarantee this visit falls within (a comeback): its paid rework "
            "is free to the customer."
        )
    )
    row: strawberry.Private[models.RepairOrder]

    @classmethod
    def from_row(cls, row: models.RepairOrder) -> RepairOrder:
        return cls(
            id=row.id,
            number=row.number,
            status=RepairOrderStatus(row.status),
            arrival=Arrival(row.arrival),
            odometer_km=row.odometer_km,
            fuel_eighths=row.fuel_eighths,
            visible_damage=row.visible_damage,
            belongings=list(row.belongings),
            concern=row.concern,
            repair_level=RepairLevel(row.repair_level) if row.repair_level else None,
            promised_at=row.promised_at,
            customer_notice_at=row.customer_notice_at,
            customer_told_at=row.customer_told_at,
            received_at=row.received_at,
            work_started_at=row.work_started_at,
            completed_at=row.completed_at,
            certificate_number=row.certificate_number,
            settled_at=row.settled_at,
            handed_over_at=row.handed_over_at,
            comeback_of=maybe_gid("RepairOrder", row.comeback_of),
            row=row,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "repair_order", _order_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The vehicle.")
    async def vehicle(self, info: Info) -> Vehicle | None:
        row = await info.context.loader("vehicle", vehicle_loader).load(self.row.vehicle_id)
        return Vehicle.from_row(row) if row else None

    @strawberry.field(description="The customer (personal data).")
    async def customer(self, info: Info) -> Customer | None:
        row = await info.context.loader("customer", customer_loader).load(self.row.customer_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info) -> list[RepairOrderLine]:
        rows = await info.context.loader("repair_order_lines", _lines_loader).load(self.row.id)
        return [RepairOrderLine.from_row(row) for row in rows or []]

    @strawberry.field(description="Its photos and documents, oldest first.")
    async def files(self, info: Info) -> list[RepairOrderFile]:
        rows = await info.context.loader("repair_order_files", _files_loader).load(self.row.id)
        return [
            RepairOrderFile(
                id=gid("RepairOrderFile", r.id),
                filename=r.filename,
                content_type=r.content_type,
                size=r.size,
                sha256=r.sha256,
                uploaded_at=r.uploaded_at,
            )
            for r in rows or []
        ]

    @strawberry.field(description="The amounts per service type of the consented lines.")
    async def totals(self, info: Info) -> RepairOrderTotals:
        rows = await info.context.loader("repair_order_lines", _lines_loader).load(self.row.id)
        amounts = repair_orders.totals_of(rows or []).by_service_type
        return RepairOrderTotals(**{name: Money(amount) for name, amount in amounts.items()})


@strawberry.input(description="The reception sheet (接车单 / 预检单).")
class ReceiveVehicleInput:
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle (global id; look it up by VIN first).")
    customer_id: strawberry.ID = strawberry.field(description="Your station's customer (global id).")
    odometer_km: int = strawberry.field(description="The odometer reading, in km.")
    fuel_eighths: int = strawberry.field(description="The fuel level, 0 (empty) to 8 (full).")
    concern: str = strawberry.field(description="The customer's concern, in their words.")
    promised_at: datetime = strawberry.field(description="When the car is promised ready.")
    arrival: Arrival = strawberry.field(default=Arrival.WALK_IN, description="By appointment or walk-in.")
    visible_damage: str = strawberry.field(default="", description="Damage seen at reception.")
    belongings: list[str] = strawberry.field(default_factory=list, description="What the customer left in the car.")
    repair_level: RepairLevel | None = strawberry.field(default=None, description="The repair level, if any.")
    odometer_reason: str = strawberry.field(
        default="", description="Why the odometer reads lower than before (a replaced instrument), when it does."
    )


@strawberry.input(description="A line to quote on a repair order, priced as of today at your station.")
class QuoteLineInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    kind: LineKind = strawberry.field(description="Labour, part, sublet or another cost.")
    service_type: ServiceType = strawberry.field(description="Who pays.")
    labour_operation_id: strawberry.ID | None = strawberry.field(default=None, description="For labour (global id).")
    part_id: strawberry.ID | None = strawberry.field(default=None, description="For a part (global id).")
    quantity: str | None = strawberry.field(
        default=None, description="Hours or units as a decimal string; empty: the flat-rate hours, or 1 part."
    )
    concern: str = strawberry.field(default="", description="The concern this line answers.")
    description: str = strawberry.field(default="", description="Sublet work or another cost: what it is.")
    unit_price: Money | None = strawberry.field(default=None, description="Sublet or another cost: its invoiced price.")
    reference: str = strawberry.field(default="", description="Sublet or another cost: the invoice's number.")


@strawberry.input(description="The customer's answer to quoted lines.")
class RecordConsentInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    line_ids: list[strawberry.ID] = strawberry.field(description="The lines answered (global ids).")
    consented: bool = strawberry.field(description="True: the customer agreed; false: refused.")


@strawberry.input(description="A consented line given to a technician of your station.")
class AssignTechnicianInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    line_id: strawberry.ID = strawberry.field(description="The line (global id).")
    technician_id: strawberry.ID = strawberry.field(description="The technician (a User, global id).")


@strawberry.input(description="The technician's cause and correction of a line (the 3C narrative).")
class RecordWorkInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    line_id: strawberry.ID = strawberry.field(description="The line (global id).")
    cause: str = strawberry.field(description="What caused the concern.")
    correction: str = strawberry.field(description="What was done about it.")


@strawberry.input(description="A settled line to reverse, and why.")
class ReverseLineInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The settled repair order (global id).")
    line_id: strawberry.ID = strawberry.field(description="The line to reverse (global id).")
    reason: str = strawberry.field(description="Why, in words (kept with the correction).")


@strawberry.input(description="A later promise for a car that will not be ready in time, and why.")
class DelayRepairOrderInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    promised_at: datetime = strawberry.field(description="The new promised time, later than the old one.")
    reason: str = strawberry.field(description="Why the car is late, as the customer was told.")


@strawberry.type(description="What the repair-order mutations answer when they worked.")
class RepairOrderSuccess:
    repair_order: RepairOrder = strawberry.field(description="The repair order as it is now.")


RepairOrderResult = Annotated[
    RepairOrderSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "RepairOrderResult",
        description=(
            "RepairOrderSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError saying why "
            "nothing changed."
        ),
    ),
]


def _quantity(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation as exc:
        raise ValidationFailed("a decimal string", fields={"quantity": f"{value!r} is not a number"}) from exc


async def _reloaded(session: AsyncSession, scope: Scope, repair_order_id: UUID) -> models.RepairOrder:
    found = await repair_orders.repair_orders_by_id(session, scope, [repair_order_id])
    return found[repair_order_id]


def _success(row: models.RepairOrder) -> RepairOrderSuccess:
    return RepairOrderSuccess(repair_order=RepairOrder.from_row(row))


RepairOrderId = Annotated[strawberry.ID, strawberry.argument(description="The repair order (global id).")]


# The repair orders page compiled to one statement (graphql/compiled.py): the fields it covers.
REPAIR_ORDER_ROWS = compiled.Rows(
    "RepairOrder",
    {
        "id": compiled.NODE_ID,
        **{
            name: compiled.column(name)
            for name in (
                "number", "status", "arrival", "odometer_km", "fuel_eighths", "visible_damage", "belongings",
                "concern", "repair_level", "promised_at", "customer_notice_at", "customer_told_at", "received_at",
                "work_started_at", "completed_at", "certificate_number", "settled_at", "handed_over_at",
            )
        },
        "comeback_of": compiled.gid_of("RepairOrder", "comeback_of"),
    },
)  # fmt: skip


def _order_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """repair_orders.list_repair_orders's filters, as SQL."""
    terms = []
    if args.get("status"):
        terms.append(f"{{r}}.status = ANY({bind([str(s) for s in args['status']])}::text[])")
    if args.get("vin"):
        vin = bind(normal_vin(args["vin"]))  # a placeholder: values are bound, never written into the SQL
        terms.append(f"{{r}}.vehicle_id IN (SELECT v.id FROM vehicles v WHERE v.vin = {vin})")  # noqa: S608
    if args.get("receivedFrom") is not None:
        terms.append(f"{{r}}.received_at >= {bind(args['receivedFrom'])}::timestamptz")
    if args.get("receivedBefore") is not None:
        terms.append(f"{{r}}.received_at < {bind(args['receivedBefore'])}::timestamptz")
    service_type, technician = args.get("serviceType"), uuid_of(args.get("technicianId"), "User", "technicianId")
    if service_type is not None or technician is not None:
        line = ["l.station_id = {r}.station_id"]
        if service_type is not None:
            line.append(f"l.service_type = {bind(str(service_type))}")
        if technician is not None:
            line.append(f"l.technician_id = {bind(technician)}::uuid")
        lines = " AND ".join(line)  # placeholders and column names only
        terms.append(f"{{r}}.id IN (SELECT l.repair_order_id FROM repair_order_lines l WHERE {lines})")  # noqa: S608
    return terms


REPAIR_ORDERS_PAGE = compiled.Page(
    "repair_orders", REPAIR_ORDER_ROWS, table="repair_orders", key="received_at", key_type=compiled.KeyType.TIME,
    newest_first=True, where=_order_terms,
)  # fmt: skip


@strawberry.type
class RepairOrdersQuery:
    @strawberry.field(
        extensions=needs(Permission.repair_orders_read),
        description="Repair orders, newest reception first: a station its own, HQ its network's.",
    )
    async def repair_orders(
        self,
        info: Info,
        first: First,
        after: After = None,
        status: Annotated[
            list[RepairOrderStatus] | None, strawberry.argument(description="Only those of these statuses.")
        ] = None,
        vin: Annotated[str | None, strawberry.argument(description="Only those of this vehicle.")] = None,
        received_from: Annotated[
            datetime | None, strawberry.argument(description="Only those checked in at or after this time.")
        ] = None,
        received_before: Annotated[
            datetime | None, strawberry.argument(description="Only those checked in before this time.")
        ] = None,
        service_type: Annotated[
            ServiceType | None, strawberry.argument(description="Only those with a line of this service type.")
        ] = None,
        technician_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those with a line of this technician (User).")
        ] = None,
    ) -> relay.Connection[RepairOrder]:
        rows = await info.context.run(
            repair_orders.list_repair_orders,
            first=first,
            after=keyset_after(after),
            status=status or (),
            vin=vin,
            received_from=received_from,
            received_before=received_before,
            service_type=service_type,
            technician_id=uuid_of(technician_id, "User", "technicianId"),
        )
        return connection(
            rows, first=first, node=RepairOrder.from_row, key=lambda row: (row.received_at.isoformat(), row.id)
        )


@strawberry.type
class RepairOrdersMutation:
    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage), description="Check a vehicle in: the reception sheet."
    )
    async def receive_vehicle(
        self, info: Info, input: Annotated[ReceiveVehicleInput, strawberry.argument(description="The sheet.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            with IdReader() as read:
                vehicle_id = read.one(input.vehicle_id, "Vehicle", "vehicleId")
                customer_id = read.one(input.customer_id, "Customer", "customerId")
            reception = repair_orders.Reception(
                vehicle_id=vehicle_id,
                customer_id=customer_id,
                odometer_km=input.odometer_km,
                fuel_eighths=input.fuel_eighths,
                concern=input.concern,
                promised_at=input.promised_at,
                arrival=input.arrival,
                visible_damage=input.visible_damage,
                belongings=input.belongings,
                repair_level=input.repair_level,
                odometer_reason=input.odometer_reason,
            )
            return await repair_orders.receive(session, scope, reception)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage), description="Quote a line, priced as of today."
    )
    async def quote_line(
        self, info: Info, input: Annotated[QuoteLineInput, strawberry.argument(description="The line.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            with IdReader() as read:
                order_id = read.one(input.repair_order_id, "RepairOrder", "repairOrderId")
                operation = read.one(input.labour_operation_id, "LabourOperation", "labourOperationId") if (
                    input.labour_operation_id) else None  # fmt: skip
                part = read.one(input.part_id, "Part", "partId") if input.part_id else None
            await repair_orders.add_line(
                session,
                scope,
                repair_order_id=order_id,
                kind=input.kind,
                service_type=input.service_type,
                labour_operation_id=operation,
                part_id=part,
                quantity=_quantity(input.quantity),
                concern=input.concern,
                invoice=None
                if input.unit_price is None and not input.description
                else repair_orders.Invoice(input.description, input.unit_price or Decimal("0.00"), input.reference),
            )
            return await _reloaded(session, scope, order_id)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage),
        description="Record the customer's consent to, or refusal of, quoted lines.",
    )
    async def record_consent(
        self, info: Info, input: Annotated[RecordConsentInput, strawberry.argument(description="The answer.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            with IdReader() as read:
                order_id = read.one(input.repair_order_id, "RepairOrder", "repairOrderId")
                line_ids = read.many(input.line_ids, "RepairOrderLine", "lineIds")
            await repair_orders.record_consent(
                session, scope, repair_order_id=order_id, line_ids=line_ids, consented=input.consented
            )
            return await _reloaded(session, scope, order_id)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage),
        description="Give a consented line to a technician; refused when your station may not do the work today.",
    )
    async def assign_technician(
        self, info: Info, input: Annotated[AssignTechnicianInput, strawberry.argument(description="Line, person.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            with IdReader() as read:
                order_id = read.one(input.repair_order_id, "RepairOrder", "repairOrderId")
                line_id = read.one(input.line_id, "RepairOrderLine", "lineId")
                technician_id = read.one(input.technician_id, "User", "technicianId")
            await repair_orders.assign_technician(
                session, scope, repair_order_id=order_id, line_id=line_id, technician_id=technician_id
            )
            return await _reloaded(session, scope, order_id)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_work), description="Record a line's cause and correction (3C)."
    )
    async def record_work(
        self, info: Info, input: Annotated[RecordWorkInput, strawberry.argument(description="The narrative.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            with IdReader() as read:
                order_id = read.one(input.repair_order_id, "RepairOrder", "repairOrderId")
                line_id = read.one(input.line_id, "RepairOrderLine", "lineId")
            await repair_orders.record_work(
                session, scope, repair_order_id=order_id, line_id=line_id, cause=input.cause,
                correction=input.correction,
            )  # fmt: skip
            return await _reloaded(session, scope, order_id)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage),
        description="Correct a settled repair order: a new line reversing a settled one, with the reason.",
    )
    async def reverse_settled_line(
        self, info: Info, input: Annotated[ReverseLineInput, strawberry.argument(description="Line and reason.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            with IdReader() as read:
                order_id = read.one(input.repair_order_id, "RepairOrder", "repairOrderId")
                line_id = read.one(input.line_id, "RepairOrderLine", "lineId")
            await repair_orders.reverse_line(
                session, scope, repair_order_id=order_id, line_id=line_id, reason=input.reason
            )
            return await _reloaded(session, scope, order_id)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(extensions=needs(Permission.repair_orders_manage), description="Start the consented work.")
    async def start_work(self, info: Info, id: RepairOrderId) -> RepairOrderResult:
        return await _step(info, repair_orders.start_work, id)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_inspect),
        description="Sign the completion inspection off (a certificate for second-level maintenance and above).",
    )
    async def complete_repair_order(self, info: Info, id: RepairOrderId) -> RepairOrderResult:
        return await _step(info, repair_orders.complete, id)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage), description="Settle: the amounts become final."
    )
    async def settle_repair_order(self, info: Info, id: RepairOrderId) -> RepairOrderResult:
        return await _step(info, repair_orders.settle, id)

    @strawberry.mutation(extensions=needs(Permission.repair_orders_manage), description="Hand the car over.")
    async def hand_over_repair_order(self, info: Info, id: RepairOrderId) -> RepairOrderResult:
        return await _step(info, repair_orders.hand_over, id)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage),
        description="Record that the customer was told the car is (nearly) ready, once per promise.",
    )
    async def record_customer_told(self, info: Info, id: RepairOrderId) -> RepairOrderResult:
        return await _step(info, repair_orders.record_customer_told, id)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage),
        description="Move the promise of a car that will not be ready in time; the customer was told why.",
    )
    async def delay_repair_order(
        self, info: Info, input: Annotated[DelayRepairOrderInput, strawberry.argument(description="The delay.")]
    ) -> RepairOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
            order_id = uuid_of(input.repair_order_id, "RepairOrder", "repairOrderId")
            return await repair_orders.delay(
                session, scope, repair_order_id=order_id, promised_at=input.promised_at, reason=input.reason
            )

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.repair_orders_manage), description="Cancel a repair order before completion."
    )
    async def cancel_repair_order(self, info: Info, id: RepairOrderId) -> RepairOrderResult:
        return await _step(info, repair_orders.cancel, id)


async def _step(info: Info, step: Any, id: strawberry.ID) -> Any:
    async def run(session: AsyncSession, scope: Scope) -> models.RepairOrder:
        return await step(session, scope, repair_order_id=uuid_of(id, "RepairOrder", "id"))

    return await attempt(info.context, run, _success)
