"""The tenant scope: who is acting, for which tenant, under which database role.

A `Scope` is built by the auth layer (`dealernet.tenants.service.scope_for`) from a verified token, by a job from
its payload, or by the seed/test harness; services take it as their second argument. The same values
become transaction-local PostgreSQL settings that the row-level security policies read (db.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, true


class DbRole(enum.StrEnum):
    """The NOLOGIN roles a transaction switches to; each has its own RLS policies."""

    oem = "app_oem"
    station = "app_station"
    partner = "app_partner"
    # The login path: may look a user up by e-mail before any tenant is known.
    auth = "app_auth"
    # Multi-tenant seeding (demo data, test fixtures): BYPASSRLS, never reachable from the API's login role.
    seed = "dealernet_seed"


@dataclass(frozen=True, slots=True)
class Scope:
    """What one transaction may see. Frozen: a request cannot widen its own scope."""

    db_role: DbRole
    network_id: UUID | None = None
    station_id: UUID | None = None
    partner_id: UUID | None = None
    actor_id: UUID | None = None
    role: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    # The membership (user) or API client the token was issued for; each transaction re-checks that it
    # is still active, so deactivation takes effect at once (db.py).
    membership_id: UUID | None = None
    client_id: UUID | None = None  # a partner's API client
    station_client_id: UUID | None = None  # a station's own API client (its dealer management system)
    # A regional manager's regions: an in-network view restriction applied by services, not a tenant.
    region_ids: frozenset[UUID] | None = None
    # From the client's token: only persisted queries may run (graphql/persisted.py).
    allow_list_only: bool = False
    # The login passed a second factor (TOTP or the OEM's SSO).
    second_factor: bool = False
    # The station is suspended or terminated now (whatever the token's age): its people read, not submit.
    # The entry layer fills it in from the database for each request (tenants.service.with_standing).
    station_closed: bool = False

    @property
    def is_person(self) -> bool:
        """A person signed in (not a partner's or a station's API client)."""
        return self.client_id is None and self.station_client_id is None and self.actor_id is not None

    @property
    def is_station(self) -> bool:
        return self.db_role is DbRole.station

    def pg_settings(self) -> dict[str, str]:
        """The values set with set_config(..., true) at the start of every transaction."""
        return {
            "role": self.db_role.value,
            "dealernet.network_id": str(self.network_id or ""),
            "dealernet.station_id": str(self.station_id or ""),
            "dealernet.partner_id": str(self.partner_id or ""),
            "dealernet.actor": str(self.actor_id or ""),
        }

    def may(self, permission: str) -> bool:
        return self.db_role is DbRole.seed or permission in self.permissions

    def owns(self, model: Any, *, station_column: str = "station_id") -> ColumnElement[bool]:
        """The explicit tenant filter services add on top of RLS (defence in depth)."""
        if self.db_role is DbRole.seed:
            return true()
        if self.network_id is None:
            return false()
        clause = getattr(model, "network_id") == self.network_id  # noqa: B009 - any model with the column
        if self.is_station:
            clause = and_(clause, getattr(model, station_column) == self.station_id)
        return clause


# Settings a transaction without a scope gets: no role switch (the login role owns nothing and has no
# table privileges, so any query fails with "permission denied") and empty tenant ids (policies match no row).
NO_SCOPE_SETTINGS = {
    "role": "none",
    "dealernet.network_id": "",
    "dealernet.station_id": "",
    "dealernet.partner_id": "",
    "dealernet.actor": "",
}

SEED_SCOPE = Scope(db_role=DbRole.seed)
AUTH_SCOPE = Scope(db_role=DbRole.auth)
