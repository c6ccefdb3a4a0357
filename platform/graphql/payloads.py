"""Mutation results: each mutation returns `Annotated[Success | NotFoundError | ..., strawberry.union(...)]`,
so the errors a client must handle are in the schema. `attempt` runs the service in a unit of work and
maps its DomainError to the matching member; authentication problems stay top-level errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from dealernet.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthenticated,
    ValidationFailed,
)
from dealernet.graphql.context import Context, unit_of_work

R = TypeVar("R")
S = TypeVar("S")


@strawberry.type(description="One invalid input field and why.")
class FieldError:
    field: str = strawberry.field(
        description="Where: the field's path within the mutation's input object in the API's names "
        "(`email`, `values.contactPhone`, `criteria.2.weight`), or the argument's name (`stationId`)."
    )
    message: str = strawberry.field(description="What is wrong with it.")


@strawberry.interface(description="A reason a mutation did not happen; nothing was changed.")
class UserError:
    code: str = strawberry.field(description="VALIDATION, NOT_FOUND, CONFLICT, FORBIDDEN or RATE_LIMITED.")
    message: str = strawberry.field(description="Human-readable explanation.")


@strawberry.type(description="The input was invalid; `fields` says where.")
class ValidationError(UserError):
    fields: list[FieldError] = strawberry.field(description="The invalid fields.")


@strawberry.type(description="An object the mutation needs does not exist or is not visible to you.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="The change conflicts with the current state (a duplicate, a stale version).")
class ConflictError(UserError):
    pass


@strawberry.type(description="Your role may not make this particular change.")
class ForbiddenError(UserError):
    pass


@strawberry.type(description="Too many attempts; nothing was done. Try again after `retryAfterSeconds`.")
class RateLimitedError(UserError):
    retry_after_seconds: int = strawberry.field(description="Seconds until attempts are counted afresh.")


PROBLEM_TYPES: dict[type[DomainError], type[UserError]] = {
    ValidationFailed: ValidationError,
    NotFound: NotFoundError,
    Conflict: ConflictError,
    Forbidden: ForbiddenError,
}


def problem(exc: DomainError) -> UserError:
    if isinstance(exc, RateLimited):
        return RateLimitedError(code=exc.code, message=exc.message, retry_after_seconds=exc.retry_after)
    for error_type, member in PROBLEM_TYPES.items():
        if isinstance(exc, error_type):
            if member is ValidationError:
                fields = [FieldError(field=f, message=m) for f, m in exc.api_fields().items()]
                return ValidationError(code=exc.code, message=exc.message, fields=fields)
            return member(code=exc.code, message=exc.message)
    raise exc


async def attempt(
    ctx: Context,
    fn: Callable[..., Awaitable[R]],
    success: Callable[[R], S],
    /,
    **kwargs: Any,
) -> S | UserError:
    """Run `fn(session, scope, **kwargs)` as the request's one transaction; the success payload or a problem."""
    scope = ctx.require_scope()
    try:
        async with unit_of_work(ctx) as session:
            result = await fn(session, scope, **kwargs)
            payload = success(result)
    except Unauthenticated:
        raise
    except DomainError as exc:
        return problem(exc)
    return payload
