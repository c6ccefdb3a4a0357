"""Field permissions, declared on the field (`permission_classes=[IsAuthenticated]`), never checked by hand."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from dealernet.graphql.context import Info


class IsAuthenticated(BasePermission):
    message = "authentication required"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.scope is not None
