"""create_app(settings) -> Litestar: the GraphQL endpoint, the token endpoint, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import gc
import hmac
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
import structlog
from arq import ArqRedis
from cross_web import HTTPException as StrawberryHTTPException
from litestar import Litestar, MediaType, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IllegalStateChangeError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.litestar import make_graphql_controller
from strawberry.types import ExecutionResult

from dealernet.api import MAX_TOKENS, build_planner, build_schema, validation_rules
from dealernet.core.bootstrap import app_url, head_revision
from dealernet.core.db import create_engine, make_sessionmaker
from dealernet.core.embedded import resolve_servers
from dealernet.core.errors import Unauthenticated
from dealernet.core.scope import Scope as TenantScope
from dealernet.core.settings import Settings
from dealernet.core.storage import Store, open_store
from dealernet.graphql import persisted
from dealernet.graphql.context import Context
from dealernet.graphql.errors import coded_error
from dealernet.graphql.fast_path import CompiledPages, compiled_pages_middleware
from dealernet.network.http import (
    REGISTRATION_PAGE,
    add_visit_photo,
    attach_evidence,
    download_certificate,
    download_document,
    download_letter,
    download_visit_photo,
    hand_in_document,
)
from dealernet.policy.http import download_attachment, upload_attachment, upload_import
from dealernet.tenants.http import (
    INVITATION_PAGE,
    authenticate,
    jwks,
    sso_begin,
    sso_callback,
    token_endpoint,
)
from dealernet.tenants.service import partners
from dealernet.tenants.service.directory import with_standing
from dealernet.tenants.service.keys import KeyStore
from dealernet.warranty.http import download_recovery_statement, download_settlement
from dealernet.worker import connect_queue, register_jobs, worker_health
from dealernet.workshop.http import download_repair_order_file, upload_repair_order_file

log = structlog.get_logger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass
class Runtime:
    """What requests share: settings, the session factory, Redis, the signing keys."""

    settings: Settings
    keys: KeyStore
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    redis: ArqRedis | None = None
    head: str | None = None
    store: Store | None = None  # uploaded files (storage.py)
    _owned: list[Any] = field(default_factory=list)

    async def authenticate(self, authorization: str | None) -> tuple[TenantScope | None, str | None]:
        """core.web.Authenticator: the bearer token's scope."""
        assert self.sessionmaker is not None
        return await authenticate(self.keys, self.sessionmaker, authorization)

    async def with_standing(self, session: AsyncSession, scope: TenantScope) -> TenantScope:
        """core.web.Authenticator: the station's standing now."""
        return await with_standing(session, scope)


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take the caller's X-Request-ID (if sane) or make one; bind it to every log line; echo it back."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await app(scope, receive, send_with_id)

    return middleware


