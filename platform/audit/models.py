"""The change journal: one append-only row per state change, hash-chained per network."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, FetchedValue, ForeignKey, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.db import Base, IdMixin


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
