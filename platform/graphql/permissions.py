"""Field permissions, declared on the field, never checked by hand in a resolver:

    @strawberry.field(extensions=needs(Permission.users_invite))

`needs` is also what docs/permissions.md is generated from (`dealernet permissions`): the matrix of every
root field and mutation against every role reads these declarations and the grants table.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from dealernet.core.access import SECOND_FACTOR_PERMISSIONS, SUSPENDED_MESSAGE, Permission
from dealernet.core.errors import DomainError, Forbidden
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

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Synchronous (nothing to await): an async check made every guarded field a coroutine.
        scope = info.context.require_scope()
        if not scope.may(self.permission.value):
            return False
        writes = scope.is_station and info.operation.operation is OperationType.MUTATION
        if writes and self.permission not in WHILE_SUSPENDED and scope.station_closed:
            raise Forbidden(SUSPENDED_MESSAGE)
        return True


class Granted(PermissionExtension):
    """strawberry's PermissionExtension, decided once per request and permission: a page of 50 parts checks
    `parts:read` once, not for each part's prices. A refusal is not remembered: the extension itself checks again
    and raises its error, so the error is the one it always gave."""

    def __init__(self, permission: Permission) -> None:
        self.needs = Needs(permission)
        super().__init__(permissions=[self.needs], use_directives=False)

    def _granted(self, info: Info) -> bool:
        memo = info.context.granted
        found = memo.get(self.needs.permission)
        if found is None:
            try:
                found = memo[self.needs.permission] = self.needs.has_permission(None, info)
            except DomainError:  # no scope, or a suspended station's write: the extension raises it below
                return False
        return found

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        if self._granted(info):
            return next_(source, info, **kwargs)
        return super().resolve(next_, source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        if self._granted(info):
            found = next_(source, info, **kwargs)
            return found if inspect.isasyncgen(found) else await found
        return await super().resolve_async(next_, source, info, **kwargs)


def needs(permission: Permission) -> list[FieldExtension]:
    return [Granted(permission)]


def declared_permission(extensions: list[Any]) -> Permission | None:
    """The permission a field declared with `needs`, if any."""
    for extension in extensions:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, Needs):
                    return permission.permission
    return None
