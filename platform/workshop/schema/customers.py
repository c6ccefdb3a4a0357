"""GraphQL for a station's customers: find, create and update them; HQ reads them through `node` (and,
later, repair orders and claims), each read of a phone number journaled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader, unit_of_work
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, keyset_after, load_nodes, uuid_of
from dealernet.workshop import models
from dealernet.workshop.service import customers

customer_loader = by_id_loader(customers.customers_by_id)


@strawberry.type(description="A station's customer (personal data: the station keeps it, HQ may read it).")
class Customer(relay.Node):
    id: relay.NodeID[UUID]
    name: str = strawberry.field(description="The customer's name.", extensions=pii(Pii.name))
    address: str = strawberry.field(description="The customer's address; empty when not given.")
    row: strawberry.Private[models.Customer]

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(id=row.id, name=row.name, address=row.address, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "customer", customer_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(
        description="The customer's phone number; each read by HQ is journaled.", extensions=pii(Pii.phone)
    )
    async def phone(self, info: Info) -> str:
        scope = info.context.require_scope()
        if scope.station_id is None:  # HQ: the read is journaled (and committed) before the number is given
            async with unit_of_work(info.context) as session:
                await customers.journal_phone_read(session, scope, self.row)
        return self.row.phone


@strawberry.input(description="A customer record.")
class CustomerInput:
    name: str = strawberry.field(description="The customer's name.")
    phone: str = strawberry.field(description="A phone number: digits, spaces and dashes, an optional + first.")
    address: str = strawberry.field(default="", description="The customer's address.")

    def to_domain(self) -> customers.CustomerInput:
        return customers.CustomerInput(name=self.name, phone=self.phone, address=self.address)


@strawberry.input(description="A customer's corrected record: every field, as it should be.")
class UpdateCustomerInput(CustomerInput):
    customer_id: strawberry.ID = strawberry.field(description="The customer (global id).")


@strawberry.type(description="What `createCustomer` and `updateCustomer` answer when they worked.")
class CustomerSuccess:
    customer: Customer = strawberry.field(description="The customer as recorded.")


CustomerResult = Annotated[
    CustomerSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "CustomerResult",
        description=(
            "CustomerSuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]


def _success(row: models.Customer) -> CustomerSuccess:
    return CustomerSuccess(customer=Customer.from_row(row))


@strawberry.type
class CustomersQuery:
    @strawberry.field(
        extensions=needs(Permission.customers_manage),
        description="Your station's customers by name; a phone number or the start of a name narrows it.",
    )
    async def customers(
        self,
        info: Info,
        first: First,
        after: After = None,
        phone: Annotated[str | None, strawberry.argument(description="Only those with this phone number.")] = None,
        name: Annotated[str | None, strawberry.argument(description="Only those whose name starts so.")] = None,
    ) -> relay.Connection[Customer]:
        rows = await info.context.run(
            customers.find_customers, first=first, after=keyset_after(after), phone=phone, name=name
        )
        return connection(rows, first=first, node=Customer.from_row, key=lambda row: (row.name, row.id))


@strawberry.type
class CustomersMutation:
    @strawberry.mutation(extensions=needs(Permission.customers_manage), description="Record a new customer.")
    async def create_customer(
        self, info: Info, input: Annotated[CustomerInput, strawberry.argument(description="The customer.")]
    ) -> CustomerResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Customer:
            return await customers.create_customer(session, scope, input.to_domain())

        return await attempt(info.context, run, _success)

    @strawberry.mutation(extensions=needs(Permission.customers_manage), description="Correct a customer's record.")
    async def update_customer(
        self,
        info: Info,
        input: Annotated[UpdateCustomerInput, strawberry.argument(description="The customer and the record.")],
    ) -> CustomerResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Customer:
            customer_id = uuid_of(input.customer_id, "Customer", "customerId")
            return await customers.update_customer(session, scope, customer_id, input.to_domain())

        return await attempt(info.context, run, _success)
