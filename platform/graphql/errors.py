"""Every GraphQL error leaves with an `extensions.code`; nothing unexpected leaves with its message.

Domain errors keep their message and code; errors in the query document are VALIDATION; anything else
(a database error, a bug) is logged with the request id and answered as INTERNAL with a fixed message,
so no SQL, stack trace or other tenant's data reaches the client. A statement that ran past the
database's statement_timeout is TIMEOUT, also with a fixed message.
"""

from __future__ import annotations

import re

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError
from strawberry.extensions import MaskErrors

from dealernet.core.errors import DomainError
from graphql import GraphQLError

log = structlog.get_logger(__name__)

INTERNAL_MESSAGE = "Internal server error"
TIMEOUT_MESSAGE = "the request took too long and was stopped; ask for less (a smaller page, a narrower filter)"
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for statement_timeout (and a cancelled query)
# Text PostgreSQL cannot store (a NUL character, bytes that are not UTF-8) is the client's input, not our fault.
BAD_TEXT = {"22021", "22P05"}
BAD_TEXT_MESSAGE = "text must not contain NUL (\\0) characters or bytes that are not UTF-8"
LOST_MESSAGE = "the database connection was lost (a restart or failover); try again in a moment"
# A connection the server ended: class 08 (connection exception), 57P01-57P03 (shut down, crash, cannot connect now).
_LOST_STATES = ("08", "57P01", "57P02", "57P03")


# graphql-core's hints ("Did you mean 'first'?", "... the enum value 'HQ_ADMIN'?") name the schema's fields,
# arguments, enum values and types: production answers without them, as it has no introspection.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


def _sqlstate(error: BaseException | None) -> str | None:
    driver_error = getattr(error, "orig", None)
    return getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)


def _is_timeout(error: BaseException | None) -> bool:
    return _sqlstate(error) == QUERY_CANCELED


def is_lost_connection(error: BaseException | None) -> bool:
    """The database went away under the request: not a bug of ours, not the client's mistake, retryable."""
    if isinstance(error, DBAPIError) and (error.connection_invalidated or isinstance(error, InterfaceError)):
        return True
    return (_sqlstate(error) or "").startswith(_LOST_STATES)


def _innermost(error: GraphQLError) -> BaseException | None:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error  # variable coercion wraps the scalar's error once more
    return original


def _client_mistake(error: GraphQLError, original: BaseException | None) -> bool:
    """A variable the schema refused (a Money that is a JSON number, a malformed Date, an unknown enum value,
    an Int out of range): the message names the variable and what the client sent."""
    return error.path is None and isinstance(original, GraphQLError | ValueError | TypeError)


def coded_error(error: GraphQLError, *, suggestions: bool = True) -> GraphQLError:
    """The error as clients may see it (idempotent: an error that has a code keeps it); without graphql-core's
    "Did you mean" hints when `suggestions` is off (production)."""
    original = _innermost(error)
    extensions: dict[str, object]
    if isinstance(original, DomainError):
        message, extensions = original.message, {"code": original.code}
        if original.fields:
            extensions["fields"] = original.api_fields()
    elif error.extensions and "code" in error.extensions:  # permission classes set their own code
        message, extensions = error.message, dict(error.extensions)
    elif original is None or _client_mistake(error, original):  # parse and validation errors of the query document
        message, extensions = error.message, {"code": "VALIDATION"}
    elif _is_timeout(original):
        message, extensions = TIMEOUT_MESSAGE, {"code": "TIMEOUT"}
    elif is_lost_connection(original):
        message, extensions = LOST_MESSAGE, {"code": "UNAVAILABLE"}
    elif _sqlstate(original) in BAD_TEXT:
        message, extensions = BAD_TEXT_MESSAGE, {"code": "VALIDATION"}
    else:
        message, extensions = INTERNAL_MESSAGE, {"code": "INTERNAL"}
    return GraphQLError(
        message if suggestions else without_suggestions(message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log what will be masked as INTERNAL (the request id comes from the bound context); a client's mistake
    is not unexpected and is not logged."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, DomainError) or error.extensions:
            continue
        if _client_mistake(error, _innermost(error)):
            continue
        if is_lost_connection(_innermost(error)):
            log.warning("database connection lost in resolver", path=error.path)
            continue
        log.error("unexpected error in resolver", path=error.path, exc_info=original)


class ErrorCodes(MaskErrors):
    """strawberry's MaskErrors, rewriting each error to its coded form instead of one fixed message."""

    def __init__(self, *, suggestions: bool = True) -> None:
        super().__init__(should_mask_error=lambda _: True)
        self.suggestions = suggestions

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return coded_error(error, suggestions=self.suggestions)
