"""Who may do what: the roles of an OEM's service network and the one table of their permissions (core: every
context and the API plumbing check them).

GraphQL fields declare the permission they need (`permission_classes=[Needs(Permission.users_invite)]`);
docs/permissions.md is generated from those declarations and this table (`make permissions`), and a test
compares it with the committed file. Whether a row is visible at all is RLS's business, not this table's:
a permission says which operations a role may call, the tenant scope says on which rows.
"""

from __future__ import annotations

import enum

from dealernet.core.errors import Forbidden
from dealernet.core.scope import Scope


class Role(enum.StrEnum):
    """A membership's role. `hq_*` roles belong to a network, `station_*` to one station, `partner_*`
    to a partner organisation serving the network."""

    hq_admin = "hq_admin"
    hq_network_development = "hq_network_development"
    hq_regional_manager = "hq_regional_manager"
    hq_quality_engineer = "hq_quality_engineer"
    hq_warranty_auditor = "hq_warranty_auditor"
    hq_assessor = "hq_assessor"
    hq_call_centre = "hq_call_centre"
    station_manager = "station_manager"
    station_service_advisor = "station_service_advisor"
    station_technician = "station_technician"
    station_warranty_clerk = "station_warranty_clerk"
    station_parts_clerk = "station_parts_clerk"
    partner_user = "partner_user"

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
    policy_acknowledge = "policy:acknowledge"
    journal_read = "journal:read"
    onboarding_read = "onboarding:read"
    onboarding_manage = "onboarding:manage"
    application_edit = "application:edit"
    committee_vote = "committee:vote"
    profile_edit = "profile:edit"
    notifications_read = "notifications:read"
    # Also the OAuth scopes a partner's API client may hold.
    parts_read = "parts:read"
    claims_read = "claims:read"
    recovery_read = "recovery:read"


HQ = frozenset(r for r in Role if r.is_hq_role)
STATION = frozenset(r for r in Role if r.is_station_role)
EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.hq_admin, Role.station_manager})

# The table. Read it as "permission: the roles that hold it".
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.network_read: HQ | STATION,
    Permission.users_read: HQ | {Role.station_manager},
    Permission.users_invite: ADMINS,
    Permission.users_deactivate: ADMINS,
    Permission.regions_manage: frozenset({Role.hq_admin, Role.hq_network_development}),
    Permission.partners_manage: frozenset({Role.hq_admin}),
    Permission.sso_manage: frozenset({Role.hq_admin}),
    Permission.catalogue_manage: frozenset({Role.hq_admin}),
    Permission.policy_read: HQ | STATION,
    Permission.policy_publish: frozenset({Role.hq_admin}),
    Permission.policy_acknowledge: frozenset({Role.station_manager, Role.station_parts_clerk}),
    Permission.journal_read: frozenset(
        {Role.hq_admin, Role.hq_warranty_auditor, Role.hq_assessor, Role.station_manager}
    ),
    Permission.notifications_read: HQ | STATION,
    # Onboarding: network development runs the pipeline; an applicant's manager fills in its application.
    Permission.onboarding_read: HQ | {Role.station_manager},
    Permission.onboarding_manage: frozenset({Role.hq_admin, Role.hq_network_development}),
    Permission.application_edit: frozenset({Role.station_manager}),
    Permission.committee_vote: frozenset({Role.hq_admin, Role.hq_network_development}),
    Permission.profile_edit: frozenset({Role.station_manager}),
    Permission.parts_read: HQ | STATION | {Role.partner_user},
    Permission.claims_read: HQ | STATION | {Role.partner_user},
    Permission.recovery_read: frozenset({Role.hq_admin, Role.hq_warranty_auditor, Role.partner_user}),
}

# A partner's API client holds OAuth scopes instead of a role: these, and nothing else.
CLIENT_SCOPES = frozenset({Permission.parts_read, Permission.claims_read, Permission.recovery_read})


# An HQ admin holds the keys to a whole network: these of its permissions need a login that passed a
# second factor (a TOTP code, or the OEM's single sign-on). Without one the admin can still read.
SECOND_FACTOR_ROLES = frozenset({Role.hq_admin})
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
    else invites."""
    if inviter is Role.hq_admin:
        return True
    if inviter is Role.station_manager:
        return invitee.is_station_role
    return False


SUSPENDED_MESSAGE = "the station is suspended: its people can read, not submit new work"


def require(scope: Scope, permission: Permission) -> None:
    """Services check the permission too, so the CLI and jobs cannot skip what the API enforces."""
    if not scope.may(permission.value):
        raise Forbidden(f"your role may not do this ({permission.value})")
