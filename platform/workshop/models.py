"""The workshop's tables. Vehicles are the network's register (HQ keeps it, its stations read it)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.db import Base, IdMixin


class Vehicle(IdMixin, Base):
    """A vehicle of the network's register, by VIN: built on its production date, its warranty starting on its
    sale date."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("network_id", "vin"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    vin: Mapped[str] = mapped_column(String(17))
    model: Mapped[str] = mapped_column(String(40))
    production_date: Mapped[date]
    sale_date: Mapped[date | None]
    selling_dealer: Mapped[str] = mapped_column(String(200), default="")
    first_registration: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Customer(Base):
    """A station's customer record (personal data): the station that serves them keeps it; HQ may read it,
    and each HQ read of a phone number is journaled. Keyed `(station_id, id)` like every station-owned
    table of the workshop."""

    __tablename__ = "customers"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
