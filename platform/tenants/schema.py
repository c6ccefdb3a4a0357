"""GraphQL types and queries of the tenants context: the viewer, networks, stations, users."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay

from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.permissions import IsAuthenticated
from dealernet.graphql.relay import connection, decode_cursor, load_nodes, parse_uuid
from dealernet.tenants import models, service

_network_loader = by_id_loader(service.networks_by_id)
_station_loader = by_id_loader(service.stations_by_id)
_user_loader = by_id_loader(service.users_by_id)


@strawberry.type(description="An OEM's service network (the HQ tenant).")
class Network(relay.Node):
    id: relay.NodeID[UUID]
    code: str = strawberry.field(description="Short unique code of the network.")
    name: str = strawberry.field(description="Display name, e.g. the OEM's brand.")
    time_zone: str = strawberry.field(description="IANA time zone the network's dates are shown in.")

    @classmethod
    def from_row(cls, row: models.Network) -> Network:
        return cls(id=row.id, code=row.code, name=row.name, time_zone=row.time_zone)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "network", _network_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="An authorised service station of a network (a dealer tenant).")
class Station(relay.Node):
    id: relay.NodeID[UUID]
    code: str = strawberry.field(description="The station's code, unique within its network (e.g. SH01).")
    name: str = strawberry.field(description="Registered name of the station.")
    city: str = strawberry.field(description="City the station is in.")
    status: str = strawberry.field(description="active, suspended or terminated.")
    network_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.Station) -> Station:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            city=row.city,
            status=row.status,
            network_id=row.network_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "station", _station_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The network the station belongs to.")
    async def network(self, info: Info) -> Network:
        row = await info.context.loader("network", _network_loader).load(self.network_id)
        return Network.from_row(row)


@strawberry.type(description="A person who logs in to Dealernet.")
class User(relay.Node):
    id: relay.NodeID[UUID]
    email: str = strawberry.field(description="Login e-mail address.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "user", _user_loader, node_ids)
        return [cls(id=row.id, email=row.email, display_name=row.display_name) if row else None for row in rows]


@strawberry.type(description="The logged-in user and the tenant their token is active in.")
class Viewer:
    id: strawberry.ID = strawberry.field(description="The user's global id (a User node).")
    email: str = strawberry.field(description="Login e-mail address.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    role: str = strawberry.field(description="Role in the active tenant, e.g. hq_admin or station_manager.")
    network_id: strawberry.Private[UUID]
    station_id: strawberry.Private[UUID | None]

    @strawberry.field(description="The network of the active tenant.")
    async def network(self, info: Info) -> Network:
        row = await info.context.loader("network", _network_loader).load(self.network_id)
        return Network.from_row(row)

    @strawberry.field(description="The active station; null for HQ staff.")
    async def station(self, info: Info) -> Station | None:
        if self.station_id is None:
            return None
        row = await info.context.loader("station", _station_loader).load(self.station_id)
        return Station.from_row(row) if row else None


@strawberry.type
class TenantsQuery:
    @strawberry.field(description="The logged-in user; null without a valid token.")
    async def viewer(self, info: Info) -> Viewer | None:
        scope = info.context.scope
        if scope is None or scope.actor_id is None or scope.network_id is None:
            return None
        user = await info.context.loader("user", _user_loader).load(scope.actor_id)
        if user is None:
            return None
        return Viewer(
            id=strawberry.ID(str(relay.GlobalID("User", str(user.id)))),
            email=user.email,
            display_name=user.display_name,
            role=scope.role,
            network_id=scope.network_id,
            station_id=scope.station_id,
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Stations the viewer may see, by code: HQ sees its network's, a station itself.",
    )
    async def stations(self, info: Info, first: int, after: str | None = None) -> relay.Connection[Station]:
        key = decode_cursor(after, arity=2)
        after_key = (key[0], parse_uuid(key[1]) or UUID(int=0)) if key else None
        rows = await info.context.run(service.list_stations, first=first, after=after_key)
        return connection(rows, first=first, node=Station.from_row, key=lambda row: (row.code, row.id))
