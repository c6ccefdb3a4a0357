"""GraphQL for the parts catalogue: parts with their supplier, list prices and replacement chain, supersession and
the service BOM (HQ keeps them; stations read; a supplier partner reads the parts it supplies)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader

from dealernet.core.access import Permission
from dealernet.core.errors import ValidationFailed
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Context, Info, by_id_loader
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, keyset_after, load_nodes, maybe_gid, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy import models
from dealernet.policy.service import catalogue, prices
from dealernet.tenants.models import Partner as TenantPartner
from dealernet.tenants.service import partners

if TYPE_CHECKING:
    from dealernet.tenants.schema.partners import Partner


partner_loader = by_id_loader(partners.partners_by_id)


part_loader = by_id_loader(catalogue.parts_by_id)


_supersession_loader = by_id_loader(catalogue.supersessions_of)


@strawberry.type(description="A part's list price in force (regionId empty: the national price).")
class ListPrice:
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. CNY.")
    list_price: Money = strawberry.field(description="The list price.")
    region_id: strawberry.ID | None = strawberry.field(description="The region (global id); empty: the national price.")
    valid_from: date = strawberry.field(description="The first day it holds.")


def _list_prices_loader(ctx: Context) -> DataLoader[UUID, list[prices.ListPrice]]:
    async def load(ids: list[UUID]) -> list[list[prices.ListPrice]]:
        found = await ctx.run(prices.list_prices_in_force, ids, on=datetime.now(UTC).date())
        return [found.get(i, []) for i in ids]

    return DataLoader(load_fn=load)


@strawberry.type(description="A part of the network's catalogue.")
class Part(relay.Node):
    id: relay.NodeID[UUID]
    part_number: str = strawberry.field(description="The OEM's part number.")
    name_zh: str = strawberry.field(description="Chinese name.")
    name_en: str = strawberry.field(description="English name.")
    component_group: str = strawberry.field(description="The component group warranty coverage is defined by.")
    unit: str = strawberry.field(description="Unit of issue, e.g. EA, L, SET.")
    supplier_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Part) -> Part:
        return cls(
            id=row.id,
            part_number=row.part_number,
            name_zh=row.name_zh,
            name_en=row.name_en,
            component_group=row.component_group,
            unit=row.unit,
            supplier_id=row.supplier_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "part", part_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The partner that supplies it; null when none is recorded.")
    async def supplier(
        self, info: Info
    ) -> Annotated[Partner, strawberry.lazy("dealernet.tenants.schema.partners")] | None:
        # The tenants context's row; its Partner type accepts it (is_type_of), so no schema imports another's.
        if self.supplier_id is None:
            return None
        row: TenantPartner | None = await info.context.loader("partner", partner_loader).load(self.supplier_id)
        return row

    @strawberry.field(
        extensions=needs(Permission.parts_read),
        description="The list prices holding today, national and regional (a station: those delivered to it).",
    )
    async def current_list_prices(self, info: Info) -> list[ListPrice]:
        rows = await info.context.loader("list_prices", _list_prices_loader).load(self.id)
        return [
            ListPrice(
                currency=r.currency,
                list_price=r.list_price,
                region_id=maybe_gid("Region", r.region_id),
                valid_from=r.valid_from,
            )
            for r in rows
        ]

    @strawberry.field(description="What replaces this part, if it is superseded.")
    async def superseded_by(self, info: Info) -> Supersession | None:
        row = await info.context.loader("supersession", _supersession_loader).load(self.id)
        return Supersession.from_row(row) if row else None

    @strawberry.field(description="Every part that replaces this one, in order; the last is the one to order.")
    async def replacement_chain(self, info: Info) -> list[Part]:
        return [Part.from_row(row) for row in await info.context.run(catalogue.replacement_chain, self.id)]


@strawberry.type(description="A supersession: from a date, the new part replaces the old one.")
class Supersession:
    effective_on: date = strawberry.field(description="The day the new part replaces the old one.")
    interchangeable: bool = strawberry.field(description="Whether the old part may still be fitted.")
    new_part_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.PartSupersession) -> Supersession:
        return cls(effective_on=row.effective_on, interchangeable=row.interchangeable, new_part_id=row.new_part_id)

    @strawberry.field(description="The replacing part.")
    async def new_part(self, info: Info) -> Part | None:
        row = await info.context.loader("part", part_loader).load(self.new_part_id)
        return Part.from_row(row) if row else None


@strawberry.type(description="One part of a vehicle model's service BOM.")
class ServiceBomLine:
    part: Part = strawberry.field(description="The part.")
    quantity: str = strawberry.field(description="How many the model has, as a decimal string.")


@strawberry.input(description="A new catalogue part.")
class CreatePartInput:
    part_number: str = strawberry.field(description="The OEM's part number: letters, digits, dots and dashes.")
    name_zh: str = strawberry.field(default="", description="Chinese name.")
    name_en: str = strawberry.field(default="", description="English name.")
    component_group: str = strawberry.field(description="The component group warranty coverage is defined by.")
    unit: str = strawberry.field(default="EA", description="Unit of issue, e.g. EA, L, SET.")
    supplier_id: strawberry.ID | None = strawberry.field(default=None, description="A partner of the network.")


@strawberry.input(description="From `effectiveOn`, `newPartId` replaces `oldPartId`.")
class SupersedePartInput:
    old_part_id: strawberry.ID = strawberry.field(description="The part replaced (global id).")
    new_part_id: strawberry.ID = strawberry.field(description="The replacing part (global id).")
    effective_on: date = strawberry.field(description="The day the new part replaces the old one.")
    interchangeable: bool = strawberry.field(description="Whether the old part may still be fitted.")


@strawberry.input(description="A part's quantity in a vehicle model's service BOM.")
class ServiceBomLineInput:
    vehicle_model: str = strawberry.field(description="The vehicle model's code.")
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    quantity: str = strawberry.field(description='A decimal string, e.g. "4" or "0.50".')


@strawberry.type(description="What `createPart` answers when it worked.")
class PartSuccess:
    part: Part = strawberry.field(description="The part.")


@strawberry.type(description="What `supersedePart` answers when it worked.")
class SupersessionSuccess:
    supersession: Supersession = strawberry.field(description="The supersession recorded.")


@strawberry.type(description="What `setServiceBomLine` answers when it worked.")
class ServiceBomLineSuccess:
    line: ServiceBomLine = strawberry.field(description="The BOM line as set.")


PartResult = Annotated[
    PartSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "PartResult",
        description=(
            "PartSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


SupersessionResult = Annotated[
    SupersessionSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "SupersessionResult",
        description=(
            "SupersessionSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


ServiceBomLineResult = Annotated[
    ServiceBomLineSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ServiceBomLineResult",
        description=(
            "ServiceBomLineSuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]


def _decimal(value: str, field: str) -> Decimal:
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise ValidationFailed("not a decimal number", fields={field: "not a decimal number"}) from None


def _bom_line(line: catalogue.BomLine) -> ServiceBomLine:
    return ServiceBomLine(part=Part.from_row(line.part), quantity=str(line.quantity))


# The parts page compiled to one statement (graphql/compiled.py): the SQL form of the fields it covers.
LIST_PRICE_ROWS = compiled.Rows(
    "ListPrice",
    {
        "currency": compiled.column("currency"),
        "list_price": compiled.column("list_price"),
        "region_id": compiled.gid_of("Region", "region_id"),
        "valid_from": compiled.column("valid_from"),
    },
)
PART_ROWS = compiled.Rows(
    "Part",
    {
        "id": compiled.NODE_ID,
        "part_number": compiled.column("part_number"),
        "name_zh": compiled.column("name_zh"),
        "name_en": compiled.column("name_en"),
        "component_group": compiled.column("component_group"),
        "unit": compiled.column("unit"),
        # prices.list_prices_in_force, as one sub-select per part
        "current_list_prices": compiled.Children(
            "ListPrice",
            "part_prices",
            join="{r}.part_id = {p}.id AND {r}.in_force AND {r}.valid_from <= {today} "
            "AND ({r}.valid_to IS NULL OR {r}.valid_to > {today})",
            order="{r}.currency, {r}.region_id NULLS FIRST",
        ),
    },
)


def _part_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """catalogue.list_parts's filters, as SQL."""
    terms = []
    group = args.get("componentGroup")
    if group:
        terms.append(f"{{r}}.component_group = {bind(group.strip().upper())}")
    search = args.get("search")
    if search and search.strip():
        term = catalogue.like_escaped(search.strip())
        contains = bind(f"%{term}%")
        terms.append(
            f"{{r}}.part_number LIKE {bind(term.upper())} || '%' OR {{r}}.name_zh ILIKE {contains} "
            f"OR {{r}}.name_en ILIKE {contains}"
        )
    return terms


