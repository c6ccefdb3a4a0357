"""Persisted queries for partner clients: a client sends `extensions.persistedQuery.sha256Hash` instead
of (or with) the document; a client in allow-list mode may run nothing but its registered documents.
Other principals send documents as usual."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.http import GraphQLRequestData

from dealernet.core.errors import DomainError
from dealernet.core.scope import Scope
from dealernet.graphql.context import Context
from graphql import GraphQLError

# The registered document with a hash, in the client's scope (the tenants context's, handed in by the app).
DocumentLookup = Callable[[AsyncSession, Scope, str], Awaitable[str | None]]


def _requested_hash(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    value = persisted.get("sha256Hash")
    return value.lower() if isinstance(value, str) else ""


async def prepare(ctx: Context, data: GraphQLRequestData, lookup: DocumentLookup) -> GraphQLError | None:
    """Fill in the document of a persisted query, or say why the request may not run."""
    try:
        return await _prepare(ctx, data, lookup)
    except DomainError as exc:  # e.g. the client was deactivated since its token was issued
        return GraphQLError(exc.message, extensions={"code": exc.code})


async def _prepare(ctx: Context, data: GraphQLRequestData, lookup: DocumentLookup) -> GraphQLError | None:
    scope = ctx.scope
    requested = _requested_hash(data.extensions)
    if scope is None or scope.client_id is None:
        if requested is not None and data.query is None:
            return GraphQLError("persisted queries are for partner clients", extensions={"code": "VALIDATION"})
        return None
    if requested is None and data.query is not None:
        if not scope.allow_list_only:  # the common case costs nothing: the mode travels in the token
            return None
        async with ctx.db() as session:
            known = await lookup(session, scope, hashlib.sha256(data.query.encode()).hexdigest())
        if known is None:
            return GraphQLError("this client may run registered queries only", extensions={"code": "FORBIDDEN"})
        return None
    if (
        requested is not None
        and data.query is not None
        and hashlib.sha256(data.query.encode()).hexdigest() != requested
    ):
        return GraphQLError("the document does not match its sha256Hash", extensions={"code": "VALIDATION"})
    async with ctx.db() as session:
        document = await lookup(session, scope, requested or "")
    if document is None:
        return GraphQLError("PersistedQueryNotFound", extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
    data.query = document
    return None
