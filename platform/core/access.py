"""Who may do what: the roles of an OEM's service network and the one table of their permissions (core: every
context and the API plumbing check them).

GraphQL fields declare the permission they need (`permission_classes=[Needs(Permission.users_invite)]`);
docs/permissions.md is generated from those declarations and this table (`make permissions`), and a test
compares it with the committed file. Whether a row is visible at all is RLS's business, not this table's:
a permission says which operations a role may call, the tenant scope says on which rows.
"""

from __future__ import annotations

import enum
from uuid import UUID

from dealernet.core.errors import Forbidden
from dealernet.core.scope import Scope


class Role(enum.StrEnum):
    """A membership's role. `hq_*` roles belong to a network, `station_*` to one station, `partner_*`
    to a partner organisation serving the network."""

    HQ_ADMIN = "hq_admin"
    HQ_NETWORK_DEVELOPMENT = "hq_network_development"
    HQ_REGIONAL_MANAGER = "hq_regional_manager"
    HQ_QUALITY_ENGINEER = "hq_quality_engineer"
    HQ_WARRANTY_AUDITOR = "hq_warranty_auditor"
    HQ_ASSESSOR = "hq_assessor"
    HQ_CALL_CENTRE = "hq_call_centre"
    STATION_MANAGER = "station_manager"
    STATION_SERVICE_ADVISOR = "station_service_advisor"
    STATION_TECHNICIAN = "station_technician"
    STATION_WARRANTY_CLERK = "station_warranty_clerk"
    STATION_PARTS_CLERK = "station_parts_clerk"
    # A station's dealer management system, signing in with client credentials the station issued: it
    # submits customers and repair orders like a service adviser, and nothing else.
    STATION_DMS = "station_dms"
    PARTNER_USER = "partner_user"

    @property
    def is_station_role(self) -> bool:
        return self.value.startswith("station_")

    @property
    def is_partner_role(self) -> bool:
        return self.value.startswith("partner_")

    @property
    def is_hq_role(self) -> bool:
        return self.value.startswith("hq_")


class Permission(enum.StrEnum):
    """An operation class a field or mutation requires."""

    network_read = "network:read"
    users_read = "users:read"
    users_invite = "users:invite"
    users_deactivate = "users:deactivate"
    regions_manage = "regions:manage"
    partners_manage = "partners:manage"
    sso_manage = "sso:manage"
    catalogue_manage = "catalogue:manage"
    policy_read = "policy:read"
    policy_publish = "policy:publish"
    imports_read = "imports:read"
    policy_acknowledge = "policy:acknowledge"
    journal_read = "journal:read"
    onboarding_read = "onboarding:read"
    onboarding_manage = "onboarding:manage"
    application_edit = "application:edit"
    committee_vote = "committee:vote"
    profile_edit = "profile:edit"
    station_clients_manage = "station_clients:manage"
    notifications_read = "notifications:read"
    vehicles_read = "vehicles:read"
    vehicles_browse = "vehicles:browse"
    vehicles_manage = "vehicles:manage"
    customers_read = "customers:read"
    customers_manage = "customers:manage"
    repair_orders_read = "repair_orders:read"
    repair_orders_manage = "repair_orders:manage"
    repair_orders_inspect = "repair_orders:inspect"
    repair_orders_work = "repair_orders:work"
    parts_orders_read = "parts_orders:read"
    parts_orders_place = "parts_orders:place"
    parts_orders_fulfil = "parts_orders:fulfil"
    # Also the OAuth scopes a partner's API client may hold.
    parts_read = "parts:read"
    claims_read = "claims:read"
    warranty_claims_read = "warranty_claims:read"
    warranty_claims_raise = "warranty_claims:raise"
    warranty_claims_decide = "warranty_claims:decide"
    recovery_read = "recovery:read"
    recovery_respond = "recovery:respond"
    recovery_manage = "recovery:manage"
    settlements_read = "settlements:read"
    settlements_run = "settlements:run"
    settlements_acknowledge = "settlements:acknowledge"


HQ = frozenset(r for r in Role if r.is_hq_role)
STATION = frozenset(r for r in Role if r.is_station_role)
EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.HQ_ADMIN, Role.STATION_MANAGER})

