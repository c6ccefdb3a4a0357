"""Policy tables: the parts catalogue (parts, supersessions, the service BOM)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.db import Base, IdMixin


class Part(IdMixin, Base):
    """A part of the network's catalogue, by part number, with the partner that supplies it."""

    __tablename__ = "parts"
    __table_args__ = (UniqueConstraint("network_id", "part_number"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    part_number: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    component_group: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(16), default="EA")
    supplier_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PartSupersession(IdMixin, Base):
    """Old part replaced by a new one from a date; `interchangeable` says whether old stock may still be
    fitted."""

    __tablename__ = "part_supersessions"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    old_part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"), unique=True)
    new_part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    effective_on: Mapped[date]
    interchangeable: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ServiceBomLine(IdMixin, Base):
    """One part of a vehicle model's service BOM (SBOM) and how many the model has."""

    __tablename__ = "service_bom_lines"
    __table_args__ = (UniqueConstraint("network_id", "vehicle_model", "part_id"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    vehicle_model: Mapped[str] = mapped_column(String(40))
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
