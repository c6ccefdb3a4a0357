"""The compiled read path over HTTP (issue 17): a `POST /graphql` whose operation the planner covers is answered
with the bytes PostgreSQL built — one statement in the request's scope — before strawberry sees it; anything
else (a mutation, a field without an SQL form, an error to report, a persisted query, an anonymous caller) goes
on to the ordinary resolvers unchanged. Answers of the compiled path carry `Server-Timing: compiled`.

The request is checked exactly as strawberry checks it (the same parse limits and validation rules, the same
variable coercion and limits); a request that fails any check is handed on, so its errors come from one place.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import asyncpg
import msgspec
import structlog
from asyncpg.exceptions import ConnectionDoesNotExistError
from litestar.datastructures.headers import Accept
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dealernet.core.db import scope_script
from dealernet.core.errors import DomainError
from dealernet.core.scope import Scope as TenantScope
from dealernet.graphql import metrics
from dealernet.graphql.compiled import Fallback, Plan, Planner, Principal, directive_variables
from dealernet.graphql.errors import is_lost_connection
from dealernet.graphql.limits import variable_errors
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationRule,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

log = structlog.get_logger(__name__)

K = TypeVar("K")
V = TypeVar("V")

MAX_BODY = 1_000_000
STANDING_SECONDS = 5.0
_REQUEST_KEYS = frozenset({"query", "variables", "operationName"})
_JSON = "application/json"
_GRAPHQL_RESPONSE = "application/graphql-response+json"

Authenticate = Callable[[str | None], Awaitable[tuple[TenantScope | None, str | None]]]


class _Lru(OrderedDict[K, V]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> V:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class _Document(msgspec.Struct, frozen=True):
    node: DocumentNode
    operations: Mapping[str | None, OperationDefinitionNode]
    fragments: Mapping[str, FragmentDefinitionNode]
    # Per operation, the variables its @skip/@include read (their values are part of the plan's key).
    directives: Mapping[str | None, tuple[str, ...]]


class CompiledPages:
    """Answers what the planner covers; `answer` returns None for everything else."""

    def __init__(
        self,
        schema: GraphQLSchema,
        planner: Planner,
        rules: Sequence[type[ValidationRule]],
        *,
        max_tokens: int,
        sessionmaker: Callable[[], async_sessionmaker[AsyncSession] | None],
        authenticate: Authenticate,
        standing: Callable[[AsyncSession, TenantScope], Awaitable[TenantScope]],
    ) -> None:
        self.schema = schema
        self.planner = planner
        self.rules = list(rules)
        self.max_tokens = max_tokens
        self.sessionmaker = sessionmaker
        self.authenticate = authenticate
        self.standing = standing
        self.documents: _Lru[str, _Document | None] = _Lru(1_000)
        self.plans: _Lru[tuple[Any, ...], Plan | None] = _Lru(1_000)
        # (station, permissions) -> (until, the permissions its standing leaves), see _known_standing
        self.standings: _Lru[tuple[Any, frozenset[str]], tuple[float, frozenset[str]]] = _Lru(10_000)

    def _document(self, query: str) -> _Document | None:
        """The parsed and validated document (cached, a bad one too: strawberry reports its errors)."""
        if query in self.documents:
            return self.documents[query]
        try:
            node = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return self.documents.put(query, None)
        if validate(self.schema, node, self.rules):
            return self.documents.put(query, None)
        operations = {
            d.name.value if d.name else None: d for d in node.definitions if isinstance(d, OperationDefinitionNode)
        }
        fragments = {d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)}
        directives = {name: directive_variables(operation, fragments) for name, operation in operations.items()}
        return self.documents.put(query, _Document(node, operations, fragments, directives))

    def _plan(
        self, query: str, document: _Document, operation: OperationDefinitionNode, variables: VariableValues,
        principal: Principal,
    ) -> Plan | None:  # fmt: skip
        directives = document.directives[operation.name.value if operation.name else None]
        key = (query, operation.name.value if operation.name else None, principal,
               tuple(variables.coerced.get(name) for name in directives),
               self.planner.node_types(operation, variables))  # fmt: skip
        if key in self.plans:
            return self.plans[key]
        try:
            plan: Plan | None = self.planner.plan(operation, document.fragments, variables, principal)
        except Fallback:
            plan = None
        return self.plans.put(key, plan)

    async def answer(self, body: bytes, authorization: str | None) -> bytes | None:
        started = time.perf_counter()
        try:
            request = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return None
        if not isinstance(request, dict) or not set(request) <= _REQUEST_KEYS:
            return None
        query, inputs, name = request.get("query"), request.get("variables") or {}, request.get("operationName")
        if not isinstance(query, str) or not isinstance(inputs, dict) or not isinstance(name, str | None):
            return None
        document = self._document(query)
        if document is None:
            return None
        operation = (
            document.operations.get(name)
            if name or len(document.operations) != 1
            else next(iter(document.operations.values()))
        )
        if operation is None or operation.operation.value != "query":
            return None
        scope, _ = await self.authenticate(authorization)
        if scope is None or scope.allow_list_only:
            return None
        variables = get_variable_values(self.schema, operation.variable_definitions or (), inputs)
        if isinstance(variables, list) or (inputs and variable_errors(document.node, name, inputs)):
            return None
        sessionmaker = self.sessionmaker()
        if sessionmaker is None:
            return None
        for attempt in (1, 2):
            try:
                answer = await self._answer(sessionmaker, scope, query, document, operation, variables)
                if answer is not None:
                    metrics.record(name, "query", "ok", time.perf_counter() - started)
                return answer
            except DomainError:  # the principal was deactivated: the resolvers say so
                return None
            except Exception as exc:
                if attempt == 1 and _lost(exc):
                    # A read may run again: the connection died while pooled (a restart, a failover).
                    log.info("compiled page: connection lost, once more on a new one")
                    continue
                if isinstance(exc, DBAPIError | OSError | ConnectionLost) or type(exc).__module__.startswith("asyncpg"):
                    # The resolvers answer it with their typed error (UNAVAILABLE, TIMEOUT).
                    log.warning("compiled page failed; the resolvers answer", error=type(exc).__name__)
                    return None
                raise
        return None

    async def _answer(
        self, sessionmaker: async_sessionmaker[AsyncSession], scope: TenantScope, query: str, document: _Document,
        operation: OperationDefinitionNode, variables: VariableValues,
    ) -> bytes | None:  # fmt: skip
        """On the engine's pool, a known standing and a plan: three round trips on the driver (BEGIN with the
        scope, the page, ROLLBACK). Otherwise through a session (its transaction is the test's, in the suite)."""
        engine = sessionmaker.kw.get("bind")
        known = self._known_standing(scope)
        if isinstance(engine, AsyncEngine) and known is not None:
            statement = self._statement(query, document, operation, variables, known)
            return None if statement is None else await _on_driver(engine, scope, *statement)
        async with sessionmaker(info={"scope": scope}) as session:
            return await self._run(session, scope, query, document, operation, variables)

    def _statement(
        self, query: str, document: _Document, operation: OperationDefinitionNode, variables: VariableValues,
        scope: TenantScope,
    ) -> tuple[str, list[Any]] | None:  # fmt: skip
        """The plan's statement for this request (the scope with its standing), or None: the resolvers answer."""
        plan = self._plan(query, document, operation, variables, Principal(scope.db_role, scope.permissions))
        if plan is None:
            return None
        try:
            return plan.bind(variables, scope)
        except (Fallback, DomainError):
            return None

    def _known_standing(self, scope: TenantScope) -> TenantScope | None:
        """The scope with its station's standing, if read in the last STANDING_SECONDS (any other scope as it is).
        A standing read a moment ago is as good for a read: an applicant only ever becomes a live station (more
        permissions, never fewer), and a suspension restricts writes, which never come here."""
        if not scope.is_station:
            return scope
        found = self.standings.get((scope.station_id, scope.permissions))
        if found is None or found[0] < time.monotonic():
            return None
        return dataclasses.replace(scope, permissions=found[1])

    async def _run(
        self, session: AsyncSession, scope: TenantScope, query: str, document: _Document,
        operation: OperationDefinitionNode, variables: VariableValues,
    ) -> bytes | None:  # fmt: skip
        """The statement in the request's scope, on the driver's connection (no result objects at all). A
        station's permissions depend on its standing now (an applicant holds only what its application needs),
        read in the same transaction, as the resolvers' context reads it."""
        standing = await self.standing(session, scope)
        if scope.is_station:
            self.standings.put(
                (scope.station_id, scope.permissions), (time.monotonic() + STANDING_SECONDS, standing.permissions)
            )
        statement = self._statement(query, document, operation, variables, standing)
        if statement is None:
            return None
        sql, params = statement
        connection = await session.connection()  # begins: the scope statement runs (db.py)
        raw = await connection.get_raw_connection()
        answer: str = await raw.driver_connection.fetchval(sql, *params)  # type: ignore[union-attr]
        return answer.encode()


async def _on_driver(engine: AsyncEngine, scope: TenantScope, sql: str, params: list[Any]) -> bytes | None:
    """BEGIN READ ONLY with the scope in one round trip, the page, ROLLBACK — on the pooled connection's driver,
    beside SQLAlchemy (which has begun nothing on it, so it resets nothing). A connection left in doubt is
    dropped from the pool, never handed to the next request."""
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        try:
            try:
                applied = await driver.execute(scope_script(scope))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
                # The first statement on a pooled connection: nothing was read, so whatever broke it
                # (terminated while idle, a failover) it may run again on a new one.
                raise ConnectionLost from exc
            try:
                answer: str | None = await driver.fetchval(sql, *params) if applied == "SELECT 1" else None
            finally:
                await driver.execute("ROLLBACK")
        except BaseException:
            await connection.invalidate()
            raise
    return None if answer is None else answer.encode()  # None: the principal was deactivated


class ConnectionLost(Exception):
    """The pooled connection failed its first statement."""


def _lost(exc: BaseException) -> bool:
    """The connection was gone: SQLAlchemy's word for it, or asyncpg's (the page runs on the driver itself)."""
    return isinstance(exc, ConnectionLost | ConnectionError | ConnectionDoesNotExistError) or is_lost_connection(exc)


def media_type(accept: str | None) -> str:
    """The answer's media type as the controller chooses it (graphql-response+json only when preferred)."""
    if not accept:
        return _JSON
    best = Accept(accept).best_match([_JSON, _GRAPHQL_RESPONSE], default=_JSON)
    return f"{_GRAPHQL_RESPONSE}; charset=utf-8" if best == _GRAPHQL_RESPONSE else _JSON


def compiled_pages_middleware(compiled: Callable[[], CompiledPages | None]) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware in front of `/graphql`: the compiled answer, or the request handed on as it came."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            pages = compiled()
            if pages is None or scope["type"] != "http" or scope.get("method") != "POST" or scope["path"] != "/graphql":
                await app(scope, receive, send)
                return
            headers = dict(scope["headers"])
            if not headers.get(b"content-type", b"").startswith(b"application/json"):
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            body, complete = await _read(receive)
            answer = None
            if complete:
                authorization = headers.get(b"authorization")
                answer = await pages.answer(body, authorization.decode("latin-1") if authorization else None)
            if answer is None:
                await app(scope, _replay(body, complete, receive), send)
                return
            accept = headers.get(b"accept")
            elapsed = time.perf_counter() - started
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", media_type(accept.decode("latin-1") if accept else None).encode()),
                        (b"content-length", str(len(answer)).encode()),
                        (b"server-timing", f"compiled;dur={elapsed * 1000:.2f}".encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": answer, "more_body": False})

        return middleware

    return factory


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The body, up to MAX_BODY; complete=False when it is larger (then handed on as read so far + the rest)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A receive that first gives back what was read."""
    given = False

    async def replay() -> Any:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay
