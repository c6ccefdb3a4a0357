"""Domain errors. Each has a stable `code`, the value clients see in GraphQL `extensions.code`."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error a user may be told about; anything else is masked as INTERNAL."""

    code = "INTERNAL"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Field path -> reason, for VALIDATION errors on input objects ("input.first": "at most 100").
        self.fields = dict(fields or {})


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    """Also what another tenant's object looks like: existence never leaks across tenants."""

    code = "NOT_FOUND"


class ValidationFailed(DomainError):
    code = "VALIDATION"


class Conflict(DomainError):
    code = "CONFLICT"


class RateLimited(DomainError):
    """Too many attempts from one address or for one account; try again after `retry_after` seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
