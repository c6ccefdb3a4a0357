"""The change journal: one append-only row per state change, hash-chained per network. Every context writes
it in its own transaction (`record`), so it lives in core, not in the audit context that reads it."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import BigInteger, FetchedValue, ForeignKey, LargeBinary, String, func, insert, select, text, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.db import Base, IdMixin, new_id
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope


class JournalEntry(IdMixin, Base):
    """Who changed what, in which tenant, from what to what, in which request.

    `seq`, `prev_hash` and `hash` are filled by a database trigger under a per-network lock, so the chain
    cannot be forged by the application and concurrent writers cannot fork it. The app roles may insert
    and read; nobody but the owner may update or delete (and `dealernet journal verify` finds it if they do).
    """

    __tablename__ = "journal"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    station_id: Mapped[UUID | None]
    seq: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue())
    actor_id: Mapped[UUID | None]
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[UUID]
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32), server_default=FetchedValue())
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), server_default=FetchedValue())


class JournalHead(Base):
    """The last sequence number and hash of a network's chain; its row lock serialises the writers."""

    __tablename__ = "journal_heads"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


def jsonable(value: Any) -> Any:
    """A snapshot value as JSON: ids, dates and money as strings, enums as their value."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, UUID | datetime | date | Decimal):
        return str(value)
    return value


def snapshot(row: Any, *fields: str) -> dict[str, Any]:
    """The named attributes of a row, for `before` / `after`."""
    return {name: jsonable(getattr(row, name)) for name in fields}


async def record(
    session: AsyncSession,
    scope: Scope,
    *,
    entity: str,
    entity_id: UUID,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    network_id: UUID | None = None,
    station_id: UUID | None = None,
) -> None:
    """Journal one change in the caller's transaction. The tenant defaults to the scope's; the database
    assigns the sequence number and the hash (see migration 0002)."""
    network = network_id or scope.network_id
    if network is None:
        raise ValueError("a journal row needs a network")
    request_id = structlog.contextvars.get_contextvars().get("request_id", "")
    await session.execute(
        insert(JournalEntry).values(
            id=new_id(),
            network_id=network,
            station_id=station_id if station_id is not None else scope.station_id,
            actor_id=scope.actor_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
            request_id=str(request_id)[:64],
        )
    )


async def entries_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, JournalEntry]:
    stmt = select(JournalEntry).where(JournalEntry.id.in_(ids), JournalEntry.network_id == scope.network_id)
    if scope.is_station:
        stmt = stmt.where(JournalEntry.station_id == scope.station_id)
    return {row.id: row for row in await session.scalars(stmt)}


async def list_entries(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[datetime, UUID] | None = None,
    entity_id: UUID | None = None,
) -> list[JournalEntry]:
    """Newest first. A station sees its own rows, HQ its network's (RLS); up to first + 1 rows."""
    check_page_size(first)
    stmt = select(JournalEntry).where(JournalEntry.network_id == scope.network_id)
    if scope.is_station:
        stmt = stmt.where(JournalEntry.station_id == scope.station_id)
    if entity_id is not None:
        stmt = stmt.where(JournalEntry.entity_id == entity_id)
    if after is not None:
        stmt = stmt.where(tuple_(JournalEntry.at, JournalEntry.id) < tuple_(*after))
    stmt = stmt.order_by(JournalEntry.at.desc(), JournalEntry.id.desc()).limit(first + 1)
    return list(await session.scalars(stmt))


@dataclass(frozen=True)
class ChainBreak:
    network_id: UUID
    seq: int
    reason: str


_VERIFY = text(
    """
    SELECT network_id, seq, hash, journal_digest(j) AS recomputed, prev_hash,
           lag(hash) OVER w AS previous_hash, lag(seq) OVER w AS previous_seq
    FROM journal j
    WINDOW w AS (PARTITION BY network_id ORDER BY seq)
    ORDER BY network_id, seq
    """
)
_HEADS = text(
    "SELECT h.network_id, h.seq, h.hash, last.seq AS last_seq, last.hash AS last_hash FROM journal_heads h "
    "LEFT JOIN LATERAL (SELECT seq, hash FROM journal j WHERE j.network_id = h.network_id "
    "ORDER BY seq DESC LIMIT 1) last ON true"
)
_GENESIS = text("SELECT sha256(''::bytea)")


async def verify_chain(session: AsyncSession) -> tuple[int, Sequence[ChainBreak]]:
    """Recompute every network's chain (seed scope): (rows checked, first break per network).

    A changed row fails its own hash; a deleted or inserted row breaks the link or the numbering; a
    deleted last row leaves the head pointing past the end."""
    genesis = await session.scalar(_GENESIS)
    breaks: dict[UUID, ChainBreak] = {}
    checked = 0
    for row in await session.execute(_VERIFY):
        checked += 1
        if row.network_id in breaks:
            continue
        expected_prev = row.previous_hash if row.previous_seq is not None else genesis
        expected_seq = (row.previous_seq or 0) + 1
        if row.hash != row.recomputed:
            breaks[row.network_id] = ChainBreak(row.network_id, row.seq, "row content does not match its hash")
        elif row.seq != expected_seq or row.prev_hash != expected_prev:
            breaks[row.network_id] = ChainBreak(row.network_id, row.seq, "link to the previous row is broken")
    for head in await session.execute(_HEADS):
        if head.network_id not in breaks and (head.seq != (head.last_seq or 0) or head.hash != head.last_hash):
            breaks[head.network_id] = ChainBreak(head.network_id, head.seq, "rows at the end of the chain are missing")
    return checked, list(breaks.values())