# Every answer: not framed, no referrer leaked, never sniffed. An API answer loads nothing, so its policy is
# the strictest; an HTML page (the development IDE) only keeps out of frames. HSTS only behind TLS.
_ALWAYS = [
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]
_API_POLICY = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
_PAGE_POLICY = (b"content-security-policy", b"frame-ancestors 'none'")
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers(*, https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A before-send hook putting the security headers on every HTTP answer, a 404 of no route included;
    HSTS when the public URL is https."""

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        names = {bytes(name).lower() for name, _ in headers}
        html = any(bytes(n).lower() == b"content-type" and bytes(v).startswith(b"text/html") for n, v in headers)
        added = [*_ALWAYS, _PAGE_POLICY if html else _API_POLICY, *([_HSTS] if https else [])]
        message["headers"] = headers + [(n, v) for n, v in added if n not in names]

    return add


def metrics_guard(settings: Settings) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """/metrics is open in development; in production it answers only the scraper's bearer token
    (DEALERNET_METRICS_TOKEN), and is not there at all without one."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not settings.is_production:
            return
        given = connection.headers.get("authorization", "")
        expected = f"Bearer {settings.metrics_token}" if settings.metrics_token else ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotFoundException()

    return guard


async def graphql_context(request: Request[Any, Any, State]) -> AsyncIterator[Context]:
    """One session per request, scoped by the bearer token; always rolled back at the end, because
    strawberry turns resolver exceptions into `errors` and they never reach this dependency."""
    runtime: Runtime = request.app.state.runtime
    assert runtime.sessionmaker is not None
    scope, auth_error = await runtime.authenticate(request.headers.get("authorization"))
    session = runtime.sessionmaker(info={"scope": scope})
    context: Context | None = None
    try:
        if scope is not None and scope.is_station:
            # One query in the request's own transaction: mutations of a suspended station are refused.
            try:
                scope = await with_standing(session, scope)
            except Unauthenticated as exc:  # deactivated since the token was issued
                await session.rollback()
                scope, auth_error = None, exc.message
            session.info["scope"] = scope
        context = Context(
            session=session,
            scope=scope,
            auth_error=auth_error,
            lock=asyncio.Lock(),
            loaders={},
            settings=runtime.settings,
            sessionmaker=runtime.sessionmaker,
            redis=runtime.redis,
            store=runtime.store,
            client_address=request.client.host if request.client else "unknown",
        )
        yield context
    finally:
        if context is not None:
            await context.settle()
        try:
            await session.close()  # rolls back whatever is open and gives the connection back
        except IllegalStateChangeError:
            # A cancelled request (the client went away) interrupted the session in mid-operation; the
            # cancellation, not this, must propagate — SQLAlchemy returns the connection when it unwinds.
            structlog.get_logger("dealernet.http").info("request cancelled while using the database")
        except DBAPIError:
            # The connection died under the request (a failover); its fields said UNAVAILABLE already, and
            # the pool has dropped the connection.
            structlog.get_logger("dealernet.http").warning("database connection lost at the end of a request")


@get("/health", summary="The process is up", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Database and Redis reachable, migrations at head")
async def ready(request: Request[Any, Any, State]) -> Response[dict[str, Any]]:
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, Any] = {}
    try:
        assert runtime.sessionmaker is not None
        async with runtime.sessionmaker() as session:
            revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
            await session.rollback()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if revision == runtime.head else f"at {revision}, head is {runtime.head}"
    except Exception as exc:
        log.warning("readiness: database unreachable", error=type(exc).__name__)
        checks["database"] = "unreachable"
    try:
        assert runtime.redis is not None
        await runtime.redis.ping()
        checks["redis"] = "ok"
        # Jobs pile up in the outbox when no worker runs: the readiness says so instead of answering 200.
        checks["worker"] = await worker_health(runtime.redis)
    except Exception as exc:
        log.warning("readiness: redis unreachable", error=type(exc).__name__)
        checks["redis"] = "unreachable"
    ok = all(value == "ok" for value in checks.values())
    return Response({"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503)


async def _persisted_document(session: AsyncSession, scope: TenantScope, sha256: str) -> str | None:
    return await partners.persisted_document(session, scope, sha256=sha256)


# GraphQL over HTTP's own media type, answered to a client that asks for it before application/json.
GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"


def _answers_in(request: Request[Any, Any, State]) -> str:
    """The media type of the answer: application/json unless the Accept header prefers the spec's own
    (no Accept, */* and application/* all mean application/json)."""
    best = request.accept.best_match([MediaType.JSON, "application/graphql-response+json"], default=MediaType.JSON)
    return GRAPHQL_RESPONSE if best == "application/graphql-response+json" else MediaType.JSON


def _is_request_error(result: ExecutionResult) -> bool:
    """No operation ran: every error is the document's or the variables' (an execution error has a path)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(not error.path for error in errors)


def _graphql_controller(settings: Settings, schema: Any) -> type:
    base = make_graphql_controller(
        schema,
        path="/graphql",
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=False,
        context_getter=graphql_context,
    )

    class GraphQLController(base):  # type: ignore[valid-type,misc]
        def encode_json(self, data: object) -> bytes:
            return msgspec.json.encode(data)

        def parse_json(self, data: str | bytes) -> Any:
            # null, "hello" or 1 is JSON but no GraphQL request: a 400, like a body that is not JSON.
            parsed = super().parse_json(data)
            if not isinstance(parsed, dict | list):
                raise StrawberryHTTPException(400, "the body is a JSON object: {query, variables, operationName}")
            return parsed

        async def execute_single(self, **kwargs: Any) -> ExecutionResult:
            refused = await persisted.prepare(kwargs["context"], kwargs["request_data"], _persisted_document)
            if refused is not None:
                return ExecutionResult(data=None, errors=[refused])
            return await super().execute_single(**kwargs)

        async def process_result(self, request: Request[Any, Any, State], result: ExecutionResult) -> Any:
            # Syntax errors never reach the schema's extensions; give them their code here.
            if result.errors:
                result.errors = [coded_error(error, suggestions=not settings.is_production) for error in result.errors]
            answer = await super().process_result(request, result)
            if _answers_in(request) == GRAPHQL_RESPONSE and _is_request_error(result):
                # Parsing, validation or variable coercion failed, so nothing ran: the spec's media type says
                # so with a 400 and no `data` entry (application/json keeps its legacy 200 and data: null).
                answer.pop("data", None)
                request.state.graphql_status = 400
            return answer

        async def execute_request(self, request: Request[Any, Any, State], context: Any, root_value: Any) -> Any:
            response = await super().execute_request(request, context, root_value)
            if response.media_type == MediaType.JSON and _answers_in(request) == GRAPHQL_RESPONSE:
                response.media_type = GRAPHQL_RESPONSE
                response.status_code = request.state.get("graphql_status", response.status_code)
            return response

    return GraphQLController


async def _log_unexpected(exc: Exception, scope: Scope) -> None:
    """A plain-HTTP handler's unexpected error: the client gets a bare 500, the log gets the traceback."""
    if not isinstance(exc, HTTPException):
        structlog.get_logger("dealernet.http").error("unexpected error", path=scope.get("path"), exc_info=exc)


def tune_gc() -> None:
    """A server's collector: what start-up built (the schema, the modules, the pools) frozen out of every later
    collection, so a full collection no longer walks it. The thresholds stay the interpreter's: a first
    generation of 50,000 measured no better, and far worse (p99 75 ms) while per-request garbage was high
    (bench/README, the per-request floor)."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    redis: ArqRedis | None = None,
    store: Store | None = None,
) -> Litestar:
    """The API. Tests pass their own session factory and Redis; otherwise the lifespan connects. (E-mail is
    sent by the worker, through the outbox.)"""
    register_jobs()
    runtime = Runtime(
        settings=settings,
        keys=KeyStore(settings),
        sessionmaker=sessionmaker,
        redis=redis,
        head=head_revision(settings),
        store=store or open_store(settings),
    )

    schema = build_schema(production=settings.is_production)
    compiled = (
        CompiledPages(
            schema._schema,
            build_planner(schema),
            validation_rules(production=settings.is_production),
            max_tokens=MAX_TOKENS,
            sessionmaker=lambda: runtime.sessionmaker,
            authenticate=runtime.authenticate,
            standing=runtime.with_standing,
        )
        if settings.compiled_pages
        else None
    )

    @asynccontextmanager
    async def connect(app: Litestar) -> AsyncIterator[None]:
        engine: AsyncEngine | None = None
        if runtime.sessionmaker is None or runtime.redis is None:
            servers = await asyncio.to_thread(resolve_servers, settings)
            if runtime.sessionmaker is None:
                # No ping per checkout: a round trip on every request. A connection lost while pooled fails its
                # request once with UNAVAILABLE (a compiled page retries it) and SQLAlchemy drops the pool's others.
                engine = create_engine(app_url(settings, servers.postgres_admin_url), pre_ping=False)
                runtime.sessionmaker = make_sessionmaker(engine)
            if runtime.redis is None:
                runtime.redis = await connect_queue(servers.redis_url)
                runtime._owned.append(runtime.redis)
        if settings.tune_gc:
            tune_gc()
        try:
            yield
        finally:
            for pool in runtime._owned:
                await pool.aclose()
            if engine is not None:
                await engine.dispose()

    prometheus = PrometheusConfig(app_name="dealernet", group_path=True, exclude=["/metrics", "/health"])

    class Metrics(PrometheusController):
        guards = [metrics_guard(settings)]

    return Litestar(
        route_handlers=[
            _graphql_controller(settings, schema),
            token_endpoint,
            upload_import,
            upload_attachment,
            download_attachment,
            upload_repair_order_file,
            download_repair_order_file,
            download_settlement,
            download_recovery_statement,
            download_letter,
            download_certificate,
            hand_in_document,
            download_document,
            add_visit_photo,
            download_visit_photo,
            attach_evidence,
            *REGISTRATION_PAGE,
            *INVITATION_PAGE,
            sso_begin,
            sso_callback,
            jwks,
            health,
            ready,
            Metrics,
        ],
        middleware=[request_id_middleware, prometheus.middleware, compiled_pages_middleware(lambda: compiled)],
        before_send=[security_headers(https=settings.base_url.startswith("https://"))],
        lifespan=[connect],
        state=State({"runtime": runtime}),
        debug=False,
        after_exception=[_log_unexpected],
        openapi_config=None,
        logging_config=None,  # logs.configure_logging owns logging; Litestar's default would replace it
    )
