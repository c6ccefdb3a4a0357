"""Domain errors. Each has a stable `code`, the value clients see in GraphQL `extensions.code`."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error a user may be told about; anything else is masked as INTERNAL."""

    code = "INTERNAL"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Field path -> reason, in the domain's snake_case ("values.contact_phone": "at most 40
        # characters"); the API layers show it in the API's names with api_fields.
        self.fields = dict(fields or {})

    def api_fields(self) -> dict[str, str]:
        """The field paths in the API's names: each segment in camelCase (values.contactPhone)."""
        return {api_path(path): reason for path, reason in self.fields.items()}


def api_path(path: str) -> str:
    """A domain field path in the API's names: station_id -> stationId, criteria.0.max_points ->
    criteria.0.maxPoints. A segment already in camelCase stays as it is, and what follows `file` names a
    column of an uploaded file, which keeps its own name (file.header.part_number)."""
    segments = path.split(".")
    named = segments.index("file") + 1 if "file" in segments else len(segments)
    return ".".join([*map(_camel, segments[:named]), *segments[named:]])


def _camel(segment: str) -> str:
    head, *rest = segment.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


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


class Unavailable(DomainError):
    """A service the request needs (Redis, for the login throttle) is unreachable for a moment: try again
    after `retry_after` seconds. Never a client's mistake, never a 500."""

    code = "UNAVAILABLE"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
