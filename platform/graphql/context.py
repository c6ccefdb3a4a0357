"""The per-request GraphQL context: scope, one database session behind a lock, DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import msgspec
from arq import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from dealernet.core.errors import Unauthenticated
from dealernet.core.scope import Scope
from dealernet.core.settings import Settings
from dealernet.core.storage import Store
from dealernet.core.unit_of_work import unit_of_work as core_unit_of_work

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class Context(BaseContext, kw_only=True):
    """Everything a resolver may use. `scope` is None for an anonymous request."""

    session: AsyncSession
    scope: Scope | None
    # Why authentication failed (a bad token), so protected fields can say so instead of "no token".
    auth_error: str | None = None
    lock: asyncio.Lock
    # Database calls still running, whose fields may have been cancelled (`run`).
    in_flight: set[asyncio.Future[Any]] = msgspec.field(default_factory=set)
    loaders: dict[str, Any]
    # Permissions decided in this request (graphql/permissions.Granted): each is checked once.
    granted: dict[Any, bool] = msgspec.field(default_factory=dict)
    settings: Settings
    # For the few operations that run before any tenant scope exists (accepting an invitation).
    sessionmaker: async_sessionmaker[AsyncSession]
    # The job queue: outbox rows a mutation wrote are handed over right after its commit.
    redis: ArqRedis | None = None
    # Uploaded and generated files (letters of intent, certificates).
    store: Store | None = None
    # The caller's address, for the rate limits of the public mutations (registration).
    client_address: str = "unknown"

    def require_scope(self) -> Scope:
        if self.scope is None:
            raise Unauthenticated(self.auth_error or "authentication required")
        return self.scope

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, one user at a time: graphql-core runs sibling resolvers concurrently."""
        async with self.lock:
            yield self.session

    async def run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Call a service function with the session and the scope, under the lock.

        graphql-core cancels a field's siblings when a non-null field fails; a statement cancelled in flight
        takes the connection down under every later field and the session's close (an HTTP 500). So the call
        runs to its end in a task of its own, and the request waits for it (`settle`) before closing."""
        scope = self.require_scope()

        async def call() -> T:
            async with self.db() as session:
                return await fn(session, scope, *args, **kwargs)

        work = asyncio.ensure_future(call())
        self.in_flight.add(work)
        work.add_done_callback(self.in_flight.discard)
        return await asyncio.shield(work)

    async def settle(self) -> None:
        """Wait for the database calls whose fields were cancelled (their results are not used)."""
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)

    def loader(self, name: str, factory: Callable[[Context], Any]) -> Any:
        """The request's DataLoader `name`, created on first use."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = factory(self)
        return found


Info = StrawberryInfo[Context, None]


@asynccontextmanager
async def unit_of_work(ctx: Context) -> AsyncIterator[AsyncSession]:
    """A mutation's transaction: core's unit of work on the request's session, under its lock."""
    ctx.require_scope()
    async with ctx.db() as session, core_unit_of_work(session, queue=ctx.redis) as work:
        yield work


def by_id_loader(
    fetch: Callable[..., Awaitable[Mapping[K, V]]],
) -> Callable[[Context], DataLoader[K, V | None]]:
    """A DataLoader factory over a service function `fetch(session, scope, ids) -> {id: row}`."""

    def factory(ctx: Context) -> DataLoader[K, V | None]:
        async def load(ids: list[K]) -> list[V | None]:
            found = await ctx.run(fetch, ids)
            return [found.get(i) for i in ids]

        return DataLoader(load_fn=load)

    return factory
