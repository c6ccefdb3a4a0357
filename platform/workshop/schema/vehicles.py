"""GraphQL for the vehicle register: look a VIN up, browse the register, register and correct vehicles, and
what warranty a vehicle has left."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.workshop import models, rules
from dealernet.workshop.service import vehicles

vehicle_loader = by_id_loader(vehicles.vehicles_by_id)


@strawberry.type(
    description=(
        "What is left of one component group's warranty for a vehicle on a date: it runs its months from the sale "
        "date and its km on the odometer, whichever ends first."
    )
)
class CoverageLeft:
    component_group: str = strawberry.field(description="The component group covered.")
    months: int = strawberry.field(description="The coverage's length in months from the sale date.")
    km: int = strawberry.field(description="The coverage's limit on the odometer, in km.")
    ends_on: date = strawberry.field(description="The first day it no longer covers.")
    months_left: int = strawberry.field(description="Whole months left on the date asked about.")
    km_left: int | None = strawberry.field(description="Km left; empty when no odometer reading was given.")
    covered: bool = strawberry.field(description="Whether the vehicle is covered on that date (and odometer).")

    @classmethod
    def of(cls, left: rules.CoverageLeft) -> CoverageLeft:
        return cls(**left.__dict__)


@strawberry.type(
    description=(
        "One visit of a vehicle to any station of the network, as every station of it may see it: when, the odometer "
        "and what was done — never the station, the customer or an amount."
    )
)
class ServiceVisit:
    received_at: datetime = strawberry.field(description="When the vehicle was checked in.")
    odometer_km: int = strawberry.field(description="The odometer then, in km.")
    repair_level: str | None = strawberry.field(description="The repair level, when the visit had one.")
    service_types: list[str] = strawberry.field(description="The service types of the work done.")
    operation_codes: list[str] = strawberry.field(description="The labour operation codes of the work done.")
    part_numbers: list[str] = strawberry.field(description="The part numbers fitted.")

    @classmethod
    def of(cls, visit: vehicles.ServiceVisit) -> ServiceVisit:
        return cls(**visit.__dict__)


@strawberry.type(description="A technical bulletin in force naming the vehicle's model or a VIN range holding it.")
class FieldAction:
    publication_id: strawberry.ID = strawberry.field(description="The bulletin's publication (global id).")
    number: str = strawberry.field(description="The bulletin's number, e.g. TSB-2026-001.")
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day it came into force.")


@strawberry.type(description="A vehicle of the network's register, by VIN.")
class Vehicle(relay.Node):
    id: relay.NodeID[UUID]
    vin: str = strawberry.field(
        description="The 17-character vehicle identification number (masked for a partner).", extensions=pii(Pii.vin)
    )
    model: str = strawberry.field(description="The vehicle model.")
    production_date: date = strawberry.field(description="The day it was built.")
    sale_date: date | None = strawberry.field(description="The day it was sold: its warranty starts then.")
    selling_dealer: str = strawberry.field(description="The dealer that sold it, as the sales system names it.")
    first_registration: date | None = strawberry.field(description="The day it was first registered.")
    row: strawberry.Private[models.Vehicle]

    @classmethod
    def from_row(cls, row: models.Vehicle) -> Vehicle:
        return cls(
            id=row.id,
            vin=row.vin,
            model=row.model,
            production_date=row.production_date,
            sale_date=row.sale_date,
            selling_dealer=row.selling_dealer,
            first_registration=row.first_registration,
            row=row,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "vehicle", vehicle_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(
        extensions=needs(Permission.vehicles_read),
        description="Field actions for it: bulletins in force (delivered to your station) naming its model or VIN.",
    )
    async def field_actions(self, info: Info) -> list[FieldAction]:
        actions = await info.context.run(vehicles.field_actions, self.row)
        return [
            FieldAction(
                publication_id=gid("Publication", a.publication_id),
                number=a.number,
                title=a.title,
                effective_on=a.effective_on,
            )
            for a in actions
        ]

    @strawberry.field(
        extensions=needs(Permission.vehicles_read),
        description="Its visits to any station of the network, newest first (the last 200).",
    )
    async def service_history(self, info: Info) -> list[ServiceVisit]:
        visits = await info.context.run(vehicles.service_history, self.row)
        return [ServiceVisit.of(visit) for visit in visits]

    @strawberry.field(
        extensions=needs(Permission.vehicles_read),
        description=(
            "Each component group's warranty left on a date: at a station by the warranty policy delivered to it, "
            "for HQ by the network's in force. Empty while the vehicle is unsold."
        ),
    )
    async def warranty(
        self,
        info: Info,
        on: Annotated[date | None, strawberry.argument(description="The date; empty: the network's today.")] = None,
        odometer_km: Annotated[
            int | None, strawberry.argument(description="The odometer reading in km, to count the km left.")
        ] = None,
    ) -> list[CoverageLeft]:
        left = await info.context.run(vehicles.warranty_left, self.row, on=on, odometer_km=odometer_km)
        return [CoverageLeft.of(coverage) for coverage in left]


@strawberry.input(description="A vehicle as the sales system knows it.")
class VehicleInput:
    vin: str = strawberry.field(description="The 17-character VIN; its check digit (the 9th) is verified.")
    model: str = strawberry.field(description="The vehicle model.")
    production_date: date = strawberry.field(description="The day it was built.")
    sale_date: date | None = strawberry.field(default=None, description="The day it was sold; empty while unsold.")
    selling_dealer: str = strawberry.field(default="", description="The dealer that sold it.")
    first_registration: date | None = strawberry.field(default=None, description="The day it was first registered.")

    def to_domain(self) -> vehicles.VehicleInput:
        return vehicles.VehicleInput(
            vin=self.vin,
            model=self.model,
            production_date=self.production_date,
            sale_date=self.sale_date,
            selling_dealer=self.selling_dealer,
            first_registration=self.first_registration,
        )


@strawberry.input(description="A registered vehicle's corrected record: every field, as it should be.")
class CorrectVehicleInput(VehicleInput):
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle (global id).")


@strawberry.type(description="What `registerVehicle` and `correctVehicle` answer when they worked.")
class VehicleSuccess:
    vehicle: Vehicle = strawberry.field(description="The vehicle as recorded.")


VehicleResult = Annotated[
    VehicleSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "VehicleResult",
        description=(
            "VehicleSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError saying why "
            "nothing changed."
        ),
    ),
]


def _success(row: models.Vehicle) -> VehicleSuccess:
    return VehicleSuccess(vehicle=Vehicle.from_row(row))


# The register's page compiled to one statement (graphql/compiled.py); the VIN masked in SQL by its pii declaration
# for anyone the resolver masks it for.
VEHICLE_ROWS = compiled.Rows(
    "Vehicle",
    {
        "id": compiled.NODE_ID,
        **{
            name: compiled.column(name)
            for name in ("vin", "model", "production_date", "sale_date", "selling_dealer", "first_registration")
        },
    },
)


def _vehicle_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """vehicles.list_vehicles's filters, as SQL."""
    terms = []
    if args.get("model"):
        terms.append(f"{{r}}.model = {bind(args['model'].strip())}")
    return terms