# The table. Read it as "permission: the roles that hold it".
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.network_read: HQ | STATION,
    Permission.users_read: HQ | {Role.STATION_MANAGER},
    Permission.users_invite: ADMINS,
    Permission.users_deactivate: ADMINS,
    Permission.regions_manage: frozenset({Role.HQ_ADMIN, Role.HQ_NETWORK_DEVELOPMENT}),
    Permission.partners_manage: frozenset({Role.HQ_ADMIN}),
    Permission.sso_manage: frozenset({Role.HQ_ADMIN}),
    Permission.catalogue_manage: frozenset({Role.HQ_ADMIN}),
    Permission.policy_read: HQ | STATION,
    Permission.policy_publish: frozenset({Role.HQ_ADMIN}),
    # HQ follows every bulk file of the network; a station the ones it (or its DMS) sent.
    Permission.imports_read: frozenset(
        {Role.HQ_ADMIN, Role.STATION_MANAGER, Role.STATION_SERVICE_ADVISOR, Role.STATION_DMS}
    ),
    Permission.policy_acknowledge: frozenset({Role.STATION_MANAGER, Role.STATION_PARTS_CLERK}),
    Permission.journal_read: frozenset(
        {Role.HQ_ADMIN, Role.HQ_WARRANTY_AUDITOR, Role.HQ_ASSESSOR, Role.STATION_MANAGER}
    ),
    Permission.notifications_read: HQ | STATION | {Role.PARTNER_USER},
    # Onboarding: network development runs the pipeline; an applicant's manager fills in its application.
    Permission.onboarding_read: HQ | {Role.STATION_MANAGER},
    Permission.onboarding_manage: frozenset({Role.HQ_ADMIN, Role.HQ_NETWORK_DEVELOPMENT}),
    Permission.application_edit: frozenset({Role.STATION_MANAGER}),
    Permission.committee_vote: frozenset({Role.HQ_ADMIN, Role.HQ_NETWORK_DEVELOPMENT}),
    Permission.profile_edit: frozenset({Role.STATION_MANAGER}),
    # A station's manager issues its DMS clients; HQ's admins see every station's (and cannot issue them).
    Permission.station_clients_manage: frozenset({Role.STATION_MANAGER, Role.HQ_ADMIN}),
    # The vehicle register: a station looks a VIN up; HQ browses and keeps the register.
    Permission.vehicles_read: HQ | STATION,
    Permission.vehicles_browse: HQ,
    Permission.vehicles_manage: frozenset({Role.HQ_ADMIN}),
    # Customers are personal data: the station that serves them keeps them; HQ may read them (journaled).
    Permission.customers_read: HQ | STATION,
    Permission.customers_manage: frozenset({Role.STATION_MANAGER, Role.STATION_SERVICE_ADVISOR, Role.STATION_DMS}),
    # Repair orders: the service adviser receives, quotes and settles; the manager (chief inspector) signs off.
    Permission.repair_orders_read: HQ | STATION,
    Permission.repair_orders_manage: frozenset({Role.STATION_MANAGER, Role.STATION_SERVICE_ADVISOR, Role.STATION_DMS}),
    Permission.repair_orders_inspect: frozenset({Role.STATION_MANAGER}),
    Permission.repair_orders_work: frozenset(
        {Role.STATION_MANAGER, Role.STATION_SERVICE_ADVISOR, Role.STATION_TECHNICIAN, Role.STATION_DMS}
    ),
    # Parts orders: the station's parts clerk (or manager) orders and receives; HQ's admins allocate and ship.
    Permission.parts_orders_read: HQ | STATION,
    Permission.parts_orders_place: frozenset({Role.STATION_MANAGER, Role.STATION_PARTS_CLERK}),
    Permission.parts_orders_fulfil: frozenset({Role.HQ_ADMIN}),
    Permission.parts_read: HQ | STATION | {Role.PARTNER_USER},
    Permission.claims_read: HQ | STATION | {Role.PARTNER_USER},
    # Warranty claims: the station's warranty clerk (or manager) raises and submits; HQ's warranty auditors decide.
    Permission.warranty_claims_read: HQ | STATION,
    Permission.warranty_claims_raise: frozenset({Role.STATION_MANAGER, Role.STATION_WARRANTY_CLERK}),
    Permission.warranty_claims_decide: frozenset({Role.HQ_ADMIN, Role.HQ_WARRANTY_AUDITOR}),
    # Supplier recovery: HQ's warranty department keeps the agreements and resolves disputes; the supplier
    # reads its own recovery claims and accepts or disputes them.
    Permission.recovery_read: frozenset({Role.HQ_ADMIN, Role.HQ_WARRANTY_AUDITOR, Role.PARTNER_USER}),
    Permission.recovery_respond: frozenset({Role.PARTNER_USER}),
    Permission.recovery_manage: frozenset({Role.HQ_ADMIN, Role.HQ_WARRANTY_AUDITOR}),
    # Settlement: HQ runs a period's settlement and records payment; the station reads and acknowledges its
    # statements (a supplier its recovery statements, under recovery_read / recovery_respond).
    Permission.settlements_read: HQ | {Role.STATION_MANAGER, Role.STATION_WARRANTY_CLERK},
    Permission.settlements_run: frozenset({Role.HQ_ADMIN, Role.HQ_WARRANTY_AUDITOR}),
    Permission.settlements_acknowledge: frozenset({Role.STATION_MANAGER}),
}

