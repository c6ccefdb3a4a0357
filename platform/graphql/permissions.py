"""Field permissions, declared on the field, never checked by hand in a resolver:

    @strawberry.field(extensions=needs(Permission.users_invite))

`needs` is also what docs/permissions.md is generated from (`dealernet permissions`): the matrix of every
root field and mutation against every role reads these declarations and the grants table.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from dealernet.core.access import SECOND_FACTOR_PERMISSIONS, SUSPENDED_MESSAGE, Permission
from dealernet.core.errors import Forbidden
from dealernet.graphql.context import Info
from graphql import OperationType

# What a suspended (or terminated) station's people may still change: they read, they do not submit work.
WHILE_SUSPENDED = frozenset(
    {
        Permission.notifications_read,
        Permission.policy_acknowledge,
        Permission.users_invite,
        Permission.users_deactivate,
    }
)


class IsAuthenticated(BasePermission):
    """Any logged-in principal (user or partner client)."""

    message = "authentication required"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.scope is not None


class Needs(BasePermission):
    """The principal's role (or a client's scopes) grants `permission`. Without a token: UNAUTHENTICATED."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self.message = f"your role may not do this ({permission.value})"
        if permission in SECOND_FACTOR_PERMISSIONS:
            self.message += " (HQ admins also need a login with a second factor: see startMfaEnrollment)"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        scope = info.context.require_scope()
        if not scope.may(self.permission.value):
            return False
        writes = scope.is_station and info.operation.operation is OperationType.MUTATION
        if writes and self.permission not in WHILE_SUSPENDED and scope.station_closed:
            raise Forbidden(SUSPENDED_MESSAGE)
        return True


def needs(permission: Permission) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Needs(permission)], use_directives=False)]


def declared_permission(extensions: list[Any]) -> Permission | None:
    """The permission a field declared with `needs`, if any."""
    for extension in extensions:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, Needs):
                    return permission.permission
    return None