VEHICLES_PAGE = compiled.Page(
    "vehicles", VEHICLE_ROWS, table="vehicles", key="vin", where=_vehicle_terms,
)  # fmt: skip


@strawberry.type
class VehiclesQuery:
    @strawberry.field(
        extensions=needs(Permission.vehicles_read),
        description="The network's vehicle with this VIN; null when it is not in the register.",
    )
    async def vehicle(
        self, info: Info, vin: Annotated[str, strawberry.argument(description="The VIN, any case.")]
    ) -> Vehicle | None:
        row = await info.context.run(vehicles.vehicle_by_vin, vin)
        return Vehicle.from_row(row) if row else None

    @strawberry.field(
        extensions=needs(Permission.vehicles_browse), description="The network's vehicle register by VIN (HQ)."
    )
    async def vehicles(
        self,
        info: Info,
        first: First,
        after: After = None,
        model: Annotated[str | None, strawberry.argument(description="Only vehicles of this model.")] = None,
    ) -> relay.Connection[Vehicle]:
        rows = await info.context.run(vehicles.list_vehicles, first=first, after=keyset_after(after), model=model)
        return connection(rows, first=first, node=Vehicle.from_row, key=lambda row: (row.vin, row.id))


@strawberry.type
class VehiclesMutation:
    @strawberry.mutation(
        extensions=needs(Permission.vehicles_manage), description="Add a vehicle to the network's register."
    )
    async def register_vehicle(
        self, info: Info, input: Annotated[VehicleInput, strawberry.argument(description="The vehicle.")]
    ) -> VehicleResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Vehicle:
            return await vehicles.register_vehicle(session, scope, input.to_domain())

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.vehicles_manage),
        description="Correct a registered vehicle's record; the journal keeps what it was.",
    )
    async def correct_vehicle(
        self,
        info: Info,
        input: Annotated[CorrectVehicleInput, strawberry.argument(description="The vehicle and its corrected record.")],
    ) -> VehicleResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Vehicle:
            vehicle_id = uuid_of(input.vehicle_id, "Vehicle", "vehicleId")
            return await vehicles.correct_vehicle(session, scope, vehicle_id, input.to_domain())

        return await attempt(info.context, run, _success)
