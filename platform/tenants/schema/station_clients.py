"""GraphQL for a station's own API clients (its dealer management system): create, revoke, list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import gid, uuid_of
from dealernet.tenants import models
from dealernet.tenants.service import station_clients


@strawberry.type(description="A station's API client for its dealer management system (client credentials).")
class StationClient:
    id: strawberry.ID = strawberry.field(description="The client (global id).")
    station_id: strawberry.ID = strawberry.field(description="The station it acts for (global id).")
    client_id: str = strawberry.field(description="What the DMS sends as client_id to /auth/token.")
    name: str = strawberry.field(description="Which system it is.")
    is_active: bool = strawberry.field(description="False once revoked: its tokens stop at their next request.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_row(cls, row: models.StationClient) -> StationClient:
        return cls(
            id=gid("StationClient", row.id),
            station_id=gid("Station", row.station_id),
            client_id=row.client_id,
            name=row.name,
            is_active=row.is_active,
            created_at=row.created_at,
        )


@strawberry.type(description="A new station client and its secret, shown this once only.")
class StationClientSecret:
    client: StationClient = strawberry.field(description="The client.")
    client_secret: str = strawberry.field(description="The secret, shown this once only.")


@strawberry.type(description="What `deactivateStationClient` answers when it worked.")
class StationClientSuccess:
    client: StationClient = strawberry.field(description="The client, as it now stands.")


StationClientSecretResult = Annotated[
    StationClientSecret | ValidationError | ForbiddenError,
    strawberry.union(
        "StationClientSecretResult",
        description=(
            "StationClientSecret when it worked; otherwise ValidationError, ForbiddenError (HQ issues none) saying "
            "why nothing changed."
        ),
    ),
]
StationClientResult = Annotated[
    StationClientSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union(
        "StationClientResult",
        description=(
            "StationClientSuccess when it worked; otherwise ValidationError, NotFoundError, ForbiddenError saying "
            "why nothing changed."
        ),
    ),
]


@strawberry.type
class StationClientsQuery:
    @strawberry.field(
        extensions=needs(Permission.station_clients_manage),
        description="Your station's API clients (a station manager), or every station's of the network (HQ).",
    )
    async def station_clients(self, info: Info) -> list[StationClient]:
        rows = await info.context.run(station_clients.station_clients)
        return [StationClient.from_row(row) for row in rows]


@strawberry.type
class StationClientsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.station_clients_manage),
        description="Create an API client for your station's dealer management system; its secret is shown once.",
    )
    async def create_station_client(
        self, info: Info, name: Annotated[str, strawberry.argument(description="Which system it is.")]
    ) -> StationClientSecretResult:
        async def run(session: AsyncSession, scope: Scope) -> station_clients.NewStationSecret:
            return await station_clients.create_station_client(session, scope, name=name)

        return await attempt(
            info.context,
            run,
            lambda new: StationClientSecret(client=StationClient.from_row(new.client), client_secret=new.secret),
        )

    @strawberry.mutation(
        extensions=needs(Permission.station_clients_manage),
        description="Revoke a station API client: its tokens stop at their next request.",
    )
    async def deactivate_station_client(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The client (global id).")]
    ) -> StationClientResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StationClient:
            client_id = uuid_of(id, "StationClient", "id")
            return await station_clients.deactivate_station_client(session, scope, client_id=client_id)

        return await attempt(info.context, run, lambda row: StationClientSuccess(client=StationClient.from_row(row)))
