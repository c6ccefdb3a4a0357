"""GraphQL for partners and their API clients (HQ manages them; a client sees its own partner)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import load_nodes, uuid_of
from dealernet.tenants import models
from dealernet.tenants.service import partners as partner_service

partner_loader = by_id_loader(partner_service.partners_by_id)

expose(
    models.PartnerKind,
    description="What a partner does for the network.",
    values={
        models.PartnerKind.SUPPLIER: "A parts supplier: reads the parts it supplies and their claims.",
        models.PartnerKind.LOGISTICS: "A logistics firm carrying parts shipments.",
        models.PartnerKind.INSURER: "An insurer.",
    },
)


@strawberry.type(description="A parts supplier, logistics firm or insurer serving the network.")
class Partner(relay.Node):
    id: relay.NodeID[UUID]
    code: str = strawberry.field(description="The partner's code.")
    name: str = strawberry.field(description="Registered name.")
    kind: models.PartnerKind = strawberry.field(description="What the partner does for the network.")

    @classmethod
    def from_row(cls, row: models.Partner) -> Partner:
        return cls(id=row.id, code=row.code, name=row.name, kind=row.kind)

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        """Other contexts answer with the partner's row itself (they never import this schema)."""
        return isinstance(obj, cls | models.Partner)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "partner", partner_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="A partner's OAuth2 client (client-credentials grant) in this network.")
class ApiClient:
    id: strawberry.ID = strawberry.field(description="Id for rotating or deactivating the client.")
    client_id: str = strawberry.field(description="The client_id the partner sends to /auth/token.")
    name: str = strawberry.field(description="What it is, e.g. a supplier's analytics.")
    scopes: list[str] = strawberry.field(description="What its tokens may read, e.g. claims:read.")
    allow_list_only: bool = strawberry.field(description="Whether it may run registered queries only.")
    is_active: bool = strawberry.field(description="Whether its tokens are still issued.")
    created_at: datetime = strawberry.field(description="When it was created.")
    partner_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.ApiClient) -> ApiClient:
        return cls(
            id=strawberry.ID(str(row.id)),
            client_id=row.client_id,
            name=row.name,
            scopes=list(row.scopes),
            allow_list_only=row.allow_list_only,
            is_active=row.is_active,
            created_at=row.created_at,
            partner_id=row.partner_id,
        )


@strawberry.type(description="The client and its secret. The secret is shown this once: store it now.")
class ApiClientSecret:
    client: ApiClient = strawberry.field(description="The API client.")
    client_secret: str = strawberry.field(description="The new secret, shown this once only.")


@strawberry.type(description="The client is deactivated; its tokens stop working at once.")
class ApiClientSuccess:
    client: ApiClient = strawberry.field(description="The API client, as it now stands.")


@strawberry.type(description="The document is registered; the client sends its hash.")
class PersistedQuerySuccess:
    sha256: str = strawberry.field(description="The document's SHA-256: the client sends it instead of the text.")


@strawberry.input(description="A new API client for a partner of your network.")
class CreateApiClientInput:
    partner_id: strawberry.ID = strawberry.field(description="The Partner it acts for.")
    name: str = strawberry.field(description="What it is, e.g. 'Bosch warranty analytics'.")
    scopes: list[str] = strawberry.field(description="Among parts:read, claims:read, recovery:read.")
    allow_list_only: bool = strawberry.field(default=False, description="Registered queries only.")


ApiClientSecretResult = Annotated[
    ApiClientSecret | ValidationError | NotFoundError,
    strawberry.union(
        "ApiClientSecretResult",
        description=(
            "ApiClientSecret when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]
ApiClientResult = Annotated[
    ApiClientSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ApiClientResult",
        description=(
            "ApiClientSuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]
PersistedQueryResult = Annotated[
    PersistedQuerySuccess | ValidationError | NotFoundError,
    strawberry.union(
        "PersistedQueryResult",
        description=(
            "PersistedQuerySuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]


def _secret(new: partner_service.NewSecret) -> ApiClientSecret:
    return ApiClientSecret(client=ApiClient.from_row(new.client), client_secret=new.secret)


@strawberry.type
class PartnersQuery:
    @strawberry.field(extensions=needs(Permission.partners_manage), description="Partners serving your network.")
    async def partners(self, info: Info) -> list[Partner]:
        return [Partner.from_row(row) for row in await info.context.run(partner_service.list_partners)]

    @strawberry.field(extensions=needs(Permission.partners_manage), description="Your network's API clients.")
    async def api_clients(self, info: Info) -> list[ApiClient]:
        return [ApiClient.from_row(row) for row in await info.context.run(partner_service.clients_of_network)]


@strawberry.type
class PartnersMutation:
    @strawberry.mutation(
        extensions=needs(Permission.partners_manage),
        description="Create an API client for a partner; the secret is in the answer, and only there.",
    )
    async def create_api_client(
        self,
        info: Info,
        input: Annotated[
            CreateApiClientInput, strawberry.argument(description="The partner, the name and the scopes.")
        ],
    ) -> ApiClientSecretResult:
        async def create(session: AsyncSession, scope: Scope) -> partner_service.NewSecret:
            return await partner_service.create_client(
                session,
                scope,
                partner_id=uuid_of(input.partner_id, "Partner", "partnerId"),
                name=input.name,
                scopes=input.scopes,
                allow_list_only=input.allow_list_only,
            )

        return await attempt(info.context, create, _secret)

    @strawberry.mutation(
        extensions=needs(Permission.partners_manage),
        description="Replace a client's secret; the old one stops working at once.",
    )
    async def rotate_api_client_secret(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The API client (global id).")]
    ) -> ApiClientSecretResult:
        async def rotate(session: AsyncSession, scope: Scope) -> partner_service.NewSecret:
            return await partner_service.rotate_secret(session, scope, client_id=uuid_of(id, "ApiClient", "id"))

        return await attempt(info.context, rotate, _secret)

    @strawberry.mutation(extensions=needs(Permission.partners_manage), description="Deactivate an API client.")
    async def deactivate_api_client(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The API client (global id).")]
    ) -> ApiClientResult:
        async def deactivate(session: AsyncSession, scope: Scope) -> models.ApiClient:
            return await partner_service.deactivate_client(session, scope, client_id=uuid_of(id, "ApiClient", "id"))

        return await attempt(info.context, deactivate, lambda c: ApiClientSuccess(client=ApiClient.from_row(c)))

    @strawberry.mutation(
        extensions=needs(Permission.partners_manage),
        description="Register a query document for a client; it then calls it by SHA-256 hash.",
    )
    async def register_persisted_query(
        self,
        info: Info,
        client_id: Annotated[strawberry.ID, strawberry.argument(description="The allow-list client (global id).")],
        document: Annotated[str, strawberry.argument(description="The GraphQL document it may run.")],
    ) -> PersistedQueryResult:
        async def register(session: AsyncSession, scope: Scope) -> models.PersistedQuery:
            return await partner_service.register_persisted_query(
                session, scope, client_id=uuid_of(client_id, "ApiClient", "clientId"), document=document
            )

        return await attempt(info.context, register, lambda q: PersistedQuerySuccess(sha256=q.sha256))
