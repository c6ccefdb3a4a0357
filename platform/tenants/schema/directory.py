"""GraphQL types, queries and mutations of the tenants context: the viewer, networks, regions, stations,
people and invitations. Partners and API clients are in `schema_partners.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission, Role
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.scope import AUTH_SCOPE, Scope
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt, problem
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, maybe_gid, uuid_of
from dealernet.tenants import models
from dealernet.tenants.service import directory, mails
from dealernet.tenants.service.throttle import LoginThrottle, policy_of

_network_loader = by_id_loader(directory.networks_by_id)
_station_loader = by_id_loader(directory.stations_by_id)
_user_loader = by_id_loader(directory.users_by_id)
_region_loader = by_id_loader(directory.regions_by_id)

expose(
    Role,
    description="A member's role: HQ_* at HQ, STATION_* at a station, PARTNER_* at a partner.",
    values={
        Role.HQ_ADMIN: "HQ administrator: everything in the network, users and settings included.",
        Role.HQ_NETWORK_DEVELOPMENT: "HQ network development: onboarding and the stations' standing.",
        Role.HQ_REGIONAL_MANAGER: "HQ regional manager: the stations of a region.",
        Role.HQ_QUALITY_ENGINEER: "HQ quality engineer: quality data and bulletins.",
        Role.HQ_WARRANTY_AUDITOR: "HQ warranty auditor: warranty claims and their settlement.",
        Role.HQ_ASSESSOR: "HQ assessor: scores applications and inspects acceptance.",
        Role.HQ_CALL_CENTRE: "HQ call centre: complaints and callbacks.",
        Role.STATION_MANAGER: "Station manager: everything of the station, its users included.",
        Role.STATION_SERVICE_ADVISOR: "Service advisor: receives customers and keeps repair orders.",
        Role.STATION_TECHNICIAN: "Technician: works the lines of repair orders.",
        Role.STATION_WARRANTY_CLERK: "Warranty clerk: prepares the station's warranty claims.",
        Role.STATION_PARTS_CLERK: "Parts clerk: stock and parts orders.",
        Role.STATION_DMS: "A station's dealer management system (an API client of the station, not a person).",
        Role.PARTNER_USER: "A partner's user: the restricted slice of the API its partner may read.",
    },
)
expose(
    models.StationStatus,
    description="Where a station stands: APPLICANT (in onboarding), ACTIVE, SUSPENDED (its people read, they do "
    "not submit) or TERMINATED.",
    values={
        models.StationStatus.APPLICANT: "In the onboarding pipeline: sees only its own application.",
        models.StationStatus.ACTIVE: "A live station.",
        models.StationStatus.SUSPENDED: "Suspended: its people read, they do not submit.",
        models.StationStatus.TERMINATED: "Terminated: closed.",
    },
)


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


@strawberry.type(description="A region of a network (East, North-West, ...): quotas, rates and regional staff.")
class Region(relay.Node):
    id: relay.NodeID[UUID]
    code: str = strawberry.field(description="Short code, unique within the network.")
    name: str = strawberry.field(description="Display name.")

    @classmethod
    def from_row(cls, row: models.Region) -> Region:
        return cls(id=row.id, code=row.code, name=row.name)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "region", _region_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(description="An authorised service station of a network (a dealer tenant).")
class Station(relay.Node):
    id: relay.NodeID[UUID]
    code: str = strawberry.field(description="The station's code, unique within its network (e.g. SH01).")
    name: str = strawberry.field(description="Registered name of the station.")
    city: str = strawberry.field(description="City the station is in.")
    status: models.StationStatus = strawberry.field(description="Its standing in the network.")
    tier: str | None = strawberry.field(description="The network's grade of the station (A, B, C…).")
    brands: list[str] = strawberry.field(description="The brands it serves.")
    network_id: strawberry.Private[UUID]
    region_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: models.Station) -> Station:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            city=row.city,
            status=row.status,
            tier=row.tier,
            brands=list(row.brands),
            network_id=row.network_id,
            region_id=row.region_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "station", _station_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The network the station belongs to.")
    async def network(self, info: Info) -> Network:
        row = await info.context.loader("network", _network_loader).load(self.network_id)
        return Network.from_row(row)

    @strawberry.field(description="The region the station is in; null when not assigned.")
    async def region(self, info: Info) -> Region | None:
        if self.region_id is None:
            return None
        row = await info.context.loader("region", _region_loader).load(self.region_id)
        return Region.from_row(row) if row else None


@strawberry.type(description="A person who logs in to Dealernet.")
class User(relay.Node):
    id: relay.NodeID[UUID]
    email: str = strawberry.field(description="Login e-mail address.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "user", _user_loader, node_ids)
        return [cls(id=row.id, email=row.email, display_name=row.display_name) if row else None for row in rows]


@strawberry.type(description="One of the viewer's tenants: switch to it with the token endpoint's `tenant`.")
class ViewerMembership:
    id: strawberry.ID = strawberry.field(description="The membership id to pass as `tenant`.")
    role: Role = strawberry.field(description="The viewer's role there.")
    network_id: strawberry.ID = strawberry.field(description="Global id of its network.")
    station_id: strawberry.ID | None = strawberry.field(description="Global id of its station; null at HQ.")
    active: bool = strawberry.field(description="Whether the current token is for this membership.")


@strawberry.type(description="The logged-in user and the tenant their token is active in.")
class Viewer:
    id: strawberry.ID = strawberry.field(description="The user's global id (a User node).")
    email: str = strawberry.field(description="Login e-mail address.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    role: str = strawberry.field(description="Role in the active tenant, e.g. hq_admin or station_manager.")
    permissions: list[str] = strawberry.field(description="What the role may do, e.g. users:invite.")
    second_factor: bool = strawberry.field(
        description="Whether this login passed a second factor (a one-time code, or the OEM's single sign-on)."
    )
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

    @strawberry.field(description="Every tenant the viewer belongs to (a dealer group's stations, say).")
    async def memberships(self, info: Info) -> list[ViewerMembership]:
        scope = info.context.require_scope()
        rows = await info.context.run(directory.memberships_of_actor)
        return [
            ViewerMembership(
                id=strawberry.ID(str(row.id)),
                role=Role(row.role),
                network_id=maybe_gid("Network", row.network_id),
                station_id=maybe_gid("Station", row.station_id),
                active=row.id == scope.membership_id,
            )
            for row in rows
        ]


@strawberry.type(description="An invitation sent by e-mail; the link in it is valid for 7 days.")
class Invitation:
    id: strawberry.ID = strawberry.field(description="The invitation's global id.")
    email: str = strawberry.field(description="Who was invited.")
    role: Role = strawberry.field(description="The role they get on accepting.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")

    @classmethod
    def from_row(cls, row: models.Invitation) -> Invitation:
        return cls(id=strawberry.ID(str(row.id)), email=row.email, role=Role(row.role), expires_at=row.expires_at)


@strawberry.input(description="Whom to invite, with which role, where.")
class InviteUserInput:
    email: str = strawberry.field(description="Their e-mail address; the invitation link goes there.")
    role: Role = strawberry.field(description="The role they will have.")
    display_name: str = strawberry.field(default="", description="Name shown to colleagues.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station, for a station role (a station manager's own is implied)."
    )
    region_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Regions a regional manager is limited to (at most 50)."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The partner, for a partner role (one the network works with)."
    )


@strawberry.type(description="The invitation was sent.")
class InviteUserSuccess:
    invitation: Invitation = strawberry.field(description="The invitation sent.")


@strawberry.input(description="The token from the invitation link and the password to log in with.")
class AcceptInvitationInput:
    token: str = strawberry.field(description="The token from the invitation e-mail.")
    password: str = strawberry.field(description="At least 10 characters; an existing user's own password.")
    display_name: str = strawberry.field(default="", description="Name shown to colleagues.")


@strawberry.type(description="You are a member now: log in at /auth/token.")
class AcceptInvitationSuccess:
    email: str = strawberry.field(description="The address to sign in with.")
    role: Role = strawberry.field(description="The role granted.")


@strawberry.type(description="The user's memberships in your tenant are deactivated; their tokens stop working.")
class DeactivateUserSuccess:
    deactivated: int = strawberry.field(description="How many memberships were deactivated.")


@strawberry.type(description="What `unlockSignIn` answers when it worked.")
class SignInUnlocked:
    email: str = strawberry.field(description="The user whose failed-login locks were lifted.")


@strawberry.type(description="The region was created.")
class RegionSuccess:
    region: Region = strawberry.field(description="The region.")


@strawberry.type(description="The station's region was changed.")
class StationSuccess:
    station: Station = strawberry.field(description="The station, as it now stands.")


InviteUserResult = Annotated[
    InviteUserSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union(
        "InviteUserResult",
        description=(
            "InviteUserSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ForbiddenError saying why nothing changed."
        ),
    ),
]
AcceptInvitationResult = Annotated[
    AcceptInvitationSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "AcceptInvitationResult",
        description=(
            "AcceptInvitationSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]
DeactivateUserResult = Annotated[
    DeactivateUserSuccess | NotFoundError | ConflictError | ValidationError,
    strawberry.union(
        "DeactivateUserResult",
        description=(
            "DeactivateUserSuccess when it worked; otherwise NotFoundError, ConflictError, "
            "ValidationError saying why nothing changed."
        ),
    ),
]
UnlockSignInResult = Annotated[
    SignInUnlocked | NotFoundError | ValidationError,
    strawberry.union(
        "UnlockSignInResult",
        description="SignInUnlocked when it worked; otherwise NotFoundError, ValidationError saying why.",
    ),
]
RegionResult = Annotated[
    RegionSuccess | ValidationError | ConflictError,
    strawberry.union(
        "RegionResult",
        description=(
            "RegionSuccess when it worked; otherwise ValidationError, ConflictError saying why nothing changed."
        ),
    ),
]
StationResult = Annotated[
    StationSuccess | NotFoundError | ValidationError,
    strawberry.union(
        "StationResult",
        description=(
            "StationSuccess when it worked; otherwise NotFoundError, ValidationError saying why nothing changed."
        ),
    ),
]


# The stations page compiled to one statement (graphql/compiled.py).
STATION_ROWS = compiled.Rows(
    "Station",
    {
        "id": compiled.NODE_ID,
        "code": compiled.column("code"),
        "name": compiled.column("name"),
        "city": compiled.column("city"),
        "status": compiled.column("status"),
        "tier": compiled.column("tier"),
        "brands": compiled.column("brands"),
    },
)


def _station_terms(args: Mapping[str, Any], bind: compiled.Binder, scope: Scope) -> list[str]:
    """directory.list_stations's filters, as SQL: the scope's own (its network; a station itself; a regional
    manager's regions), then the arguments."""
    if scope.network_id is None:
        raise compiled.Fallback("no network in scope")
    terms = [f"{{r}}.network_id = {bind(scope.network_id)}::uuid"]
    if scope.is_station:
        terms.append(f"{{r}}.id = {bind(scope.station_id)}::uuid")
    if scope.region_ids:
        terms.append(f"{{r}}.region_id = ANY({bind(sorted(scope.region_ids))}::uuid[])")
    region = uuid_of(args.get("regionId"), "Region", "regionId")
    if region is not None:
        terms.append(f"{{r}}.region_id = {bind(region)}::uuid")
    if args.get("status"):
        terms.append(f"{{r}}.status = ANY({bind([s.value for s in args['status']])}::text[])")
    return terms


STATIONS_PAGE = compiled.Page(
    "stations", STATION_ROWS, table="stations", key="code", where=_station_terms,
)  # fmt: skip


# The viewer compiled to one statement (graphql/compiled.py): the user's row, and what the token says of them.
VIEWER_ROWS = compiled.Rows(
    "Viewer",
    {
        "id": compiled.gid_of("User", "id"),
        "email": compiled.column("email"),
        "display_name": compiled.column("display_name"),
        "role": compiled.ScopeValue(lambda scope: scope.role, "text"),
        "permissions": compiled.ScopeValue(lambda scope: sorted(scope.permissions), "text[]"),
        "second_factor": compiled.ScopeValue(lambda scope: scope.second_factor, "boolean"),
    },
)


def _viewer_terms(_args: Mapping[str, Any], bind: compiled.Binder, scope: Scope) -> list[str]:
    if scope.actor_id is None or scope.network_id is None or scope.membership_id is None:
        raise compiled.Fallback("no person signed in: the resolver answers null")
    return [f"{{r}}.id = {bind(scope.actor_id)}::uuid"]


VIEWER = compiled.Single("viewer", VIEWER_ROWS, table="users", where=_viewer_terms)


@strawberry.type
class DirectoryQuery:
    @strawberry.field(description="The logged-in user; null without a valid token.")
    async def viewer(self, info: Info) -> Viewer | None:
        scope = info.context.scope
        if scope is None or scope.actor_id is None or scope.network_id is None or scope.membership_id is None:
            return None
        user = await info.context.loader("user", _user_loader).load(scope.actor_id)
        if user is None:
            return None
        return Viewer(
            id=gid("User", user.id),
            email=user.email,
            display_name=user.display_name,
            role=scope.role,
            permissions=sorted(scope.permissions),
            second_factor=scope.second_factor,
            network_id=scope.network_id,
            station_id=scope.station_id,
        )

    @strawberry.field(
        extensions=needs(Permission.network_read),
        description="Stations the viewer may see, by code: HQ sees its network's (a regional manager its "
        "regions'), a station itself.",
    )
    async def stations(
        self,
        info: Info,
        first: First,
        after: After = None,
        region_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of this region (global id).")
        ] = None,
        status: Annotated[
            list[models.StationStatus] | None,
            strawberry.argument(
                description="Only those of these standings, e.g. [ACTIVE] for the live network without the "
                "applicants in onboarding; empty: all."
            ),
        ] = None,
    ) -> relay.Connection[Station]:
        after_key = keyset_after(after)
        region = uuid_of(region_id, "Region", "regionId")
        rows = await info.context.run(
            directory.list_stations, first=first, after=after_key, region_id=region, statuses=status or ()
        )
        return connection(rows, first=first, node=Station.from_row, key=lambda row: (row.code, row.id))

    @strawberry.field(extensions=needs(Permission.network_read), description="The network's regions, by code.")
    async def regions(self, info: Info) -> list[Region]:
        return [Region.from_row(row) for row in await info.context.run(directory.list_regions)]


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(
        extensions=needs(Permission.users_invite),
        description="Invite someone to your tenant; they get an e-mail with a link to set their password.",
    )
    async def invite_user(
        self,
        info: Info,
        input: Annotated[InviteUserInput, strawberry.argument(description="Whom to invite, with which role.")],
    ) -> InviteUserResult:
        ctx = info.context

        async def invite(session: AsyncSession, scope: Scope) -> directory.NewInvitation:
            new = await directory.invite(
                session,
                scope,
                email=input.email,
                role=Role(input.role),
                display_name=input.display_name,
                station_id=uuid_of(input.station_id, "Station", "stationId"),
                region_ids=[uuid_of(r, "Region", "regionIds") for r in input.region_ids],
                partner_id=uuid_of(input.partner_id, "Partner", "partnerId"),
            )
            await mails.queue_invitation_mail(session, scope, ctx.settings, new)
            return new

        return await attempt(ctx, invite, lambda new: InviteUserSuccess(invitation=Invitation.from_row(new.invitation)))

    @strawberry.mutation(
        description="Accept an invitation (no token needed): sets your password, or adds the tenant to your "
        "existing account."
    )
    async def accept_invitation(
        self,
        info: Info,
        input: Annotated[
            AcceptInvitationInput, strawberry.argument(description="The invitation's token and the new password.")
        ],
    ) -> AcceptInvitationResult:
        ctx = info.context
        try:
            async with new_unit_of_work(ctx.sessionmaker, AUTH_SCOPE, queue=ctx.redis) as session:
                accepted = await directory.accept_invitation(
                    session, token=input.token, password=input.password, display_name=input.display_name
                )
        except (ValidationFailed, NotFound, Conflict) as exc:
            return problem(exc)
        return AcceptInvitationSuccess(email=accepted.email, role=Role(accepted.role))

    @strawberry.mutation(
        extensions=needs(Permission.users_deactivate),
        description="Deactivate a user in your tenant; their tokens stop working at once.",
    )
    async def deactivate_user(
        self, info: Info, user_id: Annotated[strawberry.ID, strawberry.argument(description="The user (global id).")]
    ) -> DeactivateUserResult:
        async def deactivate(session: AsyncSession, scope: Scope) -> int:
            return await directory.deactivate_user(session, scope, user_id=uuid_of(user_id, "User", "userId"))

        return await attempt(info.context, deactivate, lambda n: DeactivateUserSuccess(deactivated=n))

    @strawberry.mutation(
        extensions=needs(Permission.users_deactivate),
        description="Lift the failed-login locks on a user of your tenant, from every address (when guessing "
        "locked the account for everyone; a stranger's guesses lock only the stranger's own address).",
    )
    async def unlock_sign_in(
        self, info: Info, user_id: Annotated[strawberry.ID, strawberry.argument(description="The user (global id).")]
    ) -> UnlockSignInResult:
        ctx = info.context
        throttle = LoginThrottle(ctx.redis, policy_of(ctx.settings))

        async def unlock(session: AsyncSession, scope: Scope) -> str:
            return await directory.unlock_sign_in(session, scope, throttle, user_id=uuid_of(user_id, "User", "userId"))

        return await attempt(ctx, unlock, lambda email: SignInUnlocked(email=email))

    @strawberry.mutation(extensions=needs(Permission.regions_manage), description="Create a region of your network.")
    async def create_region(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The region's code, unique in the network.")],
        name: Annotated[str, strawberry.argument(description="The region's name.")],
    ) -> RegionResult:
        return await attempt(
            info.context,
            directory.create_region,
            lambda r: RegionSuccess(region=Region.from_row(r)),
            code=code,
            name=name,
        )

    @strawberry.mutation(
        extensions=needs(Permission.regions_manage), description="Put a station in a region (null: none)."
    )
    async def set_station_region(
        self,
        info: Info,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station (global id).")],
        region_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The region (global id); empty: none.")
        ] = None,
    ) -> StationResult:
        async def move(session: AsyncSession, scope: Scope) -> models.Station:
            return await directory.set_station_region(
                session,
                scope,
                station_id=uuid_of(station_id, "Station", "stationId"),
                region_id=uuid_of(region_id, "Region", "regionId"),
            )

        return await attempt(info.context, move, lambda s: StationSuccess(station=Station.from_row(s)))