PARTS_PAGE = compiled.Page(
    "parts", PART_ROWS, table="parts", key="part_number", where=_part_terms,
)  # fmt: skip


@strawberry.type
class CatalogueQuery:
    @strawberry.field(
        extensions=needs(Permission.parts_read),
        description="Catalogue parts by part number: HQ and stations see the network's, a supplier its own.",
    )
    async def parts(
        self,
        info: Info,
        first: First,
        after: After = None,
        component_group: Annotated[
            str | None, strawberry.argument(description="Only those of this component group.")
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Part number or name contains this text.")
        ] = None,
    ) -> relay.Connection[Part]:
        after_key = keyset_after(after)
        rows = await info.context.run(
            catalogue.list_parts, first=first, after=after_key, component_group=component_group, search=search
        )
        return connection(rows, first=first, node=Part.from_row, key=lambda row: (row.part_number, row.id))

    @strawberry.field(extensions=needs(Permission.parts_read), description="A vehicle model's service BOM.")
    async def service_bom(
        self, info: Info, vehicle_model: Annotated[str, strawberry.argument(description="The vehicle model's code.")]
    ) -> list[ServiceBomLine]:
        return [_bom_line(line) for line in await info.context.run(catalogue.service_bom, vehicle_model)]


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(extensions=needs(Permission.catalogue_manage), description="Add a part to the catalogue.")
    async def create_part(
        self, info: Info, input: Annotated[CreatePartInput, strawberry.argument(description="The new part.")]
    ) -> PartResult:
        async def create(session: AsyncSession, scope: Scope) -> models.Part:
            data = catalogue.PartInput(
                part_number=input.part_number,
                name_zh=input.name_zh,
                name_en=input.name_en,
                component_group=input.component_group,
                unit=input.unit,
                supplier_id=uuid_of(input.supplier_id, "Partner", "supplierId"),
            )
            return await catalogue.create_part(session, scope, data)

        return await attempt(info.context, create, lambda row: PartSuccess(part=Part.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.catalogue_manage), description="Record that a new part replaces an old one."
    )
    async def supersede_part(
        self,
        info: Info,
        input: Annotated[
            SupersedePartInput, strawberry.argument(description="The old part, the new one and from when.")
        ],
    ) -> SupersessionResult:
        async def supersede(session: AsyncSession, scope: Scope) -> models.PartSupersession:
            return await catalogue.supersede_part(
                session,
                scope,
                old_part_id=uuid_of(input.old_part_id, "Part", "oldPartId"),
                new_part_id=uuid_of(input.new_part_id, "Part", "newPartId"),
                effective_on=input.effective_on,
                interchangeable=input.interchangeable,
            )

        return await attempt(
            info.context, supersede, lambda row: SupersessionSuccess(supersession=Supersession.from_row(row))
        )

    @strawberry.mutation(
        extensions=needs(Permission.catalogue_manage),
        description="Put a part in a vehicle model's service BOM, or change its quantity.",
    )
    async def set_service_bom_line(
        self,
        info: Info,
        input: Annotated[ServiceBomLineInput, strawberry.argument(description="The model, the part and the quantity.")],
    ) -> ServiceBomLineResult:
        async def set_line(session: AsyncSession, scope: Scope) -> catalogue.BomLine:
            return await catalogue.set_bom_line(
                session,
                scope,
                vehicle_model=input.vehicle_model,
                part_id=uuid_of(input.part_id, "Part", "partId"),
                quantity=_decimal(input.quantity, "quantity"),
            )

        return await attempt(info.context, set_line, lambda line: ServiceBomLineSuccess(line=_bom_line(line)))