# An applicant (a station in onboarding) sees its own application and what filling it in needs: not the
# network's catalogue, prices, labour operations, publications or journal, whatever its role grants a live
# station. The entry layer narrows an applicant's scope to these on every request (with_standing).
APPLICANT_PERMISSIONS = frozenset(
    {
        Permission.network_read,  # its own station and the regions to choose from (RLS keeps the rest out)
        Permission.onboarding_read,  # its application, letter of intent, contract
        Permission.application_edit,
        Permission.notifications_read,
        Permission.users_read,
        Permission.users_invite,
        Permission.users_deactivate,
    }
)

# A partner's API client holds OAuth scopes instead of a role: these, and nothing else.
CLIENT_SCOPES = frozenset(
    {Permission.parts_read, Permission.claims_read, Permission.recovery_read, Permission.recovery_respond}
)


# An HQ admin holds the keys to a whole network: these of its permissions need a login that passed a
# second factor (a TOTP code, or the OEM's single sign-on). Without one the admin can still read.
SECOND_FACTOR_ROLES = frozenset({Role.HQ_ADMIN})
SECOND_FACTOR_PERMISSIONS = frozenset(
    {
        Permission.users_invite,
        Permission.users_deactivate,
        Permission.regions_manage,
        Permission.partners_manage,
        Permission.sso_manage,
    }
)


def permissions_of(role: Role, *, second_factor: bool = True) -> frozenset[str]:
    granted = {p for p, roles in GRANTS.items() if role in roles}
    if role in SECOND_FACTOR_ROLES and not second_factor:
        granted -= SECOND_FACTOR_PERMISSIONS
    return frozenset(p.value for p in granted)


def may_invite(inviter: Role, invitee: Role) -> bool:
    """HQ admins invite anyone of their network (a partner's people too, for a partner the network works
    with); a station manager invites the staff of its own station (another manager included); nobody
    else invites. A dealer management system is no person: it gets a station API client, not an invitation."""
    if invitee is Role.STATION_DMS:
        return False
    if inviter is Role.HQ_ADMIN:
        return True
    if inviter is Role.STATION_MANAGER:
        return invitee.is_station_role
    return False


SUSPENDED_MESSAGE = "the station is suspended: its people can read, not submit new work"


def require_station(scope: Scope, why: str) -> UUID:
    """The scope's station, for work only a station does; FORBIDDEN saying `why` for any other caller."""
    if scope.station_id is None:
        raise Forbidden(why)
    return scope.station_id


def require(scope: Scope, permission: Permission) -> None:
    """Services check the permission too, so the CLI and jobs cannot skip what the API enforces."""
    if not scope.may(permission.value):
        raise Forbidden(f"your role may not do this ({permission.value})")
